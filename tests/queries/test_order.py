"""Every sort has one defined order (issue 26), sort=value compares like with like (issue 19 item 4),
and search ranks by the service's own BM25 over the index stored with the build.

Expected orders are computed here from the served fields with Python's sorting (code-point
order for text), never read back from the service.
"""

import math
from collections import Counter
from enum import Enum

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Column, MetaData, String, Table, create_engine, select
from sqlalchemy import Enum as EnumType
from sqlalchemy import text as sql

from api.loading.fixture_files import read_fixture_set
from api.loading.rows import search_documents
from api.queries.sorting import code_order
from api.settings import Settings
from models.search_index import search_words


def _all(client: TestClient, path: str, sort: str) -> list[dict]:
    response = client.get(path, params={"sort": sort, "limit": 500})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def _proportion(o: dict) -> float | None:
    if o["unit"] == "percent" and o["value"] is not None:
        return o["value"] / 100
    if o["numerator"] is not None and o["denominator"]:
        return o["numerator"] / o["denominator"]
    return None


def _expected(items: list[dict], key, *, descending: bool) -> list[str]:  # type: ignore[no-untyped-def]
    present = [i for i in items if key(i) is not None]
    absent = sorted((i for i in items if key(i) is None), key=lambda i: i["id"])
    # Descending by key, ascending by id on ties: two stable sorts.
    present.sort(key=lambda i: i["id"])
    present.sort(key=key, reverse=descending)
    return [i["id"] for i in present + absent]


@pytest.mark.parametrize("descending", [False, True])
def test_sort_by_value_orders_proportions_and_puts_bare_counts_last(client: TestClient, descending: bool) -> None:
    items = _all(client, "/v1/outcomes", "-value" if descending else "value")
    assert [o["id"] for o in items] == _expected(items, _proportion, descending=descending)
    bare_counts = [o for o in items if o["unit"] == "patients" and not o["denominator"]]
    assert bare_counts, "the data hold counts without a denominator"
    first_bare = min(items.index(o) for o in bare_counts)
    assert all(_proportion(o) is None for o in items[first_bare:])  # never among the percentages
    counted = [o for o in items if o["unit"] != "percent" and _proportion(o) is not None]
    assert counted, "the data hold counts with a denominator, sorted by their proportion"


@pytest.mark.parametrize(
    ("path", "sort", "field"),
    [
        ("/v1/outcomes", "measure", "measure"),
        ("/v1/outcomes", "time_point", "time_point"),
        ("/v1/outcomes", "study_id", "study_id"),
        ("/v1/adverse-events", "term", "term"),
        ("/v1/adverse-events", "grade_min", "grade_min"),
        ("/v1/adverse-events", "-grade_min", "grade_min"),
        ("/v1/adverse-events", "-patients", "patients"),
        ("/v1/adverse-events", "percentage", "percentage"),
        ("/v1/studies", "title", "title"),
        ("/v1/studies", "-title", "title"),
        ("/v1/studies", "-n_enrolled", "n_enrolled"),
    ],
)
def test_every_sort_is_by_its_field_then_id_with_nulls_last(
    client: TestClient, path: str, sort: str, field: str
) -> None:
    items = _all(client, path, sort)
    assert [i["id"] for i in items] == _expected(items, lambda i: i[field], descending=sort.startswith("-"))


def test_codes_sort_by_the_code_served_not_the_declaration(client: TestClient) -> None:
    terms = [e["term"] for e in _all(client, "/v1/adverse-events", "term")]
    # cytokine_release_syndrome is declared (and stored) as crs, after icans: it sorts as served.
    assert terms.index("cytokine_release_syndrome") < terms.index("icans")


def test_comparison_rows_of_a_study_put_the_whole_study_first(client: TestClient) -> None:
    for measure in ("os", "rfs", "cr", "efs"):
        rows = client.get("/v1/comparison", params={"measure": measure}).json()["rows"]
        keys = [(r["study_id"], r["arm_id"] is not None, r["arm_id"] or "", r["outcome_id"]) for r in rows]
        assert keys == sorted(keys), measure


