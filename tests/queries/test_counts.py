"""Totals of filtered lists: counted from the rows each condition selects, then remembered."""

import itertools
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import col, select

from api.main import create_app
from api.queries.counts import ConditionRows, CountMemo, condition_key, count
from api.queries.filters import Conditions, OutcomeFilters, StudyFilters
from api.settings import Settings
from api.state import app_state
from models import Outcome, Study
from models.enums import Antigen


@pytest.fixture
def app_client() -> Iterator[TestClient]:
    """A private app (response cache off), so no earlier test has filled its memo or cache."""
    with TestClient(create_app(Settings(response_cache_enabled=False))) as client:
        yield client


def _memo(client: TestClient) -> CountMemo:
    memo = app_state(client.app).database.memo
    assert isinstance(memo, CountMemo)
    return memo


def _statements(client: TestClient) -> list[str]:
    statements: list[str] = []
    engine = app_state(client.app).database.engine

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    return statements


def test_next_pages_reuse_the_total(app_client: TestClient) -> None:
    memo = _memo(app_client)
    params = {"measure": "cr", "target_antigen": "CD7", "limit": 2}
    first = app_client.get("/v1/outcomes", params=params).json()
    assert memo.computed == 1
    second = app_client.get("/v1/outcomes", params={**params, "offset": 2, "sort": "-value"}).json()
    csv = app_client.get("/v1/outcomes", params={**params, "format": "csv"})
    assert csv.status_code == 200
    assert memo.computed == 1  # other pages, orders and formats of the same filter: not counted again
    assert first["total"] == second["total"] > 2
    app_client.get("/v1/outcomes", params={"measure": "cr", "limit": 2})
    app_client.get("/v1/adverse-events", params={"target_antigen": "CD7", "limit": 2})
    assert memo.computed == 3  # another filter, another table: counted


def test_exports_do_not_count(app_client: TestClient) -> None:
    memo = _memo(app_client)
    for path in ("/v1/outcomes", "/v1/studies", "/v1/adverse-events"):
        assert app_client.get(path, params={"format": "csv", "target_antigen": "CD7"}).status_code == 200
        assert app_client.get(path, params={"format": "ndjson", "target_antigen": "CD5"}).status_code == 200
    assert memo.computed == 0


def test_conditions_extended_after_the_fact_are_not_remembered_under_the_old_text(app_client: TestClient) -> None:
    database = app_state(app_client.app).database
    with next(database.session()) as session:
        cd7, _ = StudyFilters(target_antigen=[Antigen("CD7")]).conditions(session)
        assert cd7.asked is not None
        cd7.add(Study.n_enrolled >= 1_000_000)  # type: ignore[arg-type,operator]
        assert cd7.asked is None


def test_a_memo_of_no_entries_counts_every_time() -> None:
    with TestClient(create_app(Settings(response_cache_enabled=False, count_memo_entries=0))) as client:
        memo = _memo(client)
        for _ in range(2):
            assert client.get("/v1/outcomes", params={"measure": "cr", "limit": 2}).json()["total"] > 2
        assert memo.computed == 2


def test_memo_keeps_tables_and_filters_apart(app_client: TestClient) -> None:
    database = app_state(app_client.app).database
    memo = CountMemo(8)
    with next(database.session()) as session:
        cd7, _ = StudyFilters(target_antigen=[Antigen("CD7")]).conditions(session)
        cd5, _ = StudyFilters(target_antigen=[Antigen("CD5")]).conditions(session)
        assert memo.total(session, Study, cd7) != memo.total(session, Study, cd5)
        assert len(memo) == 2
        # Conditions that do not say what was asked are counted every time, never remembered.
        assert memo.total(session, Study, Conditions(all=cd7.all, first=cd7.first)) == memo.total(session, Study, cd7)
        assert len(memo) == 2


# Filters whose combinations are checked: each alone, and every pair.
OUTCOME_FILTERS: list[dict[str, list[str]]] = [
    {"measure": ["cr"]},
    {"measure": ["cr", "orr"]},
    {"time_point": ["d28"]},
    {"subgroup": ["none"]},
    {"subgroup": ["none", "t_all"]},
    {"source_kind": ["journal_article"]},
]
STUDY_FILTERS: list[dict[str, list[str]]] = [{"target_antigen": ["CD7"]}, {"target_antigen": ["CD5", "CD7"]}, {}]


