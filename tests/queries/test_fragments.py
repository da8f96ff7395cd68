"""Precomputed fragments: every record's stored JSON is its response model's JSON, and the answers
spliced from them are the bytes the models would have written."""

import json

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.loading import build
from api.queries import comparison
from api.queries.fragments import fragment_code_digest, json_of, unpack
from api.queries.pages import to_public
from api.queries.studies import study_details, study_summaries
from api.render.splice import page_body
from api.state import app_state
from models import AdverseEvent, Fragment, Outcome, Study
from models.adverse_event import AdverseEventPublic
from models.comparison import Comparison
from models.enums import Measure
from models.fragment import FragmentKind
from models.outcome import OutcomePublic
from models.page import AdverseEventPage, OutcomePage, PageLinks, StudyPage
from models.study_views import StudyDetail, StudyPublic

MODELS = {
    FragmentKind.study: StudyPublic,
    FragmentKind.study_detail: StudyDetail,
    FragmentKind.outcome: OutcomePublic,
    FragmentKind.adverse_event: AdverseEventPublic,
    FragmentKind.comparison: Comparison,
}


@pytest.fixture(scope="module")
def session(client: TestClient) -> Session:
    with Session(app_state(client.app).database.engine) as opened:
        yield opened  # type: ignore[misc]


def test_every_fragment_parses_with_its_model_and_writes_back_the_same_bytes(session: Session) -> None:
    fragments = session.exec(select(Fragment)).all()
    assert {f.kind for f in fragments} == {k.value for k in FragmentKind}
    for fragment in fragments:
        kind = FragmentKind(fragment.kind)
        body = unpack(kind, fragment.body)
        parsed = MODELS[kind].model_validate_json(body)
        assert json_of(MODELS[kind], parsed) == body, (fragment.kind, fragment.id)
        key = parsed.measure if isinstance(parsed, Comparison) else parsed.id  # type: ignore[attr-defined]
        assert key == fragment.id


def test_each_record_has_exactly_its_fragments(session: Session) -> None:
    stored: dict[str, set[str]] = {}
    for kind, record_id in session.exec(select(Fragment.kind, Fragment.id)):
        stored.setdefault(kind, set()).add(record_id)
    studies = set(session.exec(select(Study.id)).all())
    assert stored[FragmentKind.study] == studies
    assert stored[FragmentKind.study_detail] == studies
    assert stored[FragmentKind.outcome] == set(session.exec(select(Outcome.id)).all())
    assert stored[FragmentKind.adverse_event] == set(session.exec(select(AdverseEvent.id)).all())
    assert stored[FragmentKind.comparison] == set(session.exec(select(Outcome.measure)).all())


def test_fragments_are_what_the_queries_compute_now(client: TestClient, session: Session) -> None:
    stored = {(f.kind, f.id): unpack(FragmentKind(f.kind), f.body) for f in session.exec(select(Fragment))}
    studies = session.exec(select(Study).order_by(col(Study.id))).all()
    for summary in study_summaries(session, studies):
        assert stored[(FragmentKind.study, summary.id)] == json_of(StudyPublic, summary)
    for detail in study_details(session, studies):
        assert stored[(FragmentKind.study_detail, detail.id)] == json_of(StudyDetail, detail)
    for row in session.exec(select(Outcome)):
        assert stored[(FragmentKind.outcome, row.id)] == json_of(OutcomePublic, to_public(OutcomePublic, row))
    for event in session.exec(select(AdverseEvent)):
        public = to_public(AdverseEventPublic, event)
        assert stored[(FragmentKind.adverse_event, event.id)] == json_of(AdverseEventPublic, public)
    version = app_state(client.app).meta.dataset_version
    conditions = comparison.default_filters().conditions(session).all
    for measure in set(session.exec(select(Outcome.measure))):
        plan = comparison.plan_comparison(
            session, Measure(measure), time_point=None, outcome_conditions=conditions, version=version
        )
        assert stored[(FragmentKind.comparison, measure)] == comparison.comparison_json(plan)


@pytest.mark.parametrize(
    ("path", "page_model"),
    [
        ("/v1/studies?limit=7&offset=3&sort=-id", StudyPage),
        ("/v1/studies?q=CD7", StudyPage),
        ("/v1/outcomes?measure=cr&limit=5&offset=2", OutcomePage),
        ("/v1/adverse-events?min_grade=3", AdverseEventPage),
    ],
)
def test_a_spliced_page_is_the_bytes_its_page_model_writes(client: TestClient, path: str, page_model: type) -> None:
    body = client.get(path).content
    page = page_model.model_validate_json(body)
    assert page.items, path  # the splice is exercised with items in it
    assert page.model_dump_json(by_alias=True).encode() == body


def test_a_spliced_detail_and_batch_are_the_bytes_their_models_write(client: TestClient) -> None:
    detail = client.get("/v1/studies/ns7car-t").content
    assert json_of(StudyDetail, StudyDetail.model_validate_json(detail)) == detail
    batch = client.get("/v1/studies/batch?id=rd13-01&id=ns7car-t&id=rd13-01").json()
    assert [d["id"] for d in batch] == ["rd13-01", "ns7car-t"]  # in the order asked, each once
    assert batch[1] == json.loads(detail)


def test_page_body_refuses_an_envelope_holding_items(client: TestClient) -> None:
    links = PageLinks(self="/x", first="/x")
    item = StudyPublic.model_validate(client.get("/v1/studies?limit=1").json()["items"][0])
    with pytest.raises(ValueError, match="without items"):
        page_body(StudyPage(items=[item], total=1, limit=1, offset=0, links=links), [b"{}"])


def test_a_file_names_the_code_its_fragments_were_written_by(monkeypatch: pytest.MonkeyPatch) -> None:
    """Other code could write other JSON for the same data: its files must not be served by this code."""
    ours = fragment_code_digest.__wrapped__()  # type: ignore[attr-defined]
    before = build.schema_version()
    monkeypatch.setattr(build, "fragment_code_digest", lambda: "another")
    assert build.schema_version() != before
    monkeypatch.setattr(OutcomePublic, "model_json_schema", classmethod(lambda cls, *_, **__: {"other": True}))
    assert fragment_code_digest.__wrapped__() != ours  # type: ignore[attr-defined]