def _bm25(q: str) -> list[str]:
    """BM25 (k1 1.2, b 0.75) over each study's indexed text, every query word a prefix; best first, then id."""
    fixtures = read_fixture_set(Settings().fixtures_dir, Settings().sources_registry, Settings().max_fixture_bytes)
    fields = ("title", "summary", "products", "interventions", "findings")
    texts = {sid: search_words(" ".join(d[f] for f in fields)) for sid, d in search_documents(fixtures).items()}
    average = sum(len(t) for t in texts.values()) / len(texts)
    scores: dict[str, float] = {}
    words = list(dict.fromkeys(search_words(q)))
    for sid, text in texts.items():
        counts = Counter(text)
        score = 0.0
        for word in words:
            tf = sum(n for term, n in counts.items() if term.startswith(word))
            if not tf:
                break
            df = sum(1 for t in texts.values() if any(term.startswith(word) for term in t))
            idf = math.log(1 + (len(texts) - df + 0.5) / (df + 0.5))
            score += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * len(text) / average))
        else:
            scores[sid] = score
    return sorted(scores, key=lambda sid: (-round(scores[sid], 9), sid))


@pytest.mark.parametrize("q", ["CD7", "nelarabine", "CAR-T", "venetoclax ETP", "donor", "Relapsed T-ALL"])
def test_search_ranks_by_the_defined_bm25(client: TestClient, q: str) -> None:
    ranked = [s["id"] for s in client.get("/v1/studies", params={"q": q, "limit": 500}).json()["items"]]
    assert ranked and ranked == _bm25(q)


class _Code(Enum):
    # Declared, and stored by name, in the opposite order to the codes served (a plain Enum: its members
    # do not compare as their codes, as a StrEnum's do).
    zebra = "a_code"
    middle = "m_code"
    apple = "z_code"


def test_an_enumerated_column_sorts_by_its_code_whatever_is_stored() -> None:
    """Whatever the database keeps (SQLite the member names, PostgreSQL its own declaration order)."""
    metadata = MetaData()
    table = Table("coded", metadata, Column("id", String, primary_key=True), Column("code", EnumType(_Code)))
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(table.insert(), [{"id": f"r-{c.name}", "code": c} for c in _Code])
        stored = connection.execute(sql("SELECT code FROM coded ORDER BY code")).scalars().all()
        assert stored == ["apple", "middle", "zebra"]  # what the column alone would sort by
        ordered = connection.execute(select(table.c.code).order_by(code_order(table.c.code))).scalars().all()
    assert [c.value for c in ordered] == ["a_code", "m_code", "z_code"]
    assert code_order(table.c.id) is table.c.id  # other columns sort as they are


def test_every_sort_parameter_says_how_it_orders(client: TestClient) -> None:
    """Worded by one helper at import (so the mutation run cannot vary it): checked here, in the document."""
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/v1/studies", "/v1/outcomes", "/v1/adverse-events"):
        [sort] = [p for p in paths[path]["get"]["parameters"] if p["name"] == "sort"]
        what, how = sort["description"].split(" A leading '-' sorts descending; ", 1)
        assert what.startswith("Sort order") and how == (
            "nulls come last either way; ties go by id; text and codes sort by code point."
        ), path


@pytest.mark.parametrize("path", ["/v1/studies", "/v1/outcomes", "/v1/adverse-events"])
def test_id_orders_and_relevance_without_a_search_are_by_id(client: TestClient, path: str) -> None:
    ids = sorted(i["id"] for i in _all(client, path, "id"))
    assert len(ids) > 2
    assert [i["id"] for i in _all(client, path, "-id")] == ids[::-1]
    assert [i["id"] for i in client.get(path, params={"limit": 500}).json()["items"]] == ids  # the default
    if path == "/v1/studies":
        assert [i["id"] for i in _all(client, path, "relevance")] == ids