def test_totals_from_the_rows_each_condition_selects_equal_counts_in_sql(app_client: TestClient) -> None:
    database = app_state(app_client.app).database
    rows = ConditionRows()
    checked = set()
    with next(database.session()) as session:
        for study, (a, b) in itertools.product(STUDY_FILTERS, itertools.combinations([{}, *OUTCOME_FILTERS], 2)):
            filters = OutcomeFilters.model_validate({**a, **b}).within(StudyFilters.model_validate(study))
            conditions = filters.conditions(session)
            expected = count(session, Outcome, conditions)
            assert rows.count(session, Outcome, conditions.all) == expected, filters.asked()
            checked.add(expected)
    assert len(checked) > 5  # the combinations select different numbers of rows, none of them all or none alone
    assert 0 in checked


def test_a_combination_never_asked_is_counted_without_a_query(app_client: TestClient) -> None:
    database = app_state(app_client.app).database
    rows = ConditionRows()
    with next(database.session()) as session:
        cd7 = StudyFilters(target_antigen=[Antigen("CD7")])
        for filters in (OutcomeFilters.model_validate({"measure": ["cr"]}), OutcomeFilters().within(cd7)):
            rows.count(session, Outcome, filters.conditions(session).all)
        assert rows.queries == 3  # the table numbered once, and one query for each condition met
        both = OutcomeFilters.model_validate({"measure": ["cr"]}).within(cd7).conditions(session)
        executed = _statements(app_client)
        total = rows.count(session, Outcome, both.all)
        assert executed == []
        assert rows.queries == 3
        assert total == count(session, Outcome, both) > 0


def test_every_row_when_no_condition_is_asked(app_client: TestClient) -> None:
    database = app_state(app_client.app).database
    with next(database.session()) as session:
        assert ConditionRows().count(session, Outcome, []) == count(session, Outcome, Conditions()) > 0


def test_a_condition_without_an_identity_is_counted_in_sql(app_client: TestClient) -> None:
    # A bound value that cannot be hashed (a JSON document) gives the condition no key to keep its rows under.
    unkeyed = col(Outcome.codes) == {"measure": "no such code"}
    assert condition_key(unkeyed) is None
    assert condition_key(col(Outcome.measure).in_(["cr"])) == condition_key(col(Outcome.measure).in_(["cr"]))
    assert condition_key(col(Outcome.measure).in_(["cr"])) != condition_key(col(Outcome.measure).in_(["orr"]))
    database = app_state(app_client.app).database
    memo = CountMemo(8)
    with next(database.session()) as session:
        measured = Conditions()
        measured.add(col(Outcome.measure).in_(["cr"]))
        measured.add(unkeyed)
        assert memo.rows.count(session, Outcome, measured.all) is None
        assert memo.total(session, Outcome, measured) == count(session, Outcome, measured) == 0


def test_clearing_the_memo_forgets_each_conditions_rows(app_client: TestClient) -> None:
    memo = _memo(app_client)
    assert app_client.get("/v1/outcomes", params={"measure": "cr", "limit": 1}).status_code == 200
    before = memo.rows
    assert before.queries == 2
    memo.clear()
    assert memo.rows is not before and memo.rows.queries == 0


def test_a_table_is_numbered_in_id_order(app_client: TestClient) -> None:
    # Two threads may number a table at once (and a database may return rows in any order): both
    # must number it alike, or bitmaps built over the two numberings would be ANDed.
    database = app_state(app_client.app).database
    with next(database.session()) as session:
        ids = sorted(session.exec(select(Outcome.id)))
        # SQLite then returns the rows of a query without ORDER BY in reverse (as another plan might).
        session.connection().exec_driver_sql("PRAGMA reverse_unordered_selects = ON")
        numbering = ConditionRows()._numbered(session, Outcome)
        session.connection().exec_driver_sql("PRAGMA reverse_unordered_selects = OFF")
    assert list(numbering) == ids and list(numbering.values()) == list(range(len(ids)))


def test_the_rows_kept_for_a_condition_are_charged_its_bound_values(app_client: TestClient) -> None:
    # A search's condition lists every study it matched (thousands at scale): kept under a key of that
    # size, 4,096 of them would hold gigabytes unless the key counts against the byte bound.
    database = app_state(app_client.app).database
    ids = [f"study-{i:05d}" for i in range(5000)]
    rows = ConditionRows()
    with next(database.session()) as session:
        assert rows.count(session, Outcome, [col(Outcome.study_id).in_(ids)]) == 0
        small = ConditionRows()
        assert small.count(session, Outcome, [col(Outcome.study_id).in_(ids[:1])]) == 0
    assert rows._bitmaps.total_bytes - small._bitmaps.total_bytes >= sum(len(i) for i in ids[1:])
