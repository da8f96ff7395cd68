"""What the FHIR interactions answer besides resources: the CapabilityStatement, search Bundles,
OperationOutcomes, and the JSON text with the serving base URL put in."""

import json
from collections.abc import Mapping, Sequence

from api.fhir.elements import Json, Urls, compact
from api.fhir.search_index import SEARCH_PARAMETERS

FHIR_MEDIA_TYPE = "application/fhir+json"
FHIR_VERSION = "5.0.0"
BASE_TOKEN = "https://fhir-base.invalid/fhir"
"""Stands for the serving base URL while resources are built; with_base() puts the real one in.

The resources then do not depend on the Host a request names, so they are mapped once per
dataset; the reserved .invalid domain cannot occur in curated text."""


def with_base(resource: Json, base: str) -> str:
    """The resource as compact JSON, with this service's base URL where the token stands."""
    return json.dumps(resource, ensure_ascii=False, allow_nan=False, separators=(",", ":")).replace(BASE_TOKEN, base)


RESOURCE_TYPES = ("Evidence", "EvidenceVariable", "Citation", "ResearchStudy")
CONTROL_PARAMETERS = ("_count", "_offset", "_format")


def capability_statement(urls: Urls, *, software_version: str, dataset_version: str, date: str) -> Json:
    return {
        "resourceType": "CapabilityStatement",
        "id": "tall-evidence",
        "name": "TallEvidenceFhir",
        "title": "T-ALL Evidence API, FHIR R5 face",
        "status": "active",
        "date": date,
        "publisher": "T-ALL Evidence API",
        "description": "Read-only FHIR R5 view of curated T-ALL/LBL therapy evidence (dataset version "
        f"{dataset_version}): Evidence per outcome and adverse-event figure and per pooled comparison, "
        "EvidenceVariable per measure, time point and adverse-event term, Citation per source document and "
        f"report, ResearchStudy per study. Extensions defined here: {urls.source_figure} (the figure as printed, "
        f"its document and locator) and {urls.recorded_conflict} (a recorded disagreement between figures).",
        "kind": "instance",
        "software": {"name": "tall-evidence", "version": software_version},
        "implementation": {"description": "T-ALL Evidence API", "url": urls.base},
        "fhirVersion": FHIR_VERSION,
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Search results are Bundles of type searchset, paged with _count (1-500, default "
                "50) and _offset; unknown parameters and bad values are answered with an OperationOutcome.",
                "resource": [
                    {
                        "type": kind,
                        "interaction": [{"code": "read"}, {"code": "search-type"}],
                        "searchParam": [
                            {"name": name, "type": "token", "documentation": text}
                            for name, text in SEARCH_PARAMETERS.items()
                        ],
                    }
                    for kind in RESOURCE_TYPES
                ],
            }
        ],
    }


def searchset(entries: Sequence[Json], *, base: str, total: int, links: Mapping[str, str]) -> Json:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": [{"relation": relation, "url": url} for relation, url in links.items()],
        "entry": [
            {"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "match"}}
            for r in entries
        ],
    }


def operation_outcome(code: str, diagnostics: str, expression: Sequence[str] = ()) -> Json:
    issue = compact({"severity": "error", "code": code, "diagnostics": diagnostics, "expression": list(expression)})
    return {"resourceType": "OperationOutcome", "issue": [issue]}
