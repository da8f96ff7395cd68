"""One dataset version, one answer (issue 26): a built SQLite file and a PostgreSQL schema of the same
version give the same bytes under the same ETag, or never the same ETag.

The whole behaviour crawl (tests/crawl/requests.json) is replayed against both, and a property test
sorts random filters both ways. Runs where TALL_TEST_POSTGRES_URL is set (.ci/run starts PostgreSQL).
"""

import os
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

from api.loading.build import build_file, build_schema, build_time, schema_name
from api.main import create_app
from api.queries.sorting import AdverseEventSort, OutcomeSort, StudySort
from api.settings import Settings
from models.enums import AdverseEventTerm, Agent, Antigen, Disease, InterventionRole, Measure, Setting, TherapyClass
from tests.crawl.replay import RECORDED_HEADERS, exchanges

POSTGRES_URL = os.environ.get("TALL_TEST_POSTGRES_URL")

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason="no PostgreSQL server: set TALL_TEST_POSTGRES_URL (.ci/run starts one)"
)


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Settings, str, str]:
    """Settings serving the built file and the PostgreSQL schema of one version, and each build's time."""
    schema = build_schema(Settings(), str(POSTGRES_URL))
    if schema.built_at == build_time():
        time.sleep(1.1)  # two build times, so the answers that show them must carry different ETags
    path = build_file(Settings(), Path(tmp_path_factory.mktemp("built")))
    on_file = Settings(database_file=path)
    on_postgres = Settings(database_url=POSTGRES_URL, dataset_version=schema.dataset_version)
    with TestClient(create_app(on_file)) as client:
        file_built_at = client.get("/v1/meta").json()["built_at"]
    assert file_built_at != schema.built_at
    return on_file, on_postgres, file_built_at, schema.built_at


def _headers(response: httpx.Response) -> dict[str, str]:
    return {name: ", ".join(response.headers.get_list(name)) for name in RECORDED_HEADERS if name in response.headers}


def test_the_crawl_gives_the_same_bytes_and_etags_on_both(builds: tuple[Settings, Settings, str, str]) -> None:
    on_file, on_postgres, file_built_at, schema_built_at = builds
    pairs = list(zip(exchanges(on_file), exchanges(on_postgres), strict=True))
    differences: list[str] = []
    showing_the_build: set[str] = set()  # URLs whose answer shows the build time (each under its own ETag)
    for (index, request, ours), (_, _, theirs) in pairs:
        if ours.status_code != theirs.status_code or ours.content == theirs.content:
            continue
        where = f"#{index} {request['method']} {request['url']}"
        # Only an answer that shows the build may differ: by its build time alone, and never under one ETag.
        same_but_the_time = ours.content.replace(file_built_at.encode(), b"<built_at>") == theirs.content.replace(
            schema_built_at.encode(), b"<built_at>"
        )
        if not same_but_the_time:
            differences.append(f"{where}: bodies differ ({len(ours.content)} / {len(theirs.content)} bytes)")
        elif ours.headers.get("etag") == theirs.headers.get("etag"):
            differences.append(f"{where}: bodies differ by the build time under one ETag {ours.headers.get('etag')}")
        else:
            showing_the_build.add(request["url"])
    for (index, request, ours), (_, _, theirs) in pairs:
        where = f"#{index} {request['method']} {request['url']}"
        if ours.status_code != theirs.status_code:
            differences.append(f"{where}: status {ours.status_code} / {theirs.status_code}")
        elif ours.content == theirs.content and _headers(ours) != _headers(theirs):
            # A HEAD or a 304 of an answer showing the build: no body, its own ETag, nothing else apart.
            only_the_etag = {**_headers(ours), "etag": ""} == {**_headers(theirs), "etag": ""}
            if not (only_the_etag and request["url"] in showing_the_build):
                differences.append(f"{where}: headers {_headers(ours)} / {_headers(theirs)}")
    assert not differences, f"{len(differences)} answers differ between SQLite and PostgreSQL:\n" + "\n".join(
        differences
    )
    assert "/v1/meta" in showing_the_build  # it shows the build time, under each build's own ETag


def test_postgres_compares_text_by_code_point_as_sqlite_does(builds: tuple[Settings, Settings, str, str]) -> None:
    """Every text column of the served tables is collated "C", whatever the database's own locale."""
    _, on_postgres, _, _ = builds
    schema = schema_name(str(on_postgres.dataset_version))
    engine = create_engine(str(POSTGRES_URL))
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT table_name, column_name, collation_name FROM information_schema.columns "
                    "WHERE table_schema = :schema AND data_type IN ('character varying', 'text')"
                ),
                {"schema": schema},
            ).all()
    finally:
        engine.dispose()
    served = {table.name for table in SQLModel.metadata.sorted_tables}
    columns = {(table, column): collation for table, column, collation in rows if table in served}
    assert ("study", "title") in columns and ("search_posting", "term") in columns
    assert {key: c for key, c in columns.items() if c != "C"} == {}


