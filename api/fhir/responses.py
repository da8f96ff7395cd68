"""What the FHIR interactions answer besides resources: the CapabilityStatement, search Bundles,
subsets (_summary, _elements), OperationOutcomes, and the JSON text."""

import json
from collections.abc import Callable, Mapping, Sequence

from api.fhir.elements import Json, Urls, compact
from api.fhir.search_index import SEARCH_PARAMETERS, SEARCHED_BY, SORT_PARAMETERS

FHIR_MEDIA_TYPE = "application/fhir+json"
FHIR_VERSION = "5.0.0"
RESOURCE_TYPES = (
    "Evidence",
    "EvidenceVariable",
    "Citation",
    "ResearchStudy",
    "Group",
    "StructureDefinition",
    "CodeSystem",
    "NamingSystem",
)
SUBSETTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "SUBSETTED",
    "display": "subsetted",
}
_ALWAYS = ("resourceType", "id", "meta")
# Summary elements (isSummary in FHIR R5) of the types served, and the mandatory ones (min 1),
# which _elements keeps whatever it names.
_SUMMARY_COMMON = ("implicitRules", "modifierExtension", "identifier", "status", "title", "url", "version", "date")
SUMMARY_ELEMENTS: dict[str, tuple[str, ...]] = {
    "Evidence": (*_SUMMARY_COMMON, "author", "contact", "endorser", "publisher", "useContext"),
    "EvidenceVariable": (*_SUMMARY_COMMON, "characteristic", "contact", "description", "name", "publisher"),
    "Citation": (*_SUMMARY_COMMON, "contact", "effectivePeriod", "experimental", "jurisdiction", "name"),
    "ResearchStudy": (
        *_SUMMARY_COMMON,
        "condition",
        "keyword",
        "partOf",
        "period",
        "phase",
        "primaryPurposeType",
        "protocol",
        "recruitment",
        "region",
        "result",
        "site",
        "studyDesign",
        "whyStopped",
    ),
    "Group": (
        "implicitRules",
        "modifierExtension",
        "identifier",
        "active",
        "characteristic",
        "code",
        "managingEntity",
        "membership",
        "name",
        "quantity",
        "type",
    ),
    "StructureDefinition": (
        *_SUMMARY_COMMON,
        "abstract",
        "baseDefinition",
        "context",
        "contextInvariant",
        "derivation",
        "experimental",
        "fhirVersion",
        "keyword",
        "kind",
        "name",
        "type",
    ),
    "CodeSystem": (
        *_SUMMARY_COMMON,
        "caseSensitive",
        "content",
        "count",
        "experimental",
        "name",
        "property",
        "filter",
    ),
    "NamingSystem": (*_SUMMARY_COMMON, "kind", "name", "uniqueId"),
}
MANDATORY_ELEMENTS: dict[str, tuple[str, ...]] = {
    "Evidence": ("status", "variableDefinition"),
    "Group": ("membership", "type"),
    "StructureDefinition": ("status", "url", "name", "kind", "abstract", "type"),
    "CodeSystem": ("status", "content"),
    "NamingSystem": ("status", "name", "kind", "date", "uniqueId"),
}


