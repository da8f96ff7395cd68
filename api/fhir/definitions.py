"""The definitions this service's FHIR resources refer to, served at their canonical URLs.

Each extension has a StructureDefinition, each of our vocabularies a CodeSystem, the source
document ids a NamingSystem. Their URLs are built on the configured canonical base
(settings.fhir_canonical_base), never on the Host a request names, so they are names that
stay the same between deployments of one configuration; a validator or a person following
one to this server finds the definition at /fhir/<Type>/<id>.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from api.fhir.elements import Json, Urls
from api.render.labels import label
from models.enums import AdverseEventTerm, ConflictKind, Measure, ValueQualifier

FHIR_VERSION = "5.0.0"
EXTENSION_BASE = "http://hl7.org/fhir/StructureDefinition/Extension"


@dataclass(frozen=True)
class Part:
    """One sub-extension of a complex extension: its url, value types and cardinality."""

    name: str
    types: tuple[str, ...]
    definition: str
    min: int = 1
    max: str = "1"
    targets: tuple[str, ...] = ()  # for Reference values: the resource types referred to


@dataclass(frozen=True)
class ExtensionDefinition:
    id: str
    name: str
    title: str
    description: str
    contexts: tuple[str, ...]
    parts: tuple[Part, ...]


SOURCE_FIGURE = ExtensionDefinition(
    id="source-figure",
    name="SourceFigure",
    title="The figure as printed, its source document and the place in it",
    description="Carries a figure exactly as its source document prints it, the Citation of that document, "
    "where in the document it is, how the printed value qualifies the number, and whether curators derived it.",
    contexts=("Evidence",),
    parts=(
        Part("printed", ("string",), "The figure exactly as printed."),
        Part("source", ("Reference",), "The source document.", targets=("Citation",)),
        Part("locator", ("string",), "Where in the document: page, table, figure, section."),
        Part("qualifier", ("code",), "How the printed value qualifies the number: " + ", ".join(ValueQualifier)),
        Part("derived", ("boolean",), "Whether curators derived the counts or value rather than reading them."),
        Part("derivation", ("string",), "How the figure was derived, when it was.", min=0),
    ),
)
RECORDED_CONFLICT = ExtensionDefinition(
    id="recorded-conflict",
    name="RecordedConflict",
    title="A recorded disagreement between figures",
    description="A disagreement curators recorded within or between documents, kept visible on every figure, "
    "study and document it touches.",
    contexts=("Evidence", "ResearchStudy", "Citation"),
    parts=(
        Part("id", ("string",), "The conflict's id in this service."),
        Part("kind", ("code",), "Kind of conflict: " + ", ".join(ConflictKind)),
        Part("description", ("string",), "What disagrees, in curators' words."),
        Part(
            "member",
            ("Reference", "string"),
            "A figure taking part: a reference where FHIR serves it, else its kind, id and printed words.",
            min=0,
            max="*",
            targets=("Evidence",),
        ),
    ),
)
EXTENSIONS = (SOURCE_FIGURE, RECORDED_CONFLICT)


def _part_elements(part: Part) -> list[Json]:
    key = f"Extension.extension:{part.name}"
    types: list[Json] = [
        {"code": t, "targetProfile": [f"http://hl7.org/fhir/StructureDefinition/{r}" for r in part.targets]}
        if t == "Reference"
        else {"code": t}
        for t in part.types
    ]
    return [
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


def structure_definition(urls: Urls, extension: ExtensionDefinition, *, date: str) -> Json:
    url = urls.structure_definition(extension.id)
    elements: list[Json] = [
        {"id": "Extension", "path": "Extension", "short": extension.title, "definition": extension.description},
        {
            "id": "Extension.extension",
            "path": "Extension.extension",
            "slicing": {"discriminator": [{"type": "value", "path": "url"}], "rules": "closed"},
        },
    ]
    for part in extension.parts:
        elements += _part_elements(part)
    elements += [
        {"id": "Extension.url", "path": "Extension.url", "fixedUri": url},
        {"id": "Extension.value[x]", "path": "Extension.value[x]", "max": "0"},
    ]
    return {
        "resourceType": "StructureDefinition",
        "id": extension.id,
        "url": url,
        "name": extension.name,
        "title": extension.title,
        "status": "active",
        "date": date,
        "description": extension.description,
        "fhirVersion": FHIR_VERSION,
        "kind": "complex-type",
        "abstract": False,
        "context": [{"type": "element", "expression": c} for c in extension.contexts],
        "type": "Extension",
        "baseDefinition": EXTENSION_BASE,
        "derivation": "constraint",
        "differential": {"element": elements},
    }


def _code_system(urls: Urls, *, cs_id: str, title: str, codes: Sequence[str], date: str) -> Json:
    return {
        "resourceType": "CodeSystem",
        "id": cs_id,
        "url": urls.code_system(cs_id),
        "name": "".join(word.title() for word in cs_id.split("-")),
        "title": title,
        "status": "active",
        "date": date,
        "caseSensitive": True,
        "content": "complete",
        "count": len(codes),
        "concept": [{"code": code, "display": label(code)} for code in codes],
    }


def code_systems(urls: Urls, *, date: str) -> list[Json]:
    return [
        _code_system(urls, cs_id="measure", title="Outcome measures", codes=[m.value for m in Measure], date=date),
        _code_system(
            urls,
            cs_id="adverse-event-term",
            title="Adverse-event terms",
            codes=[t.value for t in AdverseEventTerm],
            date=date,
        ),
    ]


def source_naming_system(urls: Urls, *, date: str) -> Json:
    return {
        "resourceType": "NamingSystem",
        "id": "source-document",
        "url": urls.source_identifier,
        "name": "SourceDocument",
        "title": "Source document ids of this service",
        "status": "active",
        "kind": "identifier",
        "date": date,
        "description": "The id this service gives each source document (its file name in the curated sources).",
        "uniqueId": [{"type": "uri", "value": urls.source_identifier, "preferred": True}],
    }


def definitions(urls: Urls, *, date: str) -> list[Json]:
    """Every definitional resource the served resources refer to."""
    return [
        *(structure_definition(urls, e, date=date) for e in EXTENSIONS),
        *code_systems(urls, date=date),
        source_naming_system(urls, date=date),
    ]