@pytest.fixture(scope="module")
def clients(builds: tuple[Settings, Settings, str, str]) -> Iterator[tuple[TestClient, TestClient]]:
    on_file, on_postgres, _, _ = builds
    with TestClient(create_app(on_file)) as ours, TestClient(create_app(on_postgres)) as theirs:
        yield ours, theirs


def _values(enum: type) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from([m.value for m in enum]), max_size=2)


STUDY_FILTERS = st.fixed_dictionaries(
    {},
    optional={
        "disease": _values(Disease),
        "setting": _values(Setting),
        "therapy_class": _values(TherapyClass),
        "agent": _values(Agent),
        "role": st.lists(st.sampled_from(["given", "any", *(r.value for r in InterventionRole)]), max_size=2),
        "target_antigen": _values(Antigen),
        "min_patients": st.integers(0, 60),
        "q": st.sampled_from(["CD7", "car", "nelarabine", "relapsed", "t", "donor cd7", "ÉTP", "venetoclax"]),
        "limit": st.integers(1, 30),
        "offset": st.integers(0, 40),
    },
)

LISTS = st.one_of(
    st.tuples(st.just("/v1/studies"), st.sampled_from([None, *(s.value for s in StudySort)])),
    st.tuples(st.just("/v1/outcomes"), st.sampled_from([None, *(s.value for s in OutcomeSort)])),
    st.tuples(st.just("/v1/adverse-events"), st.sampled_from([None, *(s.value for s in AdverseEventSort)])),
)
FIGURE_FILTERS = st.fixed_dictionaries(
    {}, optional={"measure": _values(Measure), "term": _values(AdverseEventTerm), "subgroup": st.just(["any"])}
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(listing=LISTS, filters=STUDY_FILTERS, figure_filters=FIGURE_FILTERS, csv=st.booleans())
def test_random_filters_sort_the_same_on_both(
    clients: tuple[TestClient, TestClient],
    listing: tuple[str, str | None],
    filters: dict[str, object],
    figure_filters: dict[str, object],
    csv: bool,
) -> None:
    path, sort = listing
    params = dict(filters)
    if path == "/v1/outcomes" and "measure" in figure_filters:
        params["measure"] = figure_filters["measure"]
    if path == "/v1/adverse-events" and "term" in figure_filters:
        params["term"] = figure_filters["term"]
    if path != "/v1/studies" and "subgroup" in figure_filters:
        params["subgroup"] = figure_filters["subgroup"]
    if sort is not None:
        params["sort"] = sort
    if csv:
        params["format"] = "csv"
    _same_on_both(clients, f"{path}?{urlencode(params, doseq=True)}")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    filters=st.one_of(st.just({}), STUDY_FILTERS),  # unfiltered half the time: every study's rows
    measure=st.sampled_from([m.value for m in Measure]),
    answer=st.sampled_from(["/v1/comparison", "/v1/comparison.csv", "/v1/comparison.svg", "/v1/studies/facets"]),
)
def test_random_filters_compare_and_count_the_same_on_both(
    clients: tuple[TestClient, TestClient], filters: dict[str, object], measure: str, answer: str
) -> None:
    params = {k: v for k, v in filters.items() if k not in ("limit", "offset")}
    if answer.startswith("/v1/comparison"):
        params["measure"] = measure
    _same_on_both(clients, f"{answer}?{urlencode(params, doseq=True)}")


def _same_on_both(clients: tuple[TestClient, TestClient], url: str) -> None:
    ours, theirs = (client.get(url) for client in clients)
    assert ours.status_code == theirs.status_code == 200, (url, ours.text[:300])
    assert ours.content == theirs.content, url
    assert ours.headers["etag"] == theirs.headers["etag"], url


@pytest.mark.parametrize(
    "query",
    [
        "measure=cr&agent=venetoclax",
        "measure=orr&therapy_class=car_t&role=studied",
        "measure=orr&target_antigen=CD7&cell_source=autologous",
        "measure=os&time_point=24m",
    ],
)
def test_a_comparison_under_a_treatment_or_time_filter_is_the_same_on_both(
    clients: tuple[TestClient, TestClient], query: str
) -> None:
    """FA12: which arms got the treatment was asked of PostgreSQL with the study tags' role markers ('' for no
    role), no value of its intervention-role enum, and answered 500; FA7: time_point=24m matches 2y on both."""
    _same_on_both(clients, f"/v1/comparison?{query}")
