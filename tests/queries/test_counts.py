"""Totals of filtered lists are counted once per filter and table, then remembered."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from api.main import create_app
from api.queries.counts import CountMemo
from api.queries.filters import Conditions, StudyFilters
from api.settings import Settings
from api.state import app_state
from models import Study
from models.enums import Antigen


@pytest.fixture
def app_client() -> Iterator[TestClient]:
    """A private app (response cache off), so no earlier test has filled its memo or cache."""
    with TestClient(create_app(Settings(response_cache_enabled=False))) as client:
        yield client


def _count_queries(client: TestClient) -> list[str]:
    statements: list[str] = []
    engine = app_state(client.app).database.engine

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT COUNT("):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    return statements


def test_next_pages_reuse_the_total(app_client: TestClient) -> None:
    counted = _count_queries(app_client)
    params = {"measure": "cr", "target_antigen": "CD7", "limit": 2}
    first = app_client.get("/v1/outcomes", params=params).json()
    assert len(counted) == 1
    second = app_client.get("/v1/outcomes", params={**params, "offset": 2, "sort": "-value"}).json()
    csv = app_client.get("/v1/outcomes", params={**params, "format": "csv"})
    assert csv.status_code == 200
    assert len(counted) == 1  # other pages, orders and formats of the same filter: not counted again
    assert first["total"] == second["total"] > 2
    app_client.get("/v1/outcomes", params={"measure": "cr", "limit": 2})
    app_client.get("/v1/adverse-events", params={"target_antigen": "CD7", "limit": 2})
    assert len(counted) == 3  # another filter, another table: counted


def test_exports_do_not_count(app_client: TestClient) -> None:
    counted = _count_queries(app_client)
    for path in ("/v1/outcomes", "/v1/studies", "/v1/adverse-events"):
        assert app_client.get(path, params={"format": "csv", "target_antigen": "CD7"}).status_code == 200
        assert app_client.get(path, params={"format": "ndjson", "target_antigen": "CD5"}).status_code == 200
    assert counted == []


def test_conditions_extended_after_the_fact_are_not_remembered_under_the_old_text(app_client: TestClient) -> None:
    database = app_state(app_client.app).database
    with next(database.session()) as session:
        cd7, _ = StudyFilters(target_antigen=[Antigen("CD7")]).conditions(session)
        assert cd7.asked is not None
        cd7.add(Study.n_enrolled >= 1_000_000)  # type: ignore[arg-type,operator]
        assert cd7.asked is None


def test_a_memo_of_no_entries_counts_every_time() -> None:
    with TestClient(create_app(Settings(response_cache_enabled=False, count_memo_entries=0))) as client:
        counted = _count_queries(client)
        for _ in range(2):
            assert client.get("/v1/outcomes", params={"measure": "cr", "limit": 2}).json()["total"] > 2
        assert len(counted) == 2


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
