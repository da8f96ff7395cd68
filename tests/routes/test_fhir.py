"""The FHIR R5 face: every resource served is fetched, validated (fhir.resources, R5) and checked."""

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.fhir.elements import comparison_id
from api.fhir.responses import RESOURCE_TYPES, fhir_json
from api.settings import FHIR_CANONICAL_BASE_PLACEHOLDER
from models.enums import Measure
from tests.fhir_checks import fresh_index, problems, references, resources_of, validate

FHIR_JSON = "application/fhir+json"
TYPES = RESOURCE_TYPES
BASE = FHIR_CANONICAL_BASE_PLACEHOLDER
SOURCE_FIGURE = f"{BASE}/StructureDefinition/source-figure"
RECORDED_CONFLICT = f"{BASE}/StructureDefinition/recorded-conflict"


def _fhir(client: TestClient, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(path, params=params) if params else client.get(path)  # keep a link's own query
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(FHIR_JSON)
    return response.json()


def _walk_search(client: TestClient, resource_type: str, **params: Any) -> tuple[list[dict[str, Any]], int]:
    """Follow next links from the first page to the last; the resources in order, and the total."""
    bundle = _fhir(client, f"/fhir/{resource_type}", **params)
    total, found, pages = bundle["total"], [], 0
    while True:
        validate(bundle)
        assert bundle["type"] == "searchset"
        found += [entry["resource"] for entry in bundle.get("entry", [])]
        links = {link["relation"]: link["url"] for link in bundle["link"]}
        assert bundle["total"] == total
        pages += 1
        assert pages < 1000, "next links do not end"
        if "next" not in links:
            break
        bundle = _fhir(client, links["next"].removeprefix("http://testserver"))
    return found, total


def _everything(client: TestClient) -> dict[str, dict[str, dict[str, Any]]]:
    """Every resource of every type, as the searches page through them (by type, then id)."""
    served: dict[str, dict[str, dict[str, Any]]] = {}
    for resource_type in TYPES:
        found, total = _walk_search(client, resource_type, _count=40)
        ids = [r["id"] for r in found]
        assert len(ids) == total == len(set(ids)), f"{resource_type}: pages repeat or skip resources"
        served[resource_type] = {r["id"]: r for r in found}
    return served


@pytest.fixture  # per test: see fresh_index
def served(client: TestClient) -> dict[str, dict[str, dict[str, Any]]]:
    return resources_of(fresh_index(client))


# What each type is searched by, written out (not imported): the figures' types by measure too; documents,
# reports and populations by study and source; the definitions by id alone.
SEARCHED_BY_TYPE = {
    "Evidence": {"_id", "study", "measure", "source"},
    "EvidenceVariable": {"_id", "study", "measure", "source"},
    "ResearchStudy": {"_id", "study", "measure", "source"},
    "Citation": {"_id", "study", "source"},
    "Group": {"_id", "study", "source"},
    "StructureDefinition": {"_id"},
    "CodeSystem": {"_id"},
    "NamingSystem": {"_id"},
}


def test_capability_statement_is_valid_r5_and_lists_every_type(client: TestClient) -> None:
    statement = _fhir(client, "/fhir/metadata")
    validate(statement)
    assert problems(statement, BASE) == []
    assert statement["fhirVersion"] == "5.0.0"
    resources = statement["rest"][0]["resource"]
    assert sorted(r["type"] for r in resources) == sorted(TYPES)
    for resource in resources:
        assert {i["code"] for i in resource["interaction"]} == {"read", "search-type"}
        assert {p["name"] for p in resource["searchParam"]} == SEARCHED_BY_TYPE[resource["type"]]


def test_canonical_urls_are_the_configured_base_never_the_host(client: TestClient) -> None:
    """Canonical URLs name definitions; fullUrl and implementation.url say where the request reached us."""
    for host in ("evidence.example.org", "testserver"):
        bundle = client.get("/fhir/Evidence", params={"_count": 5}, headers={"Host": host}).json()
        assert bundle["entry"][0]["fullUrl"].startswith(f"http://{host}/fhir/Evidence/")
        assert f"{host}/fhir/StructureDefinition" not in json.dumps(bundle)
        extensions = {e["url"] for entry in bundle["entry"] for e in entry["resource"].get("extension", [])}
        assert SOURCE_FIGURE in extensions
        statement = client.get("/fhir/metadata", headers={"Host": host}).json()
        assert statement["implementation"]["url"] == f"http://{host}/fhir"
        assert SOURCE_FIGURE in statement["description"]


def test_a_pinned_bundle_locates_its_entries_in_the_pinned_release(client: TestClient) -> None:
    """Session 15's probe (JA6): under ?version= the paging links kept the pin but each entry's fullUrl did
    not, so following it read the current release's resource (or a 404). The fullUrl is the entry's
    location with the pin, its path ending in the type and id (FHIR's rule for a RESTful fullUrl)."""
    version = client.get("/v1/meta").json()["dataset_version"]
    answers = (
        client.get("/fhir/Evidence", params={"_count": 3, "version": version}),
        client.post(f"/fhir/Evidence/_search?version={version}", data={"_count": "3"}),
    )
    for answer in answers:
        bundle = answer.json()
        validate(bundle)
        assert len(bundle["entry"]) == 3
        for entry in bundle["entry"]:
            resource = entry["resource"]
            location = f"http://testserver/fhir/Evidence/{resource['id']}"
            assert entry["fullUrl"] == f"{location}?version={version}"
            assert _fhir(client, entry["fullUrl"].removeprefix("http://testserver")) == resource
    for entry in _fhir(client, "/fhir/Evidence", _count=3)["entry"]:
        assert entry["fullUrl"] == f"http://testserver/fhir/Evidence/{entry['resource']['id']}"


def test_every_resource_type_has_resources(served: dict[str, dict[str, dict[str, Any]]]) -> None:
    for resource_type in TYPES:
        assert served[resource_type], f"no {resource_type} served"


def test_every_resource_served_reads_back_identical_and_validates(
    client: TestClient, served: dict[str, dict[str, dict[str, Any]]]
) -> None:
    assert _everything(client) == served  # searching pages through exactly what the mapping gives
    for resource_type, resources in served.items():
        for resource_id, resource in resources.items():
            read = _fhir(client, f"/fhir/{resource_type}/{resource_id}")
            assert read == resource
            validate(read)
            assert problems(read, BASE) == [], f"{resource_type}/{resource_id}"


def test_every_reference_resolves_within_the_service(
    client: TestClient, served: dict[str, dict[str, dict[str, Any]]]
) -> None:
    targets = {ref for resources in served.values() for r in resources.values() for ref in references(r)}
    assert targets, "no references at all"
    for target in sorted(targets):
        resource_type, resource_id = target.split("/")
        body = _fhir(client, f"/fhir/{target}")
        assert (body["resourceType"], body["id"]) == (resource_type, resource_id)


def _extension(resource: dict[str, Any], url: str) -> list[dict[str, Any]]:
    return [e for e in resource.get("extension", []) if e["url"] == url]


def _parts(extension: dict[str, Any]) -> dict[str, Any]:
    return {
        p["url"]: next((v for k, v in p.items() if k.startswith("value")), p.get("extension"))
        for p in extension["extension"]
    }


@pytest.mark.parametrize(("path", "kind"), [("/v1/outcomes", "outcome"), ("/v1/adverse-events", "adverse_event")])
def test_each_figure_is_an_evidence_carrying_printed_source_and_locator(
    client: TestClient, served: dict[str, dict[str, dict[str, Any]]], path: str, kind: str
) -> None:
    figures = client.get(path, params={"limit": 500}).json()
    assert figures["total"] <= 500
    by_printed = {}
    for evidence in served["Evidence"].values():
        for ext in _extension(evidence, SOURCE_FIGURE):
            parts = _parts(ext)
            by_printed[evidence["id"]] = parts
    for figure in figures["items"]:
        fhir_id = figure["id"].replace("_", "-")
        parts = by_printed[fhir_id]
        assert parts["printed"] == figure["printed"]
        assert parts["locator"] == figure["locator"]
        assert parts["source"]["reference"] == "Citation/" + figure["source_id"].replace("_", "-")
        statistic = served["Evidence"][fhir_id]["statistic"][0]
        counted = figure.get("numerator") if kind == "outcome" else figure.get("patients")
        assert statistic.get("numberOfEvents") == counted
        at_risk = figure.get("denominator") if kind == "outcome" else figure.get("at_risk")
        assert statistic.get("sampleSize", {}).get("numberOfParticipants") == at_risk


def test_wilson_intervals_are_the_comparisons_and_say_they_were_computed(
    client: TestClient, served: dict[str, dict[str, dict[str, Any]]]
) -> None:
    seen = 0
    for measure in ("cr", "cr_cri", "orr", "mrd_negative"):
        rows = client.get("/v1/comparison", params={"measure": measure, "subgroup": "any"}).json()["rows"]
        for row in rows:
            if row["interval_method"] != "wilson":
                continue
            estimates = served["Evidence"][row["outcome_id"].replace("_", "-")]["statistic"][0]["attributeEstimate"]
            interval = next(e for e in estimates if e["type"]["coding"][0]["code"] == "C53324")
            assert interval["range"]["low"]["value"] == pytest.approx(row["ci_low"])
            assert interval["range"]["high"]["value"] == pytest.approx(row["ci_high"])
            assert "computed by this service" in interval["description"]
            seen += 1
    assert seen > 0, "no Wilson interval checked"
    # A figure in a recorded conflict gets no interval: the comparison leaves it out.
    for evidence in served["Evidence"].values():
        if _extension(evidence, RECORDED_CONFLICT) and _extension(evidence, SOURCE_FIGURE):
            estimates = evidence["statistic"][0].get("attributeEstimate", [])
            assert not any(e["type"]["coding"][0]["code"] == "C53324" for e in estimates)


def test_each_pooled_comparison_is_an_evidence_matching_v1_comparison(
    client: TestClient, served: dict[str, dict[str, dict[str, Any]]]
) -> None:
    pooled = [e for e in served["Evidence"].values() if e["id"].startswith("comparison-")]
    # Exactly the pools GET /v1/comparison makes per measure at each time point it has figures for
    # are served, once each (FA14: the measure's comparison pools at one of them, and is not served
    # again); on the curated data that may be none, since only like pools with like.
    expected = set()
    for measure in Measure:
        figures = client.get("/v1/outcomes", params={"measure": measure.value, "limit": 500}).json()["items"]
        for time_point in sorted({f["time_point"] for f in figures if f["time_point"]}):
            query = {"measure": measure.value, "time_point": time_point}
            if client.get("/v1/comparison", params=query).json()["pooled"] is not None:
                expected.add(comparison_id(measure.value, time_point))
    assert {e["id"] for e in pooled} == expected
    assert len({frozenset(map(str, e["relatedArtifact"])) for e in pooled}) == len(pooled)
    codes = {m.value.replace("_", "-"): m.value for m in Measure}
    for evidence in pooled:
        measure, _, time_point = evidence["id"].removeprefix("comparison-").partition("-at-")
        params = {"measure": codes[measure], "time_point": time_point}
        variable = evidence["variableDefinition"][-1]["observed"]["reference"]
        assert variable.removeprefix("EvidenceVariable/") in served["EvidenceVariable"]
        expected = client.get("/v1/comparison", params=params).json()["pooled"]
        statistic = evidence["statistic"][0]
        assert statistic["quantity"]["value"] == pytest.approx(expected["proportion"])
        interval = statistic["attributeEstimate"][0]
        assert (interval["range"]["low"]["value"], interval["range"]["high"]["value"]) == pytest.approx(
            (expected["ci_low"], expected["ci_high"])
        )
        assert "Descriptive" in evidence["description"]
        assert len(evidence["relatedArtifact"]) == expected["k"]


def test_recorded_conflicts_are_visible_on_the_figures_and_studies_they_touch(
    client: TestClient, served: dict[str, dict[str, dict[str, Any]]]
) -> None:
    conflicts = client.get("/v1/conflicts", params={"limit": 500}).json()["items"]
    checked = 0
    for conflict in conflicts:
        for member in conflict["members"]:
            if member["kind"] not in ("outcome", "adverse_event"):
                continue
            evidence = served["Evidence"][member["id"].replace("_", "-")]
            ids = [_parts(e)["id"] for e in _extension(evidence, RECORDED_CONFLICT)]
            assert conflict["id"] in ids
            assert any(conflict["id"] in n["text"] for n in evidence["note"])
            study = served["ResearchStudy"][member["id"].split(".")[0]]
            assert conflict["id"] in [_parts(e)["id"] for e in _extension(study, RECORDED_CONFLICT)]
            document = served["Citation"][member["source_id"].replace("_", "-")]
            assert conflict["id"] in [_parts(e)["id"] for e in _extension(document, RECORDED_CONFLICT)]
            checked += 1
    assert checked > 0, "no conflict touches an outcome or adverse event"


def test_research_study_has_arms_as_comparison_groups_and_measures_as_outcome_measures(
    client: TestClient, served: dict[str, dict[str, dict[str, Any]]]
) -> None:
    for study in client.get("/v1/studies", params={"limit": 500}).json()["items"]:
        detail = client.get(f"/v1/studies/{study['id']}").json()
        resource = served["ResearchStudy"][study["id"]]
        assert [g["name"] for g in resource.get("comparisonGroup", [])] == [a["label"] for a in detail["arms"]]
        measures = {o["measure"] for o in detail["outcomes"]}
        assert len(resource.get("outcomeMeasure", [])) >= len(measures)
        assert len(resource.get("result", [])) == len(detail["reports"])


def test_citations_cover_every_source_document_and_report(
    client: TestClient, served: dict[str, dict[str, dict[str, Any]]]
) -> None:
    sources = client.get("/v1/sources", params={"limit": 500}).json()["items"]
    reports = [
        r
        for s in client.get("/v1/studies/batch", params={"id": list(served["ResearchStudy"])}).json()
        for r in s["reports"]
    ]
    expected = {s["id"].replace("_", "-") for s in sources} | {r["id"].replace("_", "-") for r in reports}
    assert set(served["Citation"]) == expected


def _a_study_with_figures(served: dict[str, dict[str, dict[str, Any]]]) -> str:
    return sorted(
        ref.removeprefix("ResearchStudy/")
        for evidence in served["Evidence"].values()
        for ref in references(evidence)
        if ref.startswith("ResearchStudy/")
    )[0]


@pytest.mark.parametrize("resource_type", TYPES)
def test_search_by_study_measure_and_source_returns_only_matches(
    client: TestClient, served: dict[str, dict[str, dict[str, Any]]], resource_type: str
) -> None:
    study_id = _a_study_with_figures(served)
    source_id = sorted(served["Citation"])[0]
    for params in ({"study": study_id}, {"measure": "cr"}, {"source": source_id}, {"measure": "cr,os"}):
        (name,) = params
        if name not in SEARCHED_BY_TYPE[resource_type]:
            # Session 12's probe (A10): a parameter the type is not indexed by matched nothing, as if
            # nothing were about it; it is not supported for the type, and said so.
            refused = client.get(f"/fhir/{resource_type}", params=params, headers={"Prefer": "handling=strict"})
            assert refused.status_code == 400 and "not supported for this resource type" in refused.text
            continue
        found, total = _walk_search(client, resource_type, _count=5, **params)
        assert len(found) == total
        assert {r["id"] for r in found} <= set(served[resource_type])
    if "measure" not in SEARCHED_BY_TYPE[resource_type]:
        return
    both, _ = _walk_search(client, resource_type, measure="cr,os")
    each = [_walk_search(client, resource_type, measure=m)[0] for m in ("cr", "os")]
    assert {r["id"] for r in both} == {r["id"] for found in each for r in found}


def test_search_by_study_is_exactly_its_figures_and_the_pools_they_enter(
    client: TestClient, served: dict[str, dict[str, dict[str, Any]]]
) -> None:
    study_id = _a_study_with_figures(served)
    figures = {e["id"] for e in served["Evidence"].values() if f"ResearchStudy/{study_id}" in references(e)}
    pools = {
        e["id"]
        for e in served["Evidence"].values()
        if e["id"].startswith("comparison-") and {f"Evidence/{f}" for f in figures} & references(e)
    }
    found, _ = _walk_search(client, "Evidence", study=study_id)
    assert figures and {r["id"] for r in found} == figures | pools
    by_fhir_id, _ = _walk_search(client, "ResearchStudy", study=study_id)
    assert [r["id"] for r in by_fhir_id] == [study_id]


def test_search_by_measure_is_exactly_the_evidence_of_that_measure(
    client: TestClient, served: dict[str, dict[str, dict[str, Any]]]
) -> None:
    outcomes = client.get("/v1/outcomes", params={"measure": "cr", "limit": 500}).json()["items"]
    found, _ = _walk_search(client, "Evidence", measure="cr")
    figure_ids = {r["id"] for r in found if not r["id"].startswith("comparison-")}
    assert figure_ids == {o["id"].replace("_", "-") for o in outcomes}


def test_paging_links_walk_forward_and_back_over_the_whole_set(client: TestClient) -> None:
    first = _fhir(client, "/fhir/Evidence", _count=9)
    forward, total = _walk_search(client, "Evidence", _count=9)
    assert len(forward) == total > 9
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert "previous" not in links
    last = _fhir(client, links["last"].removeprefix("http://testserver"))
    backward: list[dict[str, Any]] = []
    bundle = last
    while True:
        backward = [e["resource"] for e in bundle["entry"]] + backward
        links = {link["relation"]: link["url"] for link in bundle["link"]}
        if "previous" not in links:
            break
        bundle = _fhir(client, links["previous"].removeprefix("http://testserver"))
    assert [r["id"] for r in backward] == [r["id"] for r in forward]
    page = _fhir(client, "/fhir/Evidence", _count=9, _offset=9)
    assert [e["resource"]["id"] for e in page["entry"]] == [r["id"] for r in forward[9:18]]


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("/fhir/Evidence", {"measure": "nonsense"}, 400, "code-invalid"),
        ("/fhir/Evidence", {"_count": "\u00b2"}, 400, "invalid"),
        ("/fhir/Evidence", {"_offset": "\u00b9"}, 400, "invalid"),
        ("/fhir/Evidence", {"_count": "\uff15"}, 400, "invalid"),
        ("/fhir/Evidence", {"_count": "\u0665"}, 400, "invalid"),
        ("/fhir/Evidence", {"_count": "+5"}, 400, "invalid"),
        ("/fhir/Evidence", {"_summary": "sometimes"}, 400, "invalid"),
        ("/fhir/Evidence", {"_total": "roughly"}, 400, "invalid"),
        ("/fhir/Evidence", {"_elements": "title,<b>"}, 400, "invalid"),
        ("/fhir/Evidence", {"_count": "abc"}, 400, "invalid"),
        ("/fhir/Evidence", {"_count": "501"}, 400, "invalid"),
        ("/fhir/Evidence", {"_offset": "-1"}, 400, "invalid"),
        ("/fhir/Evidence", {"study": "<script>"}, 400, "invalid"),
        ("/fhir/Evidence", {"_format": "xml"}, 406, "not-supported"),
        ("/fhir/Patient", {}, 404, "not-supported"),
        ("/fhir/Evidence/no-such-id", {}, 404, "not-found"),
        ("/fhir/Evidence/bad_id!", {}, 400, "invalid"),
        ("/fhir/Evidence/x", {"study": "y"}, 400, "not-supported"),
        ("/fhir/Evidence/a/b", {}, 404, "not-supported"),
        # Session 10's probe (L6): type-level history was "'_history' is not a FHIR id", a 400.
        ("/fhir/ResearchStudy/_history", {}, 404, "not-supported"),
        ("/fhir/Evidence/_search", {}, 404, "not-supported"),
    ],
)
def test_bad_requests_get_an_operation_outcome_with_the_right_status(
    client: TestClient, path: str, params: dict[str, str], status: int, code: str
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(FHIR_JSON)
    body = response.json()
    validate(body)
    assert problems(body, BASE) == []
    assert body["issue"][0]["code"] == code
    assert body["issue"][0]["diagnostics"]


@pytest.mark.parametrize("path", ["ResearchStudy/_history", "Evidence/a/b", "ResearchStudy/x/_history/1"])
def test_a_path_that_is_no_interaction_served_says_which_are(client: TestClient, path: str) -> None:
    (issue,) = client.get(f"/fhir/{path}").json()["issue"]
    assert issue["diagnostics"] == (
        f"/fhir/{path} is not served: use /fhir/metadata, /fhir/<type>, /fhir/<type>/<id> or POST /fhir/<type>/_search."
    )


@pytest.mark.parametrize(
    ("path", "params", "expression"),
    [
        ("/fhir/Evidence", {"measure": "nonsense"}, ["measure"]),
        ("/fhir/Evidence", {"study": "<script>"}, ["study"]),
        ("/fhir/Evidence", {"_count": "501"}, ["_count"]),
        ("/fhir/Evidence", {"_offset": "-1"}, ["_offset"]),
        ("/fhir/Evidence", {"_summary": "sometimes"}, ["_summary"]),
        ("/fhir/Evidence", {"_total": "roughly"}, ["_total"]),
        ("/fhir/Evidence", {"_elements": "title,<b>"}, ["_elements"]),
        ("/fhir/Evidence", {"_format": "xml"}, ["_format"]),
        ("/fhir/Evidence/x", {"study": "y", "_count": "1"}, ["_count", "study"]),
        ("/fhir/Evidence/bad_id!", {}, None),
        ("/fhir/Patient", {}, None),
    ],
)
def test_a_refused_parameter_is_named_in_the_issue(
    client: TestClient, path: str, params: dict[str, str], expression: list[str] | None
) -> None:
    (issue,) = client.get(path, params=params).json()["issue"]
    assert issue.get("expression") == expression


@pytest.mark.parametrize(
    ("name", "allowed"), [("_summary", "true, false, count, data"), ("_total", "none, estimate, accurate")]
)
def test_a_value_outside_a_closed_set_is_answered_with_the_values_allowed(
    client: TestClient, name: str, allowed: str
) -> None:
    (issue,) = client.get("/fhir/Evidence", params={name: "sometimes"}).json()["issue"]
    assert issue["diagnostics"] == f"{name} must be one of {allowed}."


def test_writes_are_refused_with_an_operation_outcome(client: TestClient) -> None:
    # The security layer refuses every write before routing; under /fhir its answer is FHIR's.
    for method in ("post", "put", "delete", "patch"):
        for path in ("/fhir/Evidence/x", "/fhir/Evidence", "/fhir/Evidence/x/_search"):
            response = getattr(client, method)(path)
            assert response.status_code == 405, (method, path)
            assert response.headers["content-type"].startswith(FHIR_JSON)
            validate(response.json())
            assert response.json()["issue"][0]["code"] == "not-supported"


def test_format_parameter_accepts_the_json_spellings_only(client: TestClient) -> None:
    for fmt in ("json", "application/json", "application/fhir+json"):
        assert client.get("/fhir/metadata", params={"_format": fmt}).status_code == 200
    response = client.get("/fhir/metadata", params={"_format": "application/fhir+xml"})
    assert response.status_code == 406
    validate(response.json())


def test_the_metadata_takes_no_parameter_but_format_and_the_full_mode(client: TestClient) -> None:
    """Session 12's probe (A7): mode=terminology and any other parameter were dropped without a word."""
    assert client.get("/fhir/metadata", params={"mode": "full", "_format": "json"}).status_code == 200
    for params in ({"mode": "terminology"}, {"bogus": "1"}, {"_summary": "count"}):
        refused = client.get("/fhir/metadata", params=params)
        assert refused.status_code == 400 and refused.json()["resourceType"] == "OperationOutcome", params


def test_the_capability_statement_says_what_this_server_does(client: TestClient) -> None:
    """The whole statement: what a FHIR client reads before anything else, its words included (a
    change to them is a change to what the server publishes about itself, so it is made here too)."""
    meta = client.get("/v1/meta").json()
    served_at = "http://evidence.example.org/fhir"
    statement = client.get("/fhir/metadata", headers={"Host": "evidence.example.org"}).json()
    sorts = (
        "_id: The resource id.; title: The resource's title (a definition's name when it has no title).; "
        "date: The publication date of the document the resource is drawn from (a figure's, a study's latest); "
        "resources without one sort last."
    )
    search_parameters = [
        {"name": "_id", "type": "token", "documentation": "The resource id."},
        {
            "name": "study",
            "type": "token",
            "documentation": "Study id (ours or its FHIR id): resources about that study.",
        },
        {
            "name": "measure",
            "type": "token",
            "documentation": "Outcome measure code, e.g. cr: Evidence, ResearchStudy and EvidenceVariable about it.",
        },
        {
            "name": "source",
            "type": "token",
            "documentation": "Source document id (ours or its FHIR id): resources drawn from that document.",
        },
    ]
    assert statement == {
        "resourceType": "CapabilityStatement",
        "id": "tall-evidence",
        "url": f"{BASE}/CapabilityStatement/tall-evidence",
        "name": "TallEvidenceFhir",
        "title": "T-ALL Evidence API, FHIR R5 face",
        "status": "active",
        "date": meta["built_at"],
        "publisher": "T-ALL Evidence API",
        "description": "Read-only FHIR R5 view of curated T-ALL/LBL therapy evidence (dataset version "
        f"{meta['dataset_version']}): Evidence per outcome and adverse-event figure and per pooled comparison, "
        "EvidenceVariable per measure, time point and adverse-event term, Citation per source document and "
        f"report, ResearchStudy per study. Extensions defined here: {SOURCE_FIGURE} (the figure as printed, "
        f"its document and locator) and {RECORDED_CONFLICT} (a recorded disagreement between figures); "
        "each definition is served at its canonical URL.",
        "kind": "instance",
        "software": {"name": "tall-evidence", "version": meta["api_version"]},
        "implementation": {"description": "T-ALL Evidence API", "url": served_at},
        "fhirVersion": "5.0.0",
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Search (GET [type]?..., or POST [type]/_search with a form body: the same "
                "answer) returns a searchset Bundle, paged with _count (0-500, default 50; 0 gives the total "
                "alone) and _offset. Also _summary=true|false|count|data, _elements, _total, _pretty=true|false, "
                "and _sort by "
                f"_id, title, date (a leading - for descending; {sorts}). Parameters not supported are ignored "
                "and reported in the Bundle as an OperationOutcome entry (search.mode outcome), or answered 400 "
                "under Prefer: handling=strict. Malformed values of supported parameters are a 400; XML is a "
                "406; every error is an OperationOutcome. A read takes _format, _summary=true|false|data, "
                "_elements and _pretty; any other parameter is a 400.",
                "resource": [
                    {
                        "type": kind,
                        "interaction": [{"code": "read"}, {"code": "search-type"}],
                        "searchParam": [p for p in search_parameters if p["name"] in SEARCHED_BY_TYPE[kind]],
                    }
                    for kind in TYPES
                ],
            }
        ],
    }


def test_answers_are_compact_utf8_json_text(client: TestClient, served: dict[str, dict[str, dict[str, Any]]]) -> None:
    """As fhir_json writes them: no spaces between tokens, characters as they are rather than \\u escapes."""
    found = [
        (kind, rid)
        for kind, resources in served.items()
        for rid, resource in resources.items()
        if not json.dumps(resource, ensure_ascii=False).isascii()
    ]
    assert found, "no resource with a character outside ASCII"
    kind, rid = found[0]
    response = client.get(f"/fhir/{kind}/{rid}")
    compact = json.dumps(response.json(), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    assert response.content == compact.encode("utf-8")


def test_json_text_refuses_what_fhir_forbids() -> None:
    for value in (float("nan"), float("inf")):
        with pytest.raises(ValueError):
            fhir_json({"resourceType": "Basic", "extension": [{"url": "x", "valueDecimal": value}]})


def test_no_total_is_given_where_total_none_asks_for_none(client: TestClient) -> None:
    """Session 12's probe: `_count=0&_total=none` still gave the total."""
    assert "total" not in _fhir(client, "/fhir/Evidence", _count=0, _total="none")
    assert _fhir(client, "/fhir/Evidence", _count=0)["total"] > 0
