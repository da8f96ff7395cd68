"""datapackage.json for the dataset ZIP: a Frictionless Data Package (v2) describing every CSV table.

It depends on the data alone (no build time), so two builds of the same data carry the same package.

Each table's schema is derived from the model whose columns the CSV has (the same columns_of
the CSV writer uses), through the model's JSON Schema as served: a field's type, whether it
is required, and the allowed values of an enumeration. A list of enumeration values, which the
CSV joins by '; ', and an object, which it writes as JSON, are declared strings, as that is what
the cell holds; any other list is one JSON array in the cell, declared an array. Keys: a
table with an `id` column has it as primary key, and every `<thing>_id` column pointing at a
table in the package with that primary key is a foreign key (studies, figures, findings and
sources link up; a link to a table not in the package, such as arm_id, is left undeclared).
"""

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from api.render.formats import LIST_SEPARATOR, joined_columns
from models.meta import DATASET_AUTHORS, DATASET_TITLE, Meta
from models.source import SourcePublic

PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
TABLE_PROFILE = "https://datapackage.org/profiles/2.0/tableschema.json"
CODE_LICENCE = {"name": "MIT", "path": "https://opensource.org/license/mit", "title": "MIT License (the code)"}
# The table a `<column>` foreign key points at, when that table is in the package.
REFERENCES = {
    "study_id": "studies",
    "source_id": "sources",
    "arm_id": "arms",
    "report_id": "reports",
}
JSON_TYPES = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean"}


def _resolved(schema: dict[str, Any], definitions: Mapping[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return _resolved(definitions[schema["$ref"].rsplit("/", 1)[-1]], definitions)
    return schema


def field_schema(
    name: str, schema: dict[str, Any], *, definitions: Mapping[str, Any], required: bool, joined: bool = False
) -> dict[str, Any]:
    """One Table Schema field from a property of a model's JSON Schema; `joined` for a list the CSV
    joins by LIST_SEPARATOR (formats.joined_columns), any other list being one JSON array."""
    schema = _resolved(schema, definitions)
    variants = [_resolved(s, definitions) for s in schema.get("anyOf", [schema])]
    present = [s for s in variants if s.get("type") != "null"]
    nullable = len(present) < len(variants)
    only = present[0] if len(present) == 1 else {}
    field: dict[str, Any] = {"name": name, "type": JSON_TYPES.get(only.get("type", ""), "string")}
    description = schema.get("description") or only.get("description")
    if only.get("type") == "array" and joined:
        description = f"{description or 'A list'} (items separated by '{LIST_SEPARATOR}')"
    elif only.get("type") == "array":
        field["type"] = "array"
        description = f"{description or 'A list'} (one JSON array)"
    elif only.get("type") == "object":
        description = f"{description or 'An object'} (as JSON)"
    if description:
        field["description"] = description
    constraints: dict[str, Any] = {}
    if required and not nullable:
        constraints["required"] = True
    if "enum" in only:
        constraints["enum"] = list(only["enum"])
    if constraints:
        field["constraints"] = constraints
    return field


def model_fields(model: type[BaseModel], columns: Sequence[str]) -> list[dict[str, Any]]:
    """The Table Schema fields of a CSV written with these columns of model (in that order)."""
    schema = model.model_json_schema(mode="serialization")
    properties, definitions = schema.get("properties", {}), schema.get("$defs", {})
    required, joined = set(schema.get("required", [])), joined_columns(model)
    return [
        field_schema(c, properties.get(c, {}), definitions=definitions, required=c in required, joined=c in joined)
        for c in columns
    ]


def table_schema(fields: list[dict[str, Any]], *, primary_key: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"$schema": TABLE_PROFILE, "fields": fields, "missingValues": [""]}
    if primary_key is None and any(f["name"] == "id" for f in fields):
        primary_key = ["id"]
    if primary_key:
        schema["primaryKey"] = primary_key
        for field in fields:
            if field["name"] in primary_key:
                field.setdefault("constraints", {})["required"] = True
    return schema


def link_tables(schemas: dict[str, dict[str, Any]]) -> None:
    """Declare each `<thing>_id` column as a foreign key to the table of things, where the package has it."""
    keyed = {name for name, schema in schemas.items() if schema.get("primaryKey") == ["id"]}
    for schema in schemas.values():
        keys = [
            {"fields": [f["name"]], "reference": {"resource": REFERENCES[f["name"]], "fields": ["id"]}}
            for f in schema["fields"]
            if REFERENCES.get(f["name"]) in keyed and f["name"] not in schema.get("primaryKey", [])
        ]
        if keys:
            schema["foreignKeys"] = keys


def data_package(schemas: dict[str, dict[str, Any]], *, meta: Meta, sources: Sequence[SourcePublic]) -> dict[str, Any]:
    """The package: one resource per table (file <name>.csv), with licences, sources, version and citation."""
    link_tables(schemas)
    return {
        "$schema": PROFILE,
        "name": "tall-evidence",
        "title": DATASET_TITLE,
        "description": "Curated evidence on therapy for T-cell acute lymphoblastic leukemia and lymphoma "
        "(T-ALL/LBL): every figure with its source document, the place in it and the words as printed.",
        "version": meta.dataset_version,
        "contributors": [{"title": DATASET_AUTHORS, "roles": ["creator"]}],
        "licenses": [
            {
                "name": meta.licence,
                "path": f"https://spdx.org/licenses/{meta.licence}.html",
                "title": f"{meta.licence} (the data)",
            },
            CODE_LICENCE,
        ],
        "sources": [{"title": s.title, **_source_path(s)} for s in sources],
        "citation": meta.how_to_cite,
        "attribution": meta.attribution,
        "resources": [
            {
                "name": name,
                "type": "table",
                "path": f"{name}.csv",
                "scheme": "file",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": schema,
            }
            for name, schema in schemas.items()
        ],
    }


def _source_path(source: SourcePublic) -> dict[str, str]:
    """A link for a source where it has an identifier a URL can be made of."""
    identifiers = source.identifiers or {}
    if "doi" in identifiers:
        return {"path": f"https://doi.org/{identifiers['doi']}"}
    if "pmid" in identifiers:
        return {"path": f"https://pubmed.ncbi.nlm.nih.gov/{identifiers['pmid']}/"}
    if "trial" in identifiers:
        return {"path": f"https://clinicaltrials.gov/study/{identifiers['trial']}"}
    return {}
