"""Canonical URLs are names from one setting, never the Host; every definition they name is served there."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.fhir.definitions import RECORDED_CONFLICT, SOURCE_FIGURE, ExtensionDefinition, definitions
from api.fhir.elements import Urls
from api.main import create_app
from api.render.labels import label
from api.settings import FHIR_CANONICAL_BASE_PLACEHOLDER, Settings
from models.enums import AdverseEventTerm, Measure
from tests.fhir_checks import validate, walk

TYPES = ("Evidence", "EvidenceVariable", "Citation", "ResearchStudy")
DEFINITION_TYPES = ("StructureDefinition", "CodeSystem", "NamingSystem")
CONFIGURED = "https://evidence.example.net/tall/fhir"


def _all(client: TestClient, resource_type: str) -> list[dict[str, Any]]:
    bundle = client.get(f"/fhir/{resource_type}", params={"_count": 500}).json()
    assert bundle["total"] <= 500
    return [e["resource"] for e in bundle.get("entry", [])]


def _canonical_urls(resources: list[dict[str, Any]], base: str) -> set[str]:
    """Extension URLs, code systems and identifier systems under the canonical base."""
    found = set()
    for resource in resources:
        for path, value in walk(resource):
            if isinstance(value, str) and value.startswith(base + "/") and path.endswith(("url", "system")):
                found.add(value)
    return found


def _extensions(resource: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for _, value in walk(resource):
        if isinstance(value, dict) and isinstance(value.get("extension"), list):
            yield from value["extension"]


@pytest.fixture(scope="module")
def configured() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(fhir_canonical_base=CONFIGURED + "/"))) as client:
        yield client


def test_the_default_base_is_a_placeholder_and_used_whatever_the_host(client: TestClient) -> None:
    assert "example.org" in FHIR_CANONICAL_BASE_PLACEHOLDER and "not-configured" in FHIR_CANONICAL_BASE_PLACEHOLDER
    for host in ("testserver", "other.example.com"):
        body = client.get("/fhir/Evidence", params={"_count": 3}, headers={"Host": host}).json()
        urls = _canonical_urls([e["resource"] for e in body["entry"]], FHIR_CANONICAL_BASE_PLACEHOLDER)
        assert f"{FHIR_CANONICAL_BASE_PLACEHOLDER}/StructureDefinition/source-figure" in urls
        assert host not in str(urls)


def test_every_canonical_url_referred_to_is_served_at_its_path(configured: TestClient) -> None:
    served = [r for t in (*TYPES, *DEFINITION_TYPES) for r in _all(configured, t)]
    urls = _canonical_urls(served, CONFIGURED)
    assert {f"{CONFIGURED}/StructureDefinition/source-figure", f"{CONFIGURED}/CodeSystem/measure"} <= urls
    assert not _canonical_urls(served, FHIR_CANONICAL_BASE_PLACEHOLDER), "the placeholder leaked past the setting"
    for url in sorted(urls):
        # The path of the canonical URL, as this server sees it behind a proxy that strips /tall.
        path = url.removeprefix("https://evidence.example.net/tall")
        response = configured.get(path)
        assert response.status_code == 200, url
        definition = response.json()
        validate(definition)
        assert definition["resourceType"] in DEFINITION_TYPES
        assert url in (definition["url"], *(u["value"] for u in definition.get("uniqueId", [])))


def test_every_extension_served_conforms_to_its_structure_definition(configured: TestClient) -> None:
    definitions = {d["url"]: d for d in _all(configured, "StructureDefinition")}
    checked = 0
    for resource in (r for t in TYPES for r in _all(configured, t)):
        for extension in _extensions(resource):
            definition = definitions.get(extension["url"])
            if definition is None:
                continue
            slices = {e["sliceName"]: e for e in definition["differential"]["element"] if "sliceName" in e}
            types = {
                e["id"].split(":")[1].removesuffix(".value[x]"): {t["code"] for t in e["type"]}
                for e in definition["differential"]["element"]
                if e["path"] == "Extension.extension.value[x]"
            }
            parts = [p["url"] for p in extension["extension"]]
            assert set(parts) <= set(slices), f"{resource['id']}: parts {parts} outside {sorted(slices)}"
            for name, element in slices.items():
                count = parts.count(name)
                assert count >= element["min"] and (element["max"] == "*" or count <= int(element["max"])), name
            for part in extension["extension"]:
                (value_key,) = [k for k in part if k.startswith("value")]
                assert value_key.removeprefix("value").lower() in {t.lower() for t in types[part["url"]]}
            checked += 1
    assert checked > 0


def test_code_systems_hold_every_code_the_resources_use(configured: TestClient) -> None:
    systems = {cs["url"]: {c["code"] for c in cs["concept"]} for cs in _all(configured, "CodeSystem")}
    used = 0
    for resource in (r for t in TYPES for r in _all(configured, t)):
        for _, value in walk(resource):
            if isinstance(value, dict) and value.get("system") in systems and "code" in value:
                assert value["code"] in systems[value["system"]]
                used += 1
    assert used > 0


@pytest.mark.parametrize(
    "value",
    ["ftp://example.org/fhir", "https://example.org/other", "/fhir", "https://example.org/fhir?x=1", "https:///fhir"],
)
def test_a_bad_canonical_base_is_refused_naming_the_setting(value: str) -> None:
    with pytest.raises(ValidationError, match="fhir_canonical_base"):
        Settings(fhir_canonical_base=value)


def _complex_extension(definition: ExtensionDefinition, url: str) -> list[dict[str, Any]]:
    """The differential of a complex extension (FHIR R5, Extension): closed slices by url, one per part,
    each with its fixed url, its value types and cardinality, no nested extensions; no value of its own."""
    elements: list[dict[str, Any]] = [
        {"id": "Extension", "path": "Extension", "short": definition.title, "definition": definition.description},
        {
            "id": "Extension.extension",
            "path": "Extension.extension",
            "slicing": {"discriminator": [{"type": "value", "path": "url"}], "rules": "closed"},
        },
    ]
    for part in definition.parts:
        key = f"Extension.extension:{part.name}"
        types = [
            {
                "code": t,
                **(
                    {"targetProfile": [f"http://hl7.org/fhir/StructureDefinition/{r}" for r in part.targets]}
                    if t == "Reference"
                    else {}
                ),
            }
            for t in part.types
        ]
        elements += [
            {
                "id": key,
                "path": "Extension.extension",
                "sliceName": part.name,
                "short": part.definition,
                "definition": part.definition,
                "min": part.min,
                "max": part.max,
            },
            {"id": f"{key}.extension", "path": "Extension.extension.extension", "max": "0"},
            {"id": f"{key}.url", "path": "Extension.extension.url", "fixedUri": part.name},
            {"id": f"{key}.value[x]", "path": "Extension.extension.value[x]", "min": 1, "type": types},
        ]
    return [
        *elements,
        {"id": "Extension.url", "path": "Extension.url", "fixedUri": url},
        {"id": "Extension.value[x]", "path": "Extension.value[x]", "max": "0"},
    ]


def test_each_definition_is_exactly_the_fhir_definition_of_what_it_names() -> None:
    urls = Urls(CONFIGURED)
    built = {(d["resourceType"], d["id"]): d for d in definitions(urls, date="2024-05-06")}
    expected: dict[tuple[str, str], dict[str, Any]] = {}
    for extension in (SOURCE_FIGURE, RECORDED_CONFLICT):
        url = f"{CONFIGURED}/StructureDefinition/{extension.id}"
        expected[("StructureDefinition", extension.id)] = {
            "resourceType": "StructureDefinition",
            "id": extension.id,
            "url": url,
            "name": extension.name,
            "title": extension.title,
            "status": "active",
            "date": "2024-05-06",
            "description": extension.description,
            "fhirVersion": "5.0.0",
            "kind": "complex-type",
            "abstract": False,
            "context": [{"type": "element", "expression": c} for c in extension.contexts],
            "type": "Extension",
            "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Extension",
            "derivation": "constraint",
            "differential": {"element": _complex_extension(extension, url)},
        }
    for cs_id, name, title, codes in (
        ("measure", "Measure", "Outcome measures", [m.value for m in Measure]),
        ("adverse-event-term", "AdverseEventTerm", "Adverse-event terms", [t.value for t in AdverseEventTerm]),
    ):
        expected[("CodeSystem", cs_id)] = {
            "resourceType": "CodeSystem",
            "id": cs_id,
            "url": f"{CONFIGURED}/CodeSystem/{cs_id}",
            "name": name,
            "title": title,
            "status": "active",
            "date": "2024-05-06",
            "caseSensitive": True,
            "content": "complete",
            "count": len(codes),
            "concept": [{"code": code, "display": label(code)} for code in codes],
        }
    naming = f"{CONFIGURED}/NamingSystem/source-document"
    expected[("NamingSystem", "source-document")] = {
        "resourceType": "NamingSystem",
        "id": "source-document",
        "url": naming,
        "name": "SourceDocument",
        "title": "Source document ids of this service",
        "status": "active",
        "kind": "identifier",
        "date": "2024-05-06",
        "description": "The id this service gives each source document (its file name in the curated sources).",
        "uniqueId": [{"type": "uri", "value": naming, "preferred": True}],
    }
    assert built == expected
    for definition in built.values():
        validate(definition)