def fhir_json(resource: Json, *, pretty: bool = False) -> str:
    """A resource as JSON text, compact unless _pretty=true asks it indented (FHIR forbids NaN and infinities)."""
    if pretty:
        return json.dumps(resource, ensure_ascii=False, allow_nan=False, indent=2)
    return json.dumps(resource, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def subset(resource: Json, keep: Sequence[str]) -> Json:
    """The resource with only the elements named (and those always kept), tagged SUBSETTED as FHIR asks."""
    kind = resource["resourceType"]
    wanted = {*_ALWAYS, *keep, *MANDATORY_ELEMENTS.get(kind, ("status",))}
    kept = {k: v for k, v in resource.items() if k in wanted}
    meta = dict(kept.get("meta", {}))
    meta["tag"] = [*meta.get("tag", []), SUBSETTED]
    kept["meta"] = meta
    return kept


def summary(resource: Json) -> Json:
    """_summary=true: the summary elements only (and the mandatory ones, so the resource stays valid)."""
    return subset(resource, SUMMARY_ELEMENTS[resource["resourceType"]])


def capability_statement(urls: Urls, *, served_at: str, software_version: str, dataset_version: str, date: str) -> Json:
    """What this server does; served_at is where this request reached it (the canonical base is a name)."""
    sorts = "; ".join(f"{name}: {text}" for name, text in SORT_PARAMETERS.items())
    return {
        "resourceType": "CapabilityStatement",
        "id": "tall-evidence",
        "url": f"{urls.base}/CapabilityStatement/tall-evidence",
        "name": "TallEvidenceFhir",
        "title": "T-ALL Evidence API, FHIR R5 face",
        "status": "active",
        "date": date,
        "publisher": "T-ALL Evidence API",
        "description": "Read-only FHIR R5 view of curated T-ALL/LBL therapy evidence (dataset version "
        f"{dataset_version}): Evidence per outcome and adverse-event figure and per pooled comparison, "
        "EvidenceVariable per measure, time point and adverse-event term, Citation per source document and "
        f"report, ResearchStudy per study. Extensions defined here: {urls.source_figure} (the figure as printed, "
        f"its document and locator) and {urls.recorded_conflict} (a recorded disagreement between figures); "
        "each definition is served at its canonical URL.",
        "kind": "instance",
        "software": {"name": "tall-evidence", "version": software_version},
        "implementation": {"description": "T-ALL Evidence API", "url": served_at},
        "fhirVersion": FHIR_VERSION,
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Search (GET [type]?..., or POST [type]/_search with a form body: the same answer) "
                "returns a searchset Bundle, paged with _count (0-500, default 50; 0 gives the total alone) and "
                "_offset. Also _summary=true|false|count|data, _elements, _total, _pretty=true|false, and _sort by "
                f"{', '.join(SORT_PARAMETERS)} (a leading - for descending; {sorts}). Parameters not supported "
                "are ignored and reported in the Bundle as an OperationOutcome entry (search.mode outcome), or "
                "answered 400 under Prefer: handling=strict. Malformed values of supported parameters are a 400; "
                "XML is a 406; every error is an OperationOutcome. A read takes _format, _summary=true|false|data, "
                "_elements and _pretty; any other parameter is a 400.",
                "resource": [
                    {
                        "type": kind,
                        "interaction": [{"code": "read"}, {"code": "search-type"}],
                        "searchParam": [
                            {"name": name, "type": "token", "documentation": SEARCH_PARAMETERS[name]}
                            for name in SEARCHED_BY[kind]
                        ],
                    }
                    for kind in RESOURCE_TYPES
                ],
            }
        ],
    }


def _as_is(url: str) -> str:
    return url


def searchset(
    entries: Sequence[Json],
    *,
    base: str,
    total: int | None,
    links: Mapping[str, str],
    ignored: Sequence[str] = (),
    located: Callable[[str], str] = _as_is,
) -> Json:
    """A search Bundle: the matches, then an OperationOutcome saying which parameters were ignored.
    located turns each entry's location into its fullUrl (under a ?version= pin, the pinned location)."""
    entry: list[Json] = [
        {"fullUrl": located(f"{base}/{r['resourceType']}/{r['id']}"), "resource": r, "search": {"mode": "match"}}
        for r in entries
    ]
    if ignored:
        issues = [{"severity": "warning", "code": "not-supported", "diagnostics": text} for text in ignored]
        entry.append({"resource": {"resourceType": "OperationOutcome", "issue": issues}, "search": {"mode": "outcome"}})
    return compact(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": total,
            "link": [{"relation": relation, "url": url} for relation, url in links.items()],
            "entry": entry,
        }
    )


def operation_outcome(code: str, diagnostics: str, expression: Sequence[str] = ()) -> Json:
    issue = compact({"severity": "error", "code": code, "diagnostics": diagnostics, "expression": list(expression)})
    return {"resourceType": "OperationOutcome", "issue": [issue]}
