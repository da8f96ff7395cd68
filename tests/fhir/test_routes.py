"""The FHIR routes in process: what a search's links name, and how a handler's refusals are answered.

FhirRoute wraps a handler when its route is made, and the service's routes are made at import
(the module-level router): a test that only sends requests to them reaches a wrapper made before
it ran. The tests of the wrapping make routes of their own, so they reach it themselves.

The searches go to an app of this module's own without the response cache: an answer replayed
from the cache never reaches the route, so a test asking what an earlier one asked would not be
checking the route at all.
"""

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.responses import Response
from fastapi.testclient import TestClient
from starlette.requests import Request

from api.fhir.responses import RESOURCE_TYPES, fhir_json
from api.fhir.routes import DATED_TYPES, FhirRoute, _describe_dated
from api.fhir.search_parameters import PAGE_SIZE_DEFAULT, SearchRefused
from api.main import create_app
from api.request_body import BodyRefused
from api.settings import Settings
from api.state import app_state, build_described

FHIR = "http://testserver/fhir"


@pytest.fixture(scope="module")
def uncached() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(response_cache_enabled=False))) as client:
        yield client


def _search(client: TestClient, query: str, **headers: str) -> dict[str, Any]:
    response = client.get(f"/fhir/Evidence?{query}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _links(bundle: dict[str, Any]) -> dict[str, str]:
    return {link["relation"]: link["url"] for link in bundle["link"]}


def _page(kept: list[tuple[str, str]], count: int, offset: int, *, base: str = FHIR) -> str:
    return f"{base}/Evidence?" + urlencode([*kept, ("_count", count), ("_offset", offset)])


@pytest.mark.parametrize("count", ["nine", "all but one", "all", "all and one"])
def test_each_page_links_to_itself_the_first_its_neighbours_and_the_last_page(uncached: TestClient, count: str) -> None:
    total = _search(uncached, "_summary=count")["total"]
    size = {"nine": 9, "all but one": total - 1, "all": total, "all and one": total + 1}[count]
    # The last page holds the last match: it starts at the greatest multiple of the size below the total.
    last = max(k * size for k in range(total) if k * size < total)
    kept = [("_sort", "_id")]  # a parameter the links keep, which leaves every match in
    for offset in sorted({0, 1, size, last}):
        bundle = _search(uncached, f"_sort=_id&_count={size}&_offset={offset}")
        expected = {"self": _page(kept, size, offset), "first": _page(kept, size, 0)}
        if offset > 0:
            expected["previous"] = _page(kept, size, max(0, offset - size))
        if offset + size < total:
            expected["next"] = _page(kept, size, offset + size)
        expected["last"] = _page(kept, size, last)
        assert (bundle["total"], _links(bundle)) == (total, expected)
    # What the last link names is a page that holds matches and has none after it.
    final = uncached.get(_page(kept, size, last).removeprefix("http://testserver")).json()
    assert final.get("entry") and "next" not in _links(final)


def test_the_links_leave_out_what_the_search_ignored_and_keep_a_pin(uncached: TestClient) -> None:
    version = app_state(uncached.app).meta.dataset_version
    bundle = _search(uncached, f"study=&colour=red&measure=cr&_count=5&version={version}")
    assert _links(bundle)["self"] == _page([("measure", "cr"), ("version", version)], 5, 0)


@pytest.mark.parametrize("asked", ["_summary=count", "_count=0"])
def test_a_count_only_answer_links_to_itself_and_says_what_it_ignored(uncached: TestClient, asked: str) -> None:
    bundle = _search(uncached, f"measure=cr&colour=red&_offset=3&{asked}")
    assert bundle["total"] == _search(uncached, "measure=cr&_count=1")["total"] > 0
    kept = [("measure", "cr")] + ([("_summary", "count")] if asked == "_summary=count" else [])
    assert _links(bundle) == {"self": _page(kept, 0 if asked == "_count=0" else PAGE_SIZE_DEFAULT, 3)}
    [outcome] = bundle["entry"]
    assert outcome["search"] == {"mode": "outcome"}
    assert [issue["diagnostics"] for issue in outcome["resource"]["issue"]] == [
        "Unsupported search parameter 'colour'; ignored."
    ]


def test_links_are_built_on_the_host_the_request_named(uncached: TestClient) -> None:
    # A host ending in a capital X: only the slash after it is taken off.
    bundle = _search(uncached, "_count=1&_sort=_id", host="reader.example.orgX")
    assert bundle["entry"][0]["fullUrl"].startswith("http://reader.example.orgX/fhir/Evidence/")
    assert _links(bundle)["first"] == _page([("_sort", "_id")], 1, 0, base="http://reader.example.orgX/fhir")


def test_a_post_search_that_maps_the_resources_first_gives_the_get_answer() -> None:
    """POST _search maps the resources in a database session of its own when no request has yet."""
    with TestClient(create_app(Settings(response_cache_enabled=False))) as client:
        posted = client.post(
            "/fhir/Evidence/_search",
            content="measure=cr&_count=3",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert posted.status_code == 200, posted.text
        got = client.get("/fhir/Evidence?measure=cr&_count=3")
    assert posted.json() == got.json() and posted.json()["total"] > 0


def test_an_answer_holding_a_dated_definition_names_the_build(uncached: TestClient) -> None:
    meta = app_state(uncached.app).meta
    for resource_type in [*sorted(DATED_TYPES), "Evidence", "ResearchStudy", "Citation"]:
        scope: dict[str, Any] = {"type": "http", "state": {}}
        _describe_dated(Request(scope), resource_type, meta)
        assert build_described(scope) == (meta.built_at if resource_type in DATED_TYPES else None)


def _client_raising(error: Exception | None) -> TestClient:
    """A client of an app with one FHIR route, GET /fhir/x, whose handler raises error (or answers 'ok')."""
    router = APIRouter(prefix="/fhir", route_class=FhirRoute)

    @router.get("/x")
    def handler() -> Response:
        if error is not None:
            raise error
        return Response("ok", media_type="text/plain")

    app = FastAPI()
    app.include_router(router)
    return TestClient(app, raise_server_exceptions=False)


def _outcome(code: str, diagnostics: str, expression: list[str] | None = None) -> dict[str, Any]:
    issue: dict[str, Any] = {"severity": "error", "code": code, "diagnostics": diagnostics}
    if expression:
        issue["expression"] = expression
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def test_an_answer_the_handler_gives_passes_through_unchanged() -> None:
    response = _client_raising(None).get("/fhir/x")
    assert (response.status_code, response.text, response.headers["content-type"]) == (
        200,
        "ok",
        "text/plain; charset=utf-8",
    )
    assert "vary" not in response.headers and "connection" not in response.headers


def test_a_refused_search_is_its_operation_outcome_with_its_status() -> None:
    refused = SearchRefused(422, "invalid", "Parameter _count must be a number.", expression=("_count",))
    response = _client_raising(refused).get("/fhir/x")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/fhir+json"
    assert response.headers["vary"] == "Accept, Prefer"
    assert "connection" not in response.headers  # the connection stays usable
    assert response.json() == _outcome("invalid", "Parameter _count must be a number.", ["_count"])


@pytest.mark.parametrize(
    ("status", "code"),
    [(408, "timeout"), (413, "too-costly"), (501, "not-supported")],
)
def test_a_form_body_not_read_is_an_operation_outcome_and_closes_the_connection(status: int, code: str) -> None:
    response = _client_raising(BodyRefused(status, "the body is over 2048 bytes")).get("/fhir/x")
    assert response.status_code == status
    assert response.headers["content-type"] == "application/fhir+json"
    assert response.headers["vary"] == "Accept, Prefer"
    # The rest of the body was never read, so the connection cannot carry another request.
    assert response.headers["connection"] == "close"
    diagnostics = "The form body of POST _search was not read: the body is over 2048 bytes."
    assert response.json() == _outcome(code, diagnostics)


def test_any_other_error_is_not_turned_into_an_operation_outcome() -> None:
    response = _client_raising(ValueError("a bug")).get("/fhir/x")
    assert response.status_code == 500
    assert "OperationOutcome" not in response.text


@pytest.mark.parametrize("accept", ["application/fhir+xml;q=1.0", "application/xml;charset=utf-8", "text/xml; q=0.5"])
def test_xml_asked_with_parameters_is_refused(uncached: TestClient, accept: str) -> None:
    response = uncached.get("/fhir/metadata", headers={"Accept": accept})
    assert response.status_code == 406
    [issue] = response.json()["issue"]
    assert (issue["code"], issue["diagnostics"]) == (
        "not-supported",
        "Only JSON (application/fhir+json) is served; XML is not.",
    )


def test_accept_on_several_lines_is_read_as_one_list(uncached: TestClient) -> None:
    xml_only = uncached.get("/fhir/metadata", headers=[("Accept", "application/fhir+xml"), ("Accept", "text/plain")])
    assert xml_only.status_code == 406
    with_json = uncached.get(
        "/fhir/metadata", headers=[("Accept", "application/fhir+xml"), ("Accept", "application/json")]
    )
    assert with_json.status_code == 200


@pytest.mark.parametrize(
    "accept", ["application/fhir+xml, */*", "application/fhir+xml,application/*", "text/xml, application/fhir+json"]
)
def test_xml_asked_beside_json_or_any_type_is_served_json(uncached: TestClient, accept: str) -> None:
    response = uncached.get("/fhir/metadata", headers={"Accept": accept})
    assert response.status_code == 200 and response.headers["content-type"] == "application/fhir+json"


def test_xml_asked_beside_another_type_without_a_space_is_refused(uncached: TestClient) -> None:
    assert uncached.get("/fhir/metadata", headers={"Accept": "application/fhir+xml,text/plain"}).status_code == 406


@pytest.mark.parametrize("path", ["/fhir/Patient", "/fhir/Patient/p1"])
def test_a_resource_type_not_served_is_404_naming_those_served(uncached: TestClient, path: str) -> None:
    response = uncached.get(path)
    assert response.status_code == 404
    [issue] = response.json()["issue"]
    served = ", ".join(RESOURCE_TYPES)
    assert (issue["code"], issue["diagnostics"]) == (
        "not-supported",
        f"Resource type 'Patient' is not served here; served: {served}.",
    )


def test_a_read_takes_the_general_parameters_a_fhir_client_sends(client: TestClient) -> None:
    """Session 13's probe (FE4): a read refused _summary, _elements and _pretty with a 400, which FHIR
    gives every interaction (http.html); a client asking a summary of one resource got an error."""
    entries = client.get("/fhir/Evidence", params={"_count": 500}).json()["entry"]
    # One whose text is not all ASCII: it must stay as printed, indented or not.
    first = next(e["resource"] for e in entries if not json.dumps(e["resource"], ensure_ascii=False).isascii())
    path = f"/fhir/Evidence/{first['id']}"
    full = client.get(path)
    assert full.status_code == 200 and full.json() == first
    summarised = client.get(path, params={"_summary": "true"}).json()
    searched = client.get("/fhir/Evidence", params={"_id": first["id"], "_summary": "true"}).json()
    assert summarised == searched["entry"][0]["resource"] != first
    assert {"code": "SUBSETTED"}.items() <= summarised["meta"]["tag"][-1].items()
    kept = client.get(path, params={"_elements": "title"}).json()
    assert "title" in kept and "statistic" not in kept and "statistic" in first
    assert client.get(path, params={"_summary": "false"}).json() == first
    assert client.get(path, params={"_summary": "data"}).json() == first
    pretty = client.get(path, params={"_pretty": "true"})
    assert pretty.text == json.dumps(first, ensure_ascii=False, indent=2)
    assert client.get(path, params={"_pretty": "false"}).text == full.text
    assert client.get(path, params={"_summary": "", "_pretty": ""}).text == full.text  # empty: ignored
    refusals = {
        "_summary=count": "_summary must be one of true, false, data.",
        "_summary=text": "_summary must be one of true, false, data.",
        "_pretty=yes": "_pretty must be one of true, false.",
        "_count=1&x=1": "A read takes no parameters but _format, _summary, _elements, _pretty; got _count, x.",
    }
    for query, diagnostics in refusals.items():
        refused = client.get(f"{path}?{query}")
        assert refused.status_code == 400, query
        (issue,) = refused.json()["issue"]
        assert issue["diagnostics"] == diagnostics, query


def test_pretty_printing_is_the_same_resource_indented_on_every_fhir_interaction(client: TestClient) -> None:
    asked: list[tuple[str, dict[str, str]]] = [
        ("/fhir/metadata", {}),
        ("/fhir/Evidence", {"_count": "2"}),
        ("/fhir/Citation", {"_summary": "count"}),
        ("/fhir/Citation", {"_count": "0"}),
    ]
    for path, params in asked:
        compact = client.get(path, params=params)
        pretty = client.get(path, params={**params, "_pretty": "true"})
        assert pretty.status_code == compact.status_code == 200, path
        assert pretty.text == json.dumps(pretty.json(), ensure_ascii=False, indent=2), (path, params)
        assert "\n" not in compact.text, path
        if path == "/fhir/metadata":
            assert pretty.json() == compact.json()
        else:
            assert pretty.json()["total"] == compact.json()["total"]
            assert "_pretty=true" in pretty.json()["link"][0]["url"]
    # Not asked, nothing is indented: refusals by a route and by the layers before one.
    for refused in (client.get("/fhir/Evidence", params={"_count": "x"}), client.get("/fhir/Nothing/1")):
        assert refused.status_code >= 400 and "\n" not in refused.text, refused.text


@pytest.mark.parametrize("pretty", [False, True])
def test_fhir_json_refuses_what_json_cannot_hold_indented_or_not(pretty: bool) -> None:
    # FHIR's JSON has no NaN or infinity: a resource holding one is a bug to stop, not text to send.
    for value in (float("nan"), float("inf")):
        with pytest.raises(ValueError):
            fhir_json({"resourceType": "Basic", "value": value}, pretty=pretty)


def test_an_empty_format_is_no_format_and_json_is_served(client: TestClient) -> None:
    """Session 14's probe (GA9): `_format=` was a 406 ("_format '' is not served") on every interaction."""
    for path in ("/fhir/metadata", "/fhir/ResearchStudy/rd13-01"):
        answered = client.get(path, params={"_format": ""})
        assert answered.status_code == 200, (path, answered.text)
        assert answered.json() == client.get(path).json()
    searched = client.get("/fhir/Evidence", params={"_format": "", "_count": "1"}).json()
    assert searched["entry"][0] == client.get("/fhir/Evidence", params={"_count": "1"}).json()["entry"][0]
    outcome = searched["entry"][-1]["resource"]
    assert "_format has no value; ignored" in outcome["issue"][0]["diagnostics"]
    # Empty, it is no format: an XML Accept is then what asks, and is refused as without _format.
    assert (
        client.get("/fhir/Evidence", params={"_format": ""}, headers={"Accept": "application/fhir+xml"}).status_code
        == 406
    )
