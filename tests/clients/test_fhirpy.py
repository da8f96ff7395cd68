"""fhirpy, a common Python FHIR client, against the live server: search, fetch_all, count(), sort(),
elements(), limit(), first(), reads and reference resolution over every resource type served.

Skips, saying so, where fhirpy is not installed (it is in the test extra); .ci/clients sets
TALL_TEST_REQUIRE_CLIENT_TOOLS=1, so in CI a missing fhirpy fails instead.
"""

import importlib.util
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from api.fhir.responses import RESOURCE_TYPES
from tests.clients.conftest import need
from tests.fhir_checks import references


@pytest.fixture(scope="module")
def fhir(live_url: str) -> Any:
    need(importlib.util.find_spec("fhirpy") is not None, "fhirpy not installed (pip install -e '.[test]')")
    from fhirpy import SyncFHIRClient

    return SyncFHIRClient(f"{live_url}/fhir")


def _pages(live_url: str, resource_type: str, **params: Any) -> Iterator[dict[str, Any]]:
    """The same search walked with plain HTTP, for comparison."""
    url: str | None = f"{live_url}/fhir/{resource_type}"
    query: dict[str, Any] | None = {"_count": 500, **params}
    while url:
        bundle = httpx.get(url, params=query, timeout=30).json()
        yield from (e["resource"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match")
        url, query = {link["relation"]: link["url"] for link in bundle["link"]}.get("next"), None


@pytest.fixture(scope="module")
def served(live_url: str) -> dict[str, list[dict[str, Any]]]:
    return {t: list(_pages(live_url, t)) for t in RESOURCE_TYPES}


@pytest.mark.parametrize("resource_type", RESOURCE_TYPES)
def test_fetch_all_count_and_limit_walk_every_resource(
    fhir: Any, served: dict[str, list[dict[str, Any]]], resource_type: str
) -> None:
    expected = [r["id"] for r in served[resource_type]]
    assert expected, f"no {resource_type} served"
    walked = fhir.resources(resource_type).limit(3).fetch_all()  # many pages of 3, following next links
    assert [r.id for r in walked] == expected
    assert fhir.resources(resource_type).count() == len(expected)
    assert len(fhir.resources(resource_type).limit(2).fetch()) == min(2, len(expected))
    assert fhir.resources(resource_type).first().id == expected[0]


@pytest.mark.parametrize("resource_type", RESOURCE_TYPES)
def test_sort_and_elements(fhir: Any, served: dict[str, list[dict[str, Any]]], resource_type: str) -> None:
    ids = sorted(r["id"] for r in served[resource_type])
    assert [r.id for r in fhir.resources(resource_type).sort("-_id").limit(50).fetch_all()] == ids[::-1]
    titled = fhir.resources(resource_type).sort("title").elements("title").fetch_all()
    titles = [r.get("title") or "" for r in titled]
    assert titles == sorted(titles, key=str.casefold)
    for resource in titled:
        assert "statistic" not in resource and "note" not in resource and "relatedArtifact" not in resource
        assert resource["meta"]["tag"][-1]["code"] == "SUBSETTED"


def test_search_criteria_answer_as_over_plain_http(fhir: Any, live_url: str) -> None:
    for params in ({"measure": "cr"}, {"measure": "cr,os"}, {"_id": "measure-cr"}):
        by_fhirpy = [r.id for r in fhir.resources("Evidence").search(**params).fetch_all()]
        assert by_fhirpy == [r["id"] for r in _pages(live_url, "Evidence", **params)]
    assert fhir.resources("Evidence").search(measure="cr").count() > 0


@pytest.mark.parametrize("resource_type", RESOURCE_TYPES)
def test_reads_and_every_reference_resolve(
    fhir: Any, served: dict[str, list[dict[str, Any]]], resource_type: str
) -> None:
    for resource in served[resource_type]:
        read = fhir.reference(resource_type, resource["id"]).to_resource()
        assert read.serialize() == resource
        for target in sorted(references(resource)):
            kind, _, rid = target.partition("/")
            resolved = fhir.reference(reference=target).to_resource()
            assert (resolved.resourceType, resolved.id) == (kind, rid)
