"""FHIR search as the specification says: unsupported parameters ignored and reported (or refused
under Prefer: handling=strict), _summary, _elements, _sort, _total, _count=0, POST _search, XML
refused, integers in ASCII digits only."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.fhir.search_parameters import SearchRefused, read_search, strict_handling
from models.enums import Measure
from tests.fhir_checks import validate

FHIR_JSON = "application/fhir+json"
STRICT = {"Prefer": "handling=strict"}


def _bundle(client: TestClient, path: str, params: Any = None, headers: dict[str, str] | None = None) -> Any:
    response = client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(FHIR_JSON)
    body = response.json()
    validate(body)
    return body


def _matches(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]


def _outcomes(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle.get("entry", []) if e["search"]["mode"] == "outcome"]


def _refused(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(FHIR_JSON)
    body: dict[str, Any] = response.json()
    validate(body)
    assert body["resourceType"] == "OperationOutcome"
    return body


@pytest.mark.parametrize(
    "unsupported",
    [{"colour": "red"}, {"measure:exact": "cr"}, {"study.title": "x"}, {"_include": "Evidence:subject"}],
)
def test_unsupported_parameters_are_ignored_and_reported_unless_strict(
    client: TestClient, unsupported: dict[str, str]
) -> None:
    plain = _bundle(client, "/fhir/Evidence", {"measure": "cr", "_count": 500})
    lenient = _bundle(client, "/fhir/Evidence", {"measure": "cr", "_count": 500, **unsupported})
    assert [r["id"] for r in _matches(lenient)] == [r["id"] for r in _matches(plain)]
    assert lenient["total"] == plain["total"]
    assert not _outcomes(plain)
    (outcome,) = _outcomes(lenient)
    name = next(iter(unsupported))
    assert any(name in issue["diagnostics"] for issue in outcome["issue"])
    assert {issue["severity"] for issue in outcome["issue"]} == {"warning"}
    strict = client.get("/fhir/Evidence", params={"measure": "cr", **unsupported}, headers=STRICT)
    assert name in _refused(strict, 400)["issue"][0]["diagnostics"]
    # Strict handling changes nothing when every parameter is supported.
    assert _bundle(client, "/fhir/Evidence", {"measure": "cr", "_count": 500}, STRICT) == plain


def test_answers_say_they_vary_on_accept_and_prefer(client: TestClient) -> None:
    response = client.get("/fhir/Evidence", params={"colour": "red"})
    vary = {v.strip().lower() for v in response.headers["vary"].split(",")}
    assert {"accept", "prefer"} <= vary
    # Asked again under strict handling, the answer is not the remembered lenient one.
    _refused(client.get("/fhir/Evidence", params={"colour": "red"}, headers=STRICT), 400)


@pytest.mark.parametrize("params", [{"_summary": "count"}, {"_count": "0"}])
def test_count_only_gives_the_total_and_no_entries(client: TestClient, params: dict[str, str]) -> None:
    full = _bundle(client, "/fhir/Evidence", {"measure": "cr", "_count": 500})
    counted = _bundle(client, "/fhir/Evidence", {"measure": "cr", **params})
    assert counted["total"] == full["total"] == len(_matches(full)) > 0
    assert "entry" not in counted


def test_summary_true_keeps_summary_elements_only_and_says_so(client: TestClient) -> None:
    full = _matches(_bundle(client, "/fhir/Evidence", {"_count": 20}))
    short = _matches(_bundle(client, "/fhir/Evidence", {"_count": 20, "_summary": "true"}))
    assert [r["id"] for r in short] == [r["id"] for r in full]
    for whole, summary in zip(full, short, strict=True):
        assert "statistic" in whole and "statistic" not in summary and "note" not in summary
        assert summary["title"] == whole["title"] and summary["status"] == whole["status"]
        assert {"code": "SUBSETTED"}.items() <= summary["meta"]["tag"][-1].items()
    assert _matches(_bundle(client, "/fhir/Evidence", {"_count": 20, "_summary": "false"})) == full


def test_elements_keeps_what_is_named_and_the_mandatory(client: TestClient) -> None:
    found = _matches(_bundle(client, "/fhir/ResearchStudy", {"_elements": "title,phase", "_count": 500}))
    assert found
    for resource in found:
        assert set(resource) <= {"resourceType", "id", "meta", "title", "phase", "status"}
        assert {"title", "status"} <= set(resource)
        assert resource["meta"]["tag"][-1]["code"] == "SUBSETTED"


def _walk(client: TestClient, resource_type: str, params: dict[str, str]) -> list[dict[str, Any]]:
    bundle = _bundle(client, f"/fhir/{resource_type}", {**params, "_count": 7})
    found = _matches(bundle)
    while next_link := {link["relation"]: link["url"] for link in bundle["link"]}.get("next"):
        bundle = _bundle(client, next_link.removeprefix("http://testserver"))
        found += _matches(bundle)
    return found


def _document_date(resource: dict[str, Any]) -> str | None:
    if resource["resourceType"] == "Citation":
        forms = resource.get("citedArtifact", {}).get("publicationForm", [])
        return forms[0].get("articleDate") if forms else None
    dates = [a["publicationDate"] for a in resource.get("relatedArtifact", []) if "publicationDate" in a]
    return max(dates, default=None)


@pytest.mark.parametrize("resource_type", ["Evidence", "Citation", "ResearchStudy"])
def test_sort_by_id_title_and_document_date_both_ways(client: TestClient, resource_type: str) -> None:
    by_id = [r["id"] for r in _walk(client, resource_type, {"_sort": "_id"})]
    assert by_id == sorted(by_id)
    assert [r["id"] for r in _walk(client, resource_type, {"_sort": "-_id"})] == sorted(by_id, reverse=True)
    titles = [r["title"].casefold() for r in _walk(client, resource_type, {"_sort": "title"})]
    assert titles == sorted(titles)
    for descending in (False, True):
        found = _walk(client, resource_type, {"_sort": ("-" if descending else "") + "date,_id"})
        dates = [_document_date(r) for r in found]
        given = [d for d in dates if d is not None]
        assert given, f"no {resource_type} carries a document date"
        assert given == sorted(given, reverse=descending)
        assert dates[: len(given)] == given, "resources without a date sort last"
        assert sorted(r["id"] for r in found) == sorted(by_id)


def test_total_none_leaves_the_total_out(client: TestClient) -> None:
    assert "total" not in _bundle(client, "/fhir/Citation", {"_total": "none"})
    assert _bundle(client, "/fhir/Citation", {"_total": "accurate"})["total"] > 0


@pytest.mark.parametrize(
    "params",
    [
        {"measure": "cr", "_count": "3"},
        {"_sort": "-date", "_elements": "title", "_count": "4", "_offset": "2"},
        {"colour": "red", "_summary": "count"},
    ],
)
def test_post_search_with_a_form_body_gives_the_get_answer(client: TestClient, params: dict[str, str]) -> None:
    got = _bundle(client, "/fhir/Evidence", params)
    posted = client.post("/fhir/Evidence/_search", data=params)
    assert posted.status_code == 200, posted.text
    assert posted.headers["content-type"].startswith(FHIR_JSON)
    assert posted.json() == got
    # Split between the query string and the body, still the same answer.
    first, *rest = params.items()
    assert client.post("/fhir/Evidence/_search", params=dict([first]), data=dict(rest)).json() == got


def test_post_search_refuses_other_bodies_as_operation_outcomes(client: TestClient) -> None:
    as_json = client.post("/fhir/Evidence/_search", json={"measure": "cr"})
    _refused(as_json, 415)
    _refused(client.post("/fhir/Evidence/_search", content=b"measure=" + b"c" * 3000, headers=_form()), 413)
    _refused(client.post("/fhir/Evidence/_search", content=b"measure=\xff", headers=_form()), 400)
    _refused(client.post("/fhir/Patient/_search", data={"measure": "cr"}), 404)
    _refused(client.post("/fhir/Evidence/_search", data={"_count": "\u00b2"}), 400)


def _form() -> dict[str, str]:
    return {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize(
    ("params", "headers"),
    [
        ({}, {"Accept": "application/fhir+xml"}),
        ({}, {"Accept": "application/xml"}),
        ({"_format": "xml"}, {}),
        ({"_format": "application/fhir+xml"}, {}),
    ],
)
@pytest.mark.parametrize("path", ["/fhir/metadata", "/fhir/Evidence", "/fhir/CodeSystem/measure"])
def test_xml_is_refused_with_406(
    client: TestClient, path: str, params: dict[str, str], headers: dict[str, str]
) -> None:
    _refused(client.get(path, params=params, headers=headers), 406)


@pytest.mark.parametrize("path", ["/fhir/metadata", "/fhir/Evidence", "/fhir/CodeSystem/measure"])
@pytest.mark.parametrize("accept", ["application/fhir+xml", "application/xml", "text/xml"])
def test_format_json_overrides_an_xml_accept(client: TestClient, path: str, accept: str) -> None:
    # FHIR R5 (http.html): _format lets a client that cannot set Accept ask for JSON (session 9's probe: 406).
    for wanted in ("json", "application/fhir+json"):
        answer = client.get(path, params={"_format": wanted}, headers={"Accept": accept})
        assert answer.status_code == 200, (wanted, answer.text)
        assert answer.headers["content-type"].startswith("application/fhir+json")


def test_json_or_anything_alongside_xml_is_served(client: TestClient) -> None:
    for accept in ("application/fhir+json", "application/fhir+xml, application/fhir+json;q=0.9", "*/*", ""):
        assert client.get("/fhir/metadata", headers={"Accept": accept}).status_code == 200, accept


@pytest.mark.parametrize("digits", ["\u00b2", "\uff15", "\u0665", "\u09e8", "1\u00b2"])
@pytest.mark.parametrize("name", ["_count", "_offset"])
def test_integers_take_ascii_digits_only(client: TestClient, name: str, digits: str) -> None:
    body = _refused(client.get("/fhir/Evidence", params={name: digits}), 400)
    assert name in body["issue"][0]["diagnostics"]


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [("/fhir/Evidence?x=" + "a" * 3000, 414, "too-long"), ("/fhir/Evidence%2Fx", 400, "invalid")],
)
def test_errors_of_the_http_layers_are_operation_outcomes_too(
    client: TestClient, path: str, status: int, code: str
) -> None:
    assert _refused(client.get(path), status)["issue"][0]["code"] == code
    # Outside /fhir the same refusals stay problem details.
    outside = client.get(path.replace("/fhir/Evidence", "/v1/outcomes"))
    assert outside.status_code == status and outside.headers["content-type"].startswith("application/problem+json")


def test_a_refused_search_says_why_as_its_message() -> None:
    """Read where it surfaces outside an OperationOutcome (a log line, a traceback)."""
    refused = SearchRefused(400, "invalid", "_count must be a whole number.")
    assert str(refused) == "_count must be a whole number."


def test_an_unsupported_sort_key_is_ignored_and_the_supported_ones_named(client: TestClient) -> None:
    asked = _bundle(client, "/fhir/Evidence", {"_sort": "colour,-title", "_count": 500})
    assert _matches(asked) == _matches(_bundle(client, "/fhir/Evidence", {"_sort": "-title", "_count": 500}))
    (outcome,) = _outcomes(asked)
    assert outcome["issue"] == [
        {
            "severity": "warning",
            "code": "not-supported",
            "diagnostics": "_sort by 'colour' is not supported (only _id, title, date); ignored.",
        }
    ]


def test_an_unknown_measure_is_answered_with_every_known_code(client: TestClient) -> None:
    body = _refused(client.get("/fhir/Evidence", params={"measure": "cr,nonsense"}), 400)
    known = ", ".join(m.value for m in Measure)
    assert body["issue"] == [
        {
            "severity": "error",
            "code": "code-invalid",
            "diagnostics": f"measure: unknown code 'nonsense'; known: {known}.",
            "expression": ["measure"],
        }
    ]


SUBSETTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "SUBSETTED",
    "display": "subsetted",
}
# R5's mandatory elements (min 1) of the types below, which _elements keeps whatever it names.
MANDATORY = {"Evidence": {"status", "variableDefinition"}, "Group": {"membership", "type"}, "ResearchStudy": {"status"}}


@pytest.mark.parametrize("resource_type", sorted(MANDATORY))
def test_elements_keeps_exactly_the_named_and_the_mandatory_and_tags_the_rest_subsetted(
    client: TestClient, resource_type: str
) -> None:
    whole = _matches(_bundle(client, f"/fhir/{resource_type}", {"_count": 500}))
    kept = _matches(_bundle(client, f"/fhir/{resource_type}", {"_count": 500, "_elements": "title,name"}))
    assert [r["id"] for r in kept] == [r["id"] for r in whole] != []
    wanted = {"resourceType", "id", "title", "name", *MANDATORY[resource_type]}
    for resource, subset in zip(whole, kept, strict=True):
        meta = resource.get("meta", {})
        expected = {k: v for k, v in resource.items() if k in wanted} | {
            "meta": {**meta, "tag": [*meta.get("tag", []), SUBSETTED]}
        }
        assert subset == expected


@pytest.mark.parametrize(
    ("prefer", "strict"),
    [
        (["handling=strict"], True),
        (["Handling=STRICT"], True),
        (["handling = strict"], True),
        (["return=minimal, handling=strict"], True),
        (["return=minimal,handling=strict"], True),
        (["return=minimal", "handling=strict"], True),
        (["handling=lenient"], False),
        (["return=minimal"], False),
        ([], False),
    ],
)
def test_strict_handling_is_read_from_any_preference_of_any_prefer_line(prefer: list[str], strict: bool) -> None:
    assert strict_handling(prefer) is strict


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("colour=red", ["Unsupported search parameter 'colour'; ignored."]),
        ("measure:exact=cr", ["Unsupported search modifier or chain 'measure:exact'; ignored."]),
        ("study.title=x", ["Unsupported search modifier or chain 'study.title'; ignored."]),
        ("colour.x=red", ["Unsupported search parameter 'colour.x'; ignored."]),
        ("study=", ["study has no value; ignored (an empty parameter is not an error)."]),
        ("_summary=text", ["_summary=text is not supported (resources carry no narrative); ignored."]),
        ("_sort=colour,colour&_sort=colour", ["_sort by 'colour' is not supported (only _id, title, date); ignored."]),
        ("b=1&a=1&b=2", ["Unsupported search parameter 'b'; ignored.", "Unsupported search parameter 'a'; ignored."]),
    ],
)
def test_each_parameter_ignored_is_reported_once_in_its_own_words(
    client: TestClient, query: str, said: list[str]
) -> None:
    (outcome,) = _outcomes(_bundle(client, f"/fhir/Evidence?{query}&_count=1"))
    assert [issue["diagnostics"] for issue in outcome["issue"]] == said


def test_at_most_twenty_ignored_parameters_are_listed_and_the_rest_counted(client: TestClient) -> None:
    query = "&".join(f"p{n}=x" for n in range(23))
    (outcome,) = _outcomes(_bundle(client, f"/fhir/Evidence?{query}&_count=1"))
    said = [issue["diagnostics"] for issue in outcome["issue"]]
    assert said == [f"Unsupported search parameter 'p{n}'; ignored." for n in range(20)] + [
        "3 more parameter(s) or value(s) ignored."
    ]


def test_strict_handling_refuses_naming_each_parameter_and_what_is_accepted(client: TestClient) -> None:
    body = _refused(client.get("/fhir/Evidence?colour=red&study=", headers=STRICT), 400)
    accepted = "_id, study, measure, source, _count, _offset, _format, _summary, _elements, _sort, _total, _pretty"
    assert body["issue"] == [
        {
            "severity": "error",
            "code": "not-supported",
            # study= is left out: an empty parameter is no error, strict or not (FHIR search 3.2.1.3).
            "diagnostics": f"Unsupported search parameter 'colour'. (Prefer: handling=strict.) Accepted: {accepted}.",
        }
    ]


@pytest.mark.parametrize(
    ("params", "ok"),
    [
        ({"_count": "500"}, True),
        ({"_count": "0"}, True),
        ({"_offset": "1000000"}, True),
        ({"_offset": "1000001"}, False),
        ({"_count": ["1", "2"]}, False),
        ({"_total": ["none", "none"]}, False),
        ({"_summary": ["true", "false"]}, False),
        ({"_count": "0000000005"}, False),
        ({"_id": "a" * 200}, True),
        ({"_id": "a" * 201}, False),
        ({"_id": "-a"}, False),
        ({"_elements": "a" * 64}, True),
        ({"_elements": "a" * 65}, False),
        ({"_elements": "9a"}, False),
        ({"_elements": " title , ,status"}, True),
    ],
)
def test_values_of_supported_parameters_are_checked_at_their_bounds(
    client: TestClient, params: dict[str, Any], ok: bool
) -> None:
    response = client.get("/fhir/Evidence", params=params)
    assert response.status_code == (200 if ok else 400), response.text


def test_format_is_a_supported_parameter_of_a_search_in_the_query_or_the_body(client: TestClient) -> None:
    assert not _outcomes(_bundle(client, "/fhir/Evidence", {"_format": "json", "_count": "1"}))
    posted = client.post("/fhir/Evidence/_search", data={"_format": "application/fhir+json", "_count": "1"})
    assert posted.status_code == 200 and not _outcomes(posted.json())
    refused = _refused(client.post("/fhir/Evidence/_search", data={"_format": "xml"}), 406)
    assert refused["issue"][0]["expression"] == ["_format"]


def test_every_repeat_and_every_parameter_is_a_criterion_of_its_own() -> None:
    # Repeats of a parameter are ANDed (one criterion each), their comma-separated values ORed; a
    # second parameter adds its criteria to the first's rather than replacing them.
    search = read_search([("study", "a"), ("measure", "cr"), ("study", "b,c")], strict=False)
    assert search.criteria == [("study", ["a"]), ("study", ["b", "c"]), ("measure", ["cr"])]


def test_strict_handling_names_every_unsupported_parameter_in_one_sentence_each() -> None:
    with pytest.raises(SearchRefused) as refused:
        read_search([("foo", "1"), ("bar", "2")], strict=True)
    assert refused.value.diagnostics.startswith(
        "Unsupported search parameter 'foo'. Unsupported search parameter 'bar'. (Prefer: handling=strict.)"
    ), refused.value.diagnostics


def test_a_token_may_name_its_system(client: TestClient) -> None:
    """Session 11's second probe (Q8): `system|code`, the FHIR token form a generic client sends, was a 400."""
    system = client.get("/fhir/CodeSystem/measure").json()["url"]
    bare = client.get("/fhir/Evidence", params={"measure": "cr"}).json()
    assert bare["total"] > 0
    qualified = client.get("/fhir/Evidence", params={"measure": f"{system}|cr"}).json()
    assert [e["resource"]["id"] for e in qualified["entry"]] == [e["resource"]["id"] for e in bare["entry"]]
    assert client.get("/fhir/Evidence", params={"measure": "http://other.example/cs|cr"}).json()["total"] == 0
    assert client.get("/fhir/Evidence", params={"measure": "|cr"}).json()["total"] == 0  # our codes have a system
    either = client.get("/fhir/Evidence", params={"measure": "http://other.example/cs|os,cr"}).json()
    assert either["total"] == bare["total"]
    study = client.get("/fhir/ResearchStudy", params={"_id": "rd13-01"}).json()["total"]
    assert study == 1 and client.get("/fhir/ResearchStudy", params={"_id": "|rd13-01"}).json()["total"] == study
    refused = client.get("/fhir/Evidence", params={"measure": f"{system}|"})
    (issue,) = refused.json()["issue"]
    assert refused.status_code == 400 and issue["code"] == "not-supported" and issue["expression"] == ["measure"]
    assert issue["diagnostics"] == f"measure: '{system}|' names a system without a code; give the code."
    two_bars = client.get("/fhir/Evidence", params={"measure": f"{system}|cr|x"})  # the code is 'cr|x': no code
    assert two_bars.status_code == 400 and "'cr|x' is not a valid identifier or code" in two_bars.text


def test_format_written_as_the_docs_write_it_and_a_preference_with_parameters_are_read(client: TestClient) -> None:
    """Session 12's ninth probe (C7, C9): `_format=application/fhir+json` typed into a URL (its '+' read as a
    space) was a 406, and `Prefer: handling=strict; x=1` was taken as lenient."""
    for raw in ("application/fhir+json", "application/fhir%2Bjson;fhirVersion=5.0"):
        assert client.get(f"/fhir/Evidence?_count=1&_format={raw}").status_code == 200, raw
    assert client.get("/fhir/Evidence?_format=application/fhir+xml").status_code == 406
    strict = client.get("/fhir/Evidence?bogus=1", headers={"Prefer": "handling=strict; x=1"})
    assert strict.status_code == 400, strict.text
