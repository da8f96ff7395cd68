"""The OpenAPI document, adjusted for client generators and linters.

Error responses are declared as problem+json only; every property of a response schema is
required (every body is serialised whole: no exclude_none/unset anywhere, nulls are sent as
null); string enums carry x-enum-varnames so generators name 'I/II' and 'III', or 'value' and
'-value', apart; the document names its server, contact and (no) security.
"""

import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.errors import PROBLEM_MEDIA_TYPE
from models.problem import answers_errors_as_html

# Who answers for the service; no address is invented here (README: "Questions" and the licence files).
CONTACT = {"name": "The T-ALL Evidence API contributors"}


def enum_varname(value: str) -> str:
    """A generator-safe identifier for an enum value: '-value' is value_desc, 'I/II' is I_II, 'T-ALL' T_ALL."""
    descending = value.startswith("-")
    name = re.sub(r"[^0-9A-Za-z]+", "_", value.lstrip("-")).strip("_") or "empty"
    if name[0].isdigit():
        name = "v_" + name
    return name + "_desc" if descending else name


def name_enum_values(schemas: dict[str, Any]) -> None:
    for title, schema in schemas.items():
        values = schema.get("enum")
        if not values or not all(isinstance(v, str) for v in values):
            continue
        names = [enum_varname(v) for v in values]
        if len({n.lower() for n in names}) != len(names):
            raise ValueError(f"enum {title}: values {values} do not give distinct names {names}")
        schema["x-enum-varnames"] = names


def drop_unused_schemas(document: dict[str, Any]) -> None:
    """Remove schemas nothing refers to (enums of the parameters left out of the document)."""
    schemas = document.get("components", {}).get("schemas", {})
    wanted: set[str] = set()
    pending = [{k: v for k, v in document.items() if k != "components"}]
    while pending:
        for name in re.findall(r"#/components/schemas/([^\"']+)", repr(pending.pop())):
            if name not in wanted and name in schemas:
                wanted.add(name)
                pending.append(schemas[name])
    for name in set(schemas) - wanted:
        del schemas[name]


def require_every_property(schemas: dict[str, Any]) -> None:
    for schema in schemas.values():
        properties = schema.get("properties")
        if properties:
            schema["required"] = list(properties)


def build_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        document = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
            license_info=app.license_info,
        )
        for path, operations in document["paths"].items():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if status == "414":
                        # Answered by api.middleware.limits before routing, in the route family's error format.
                        response["content"] = (
                            {"text/html": {"schema": {"type": "string"}}}
                            if answers_errors_as_html(path)
                            else {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
                        )
                    elif status.startswith(("4", "5")) and "application/json" in content:
                        response["content"] = {PROBLEM_MEDIA_TYPE: content["application/json"]}
        schemas = document.get("components", {}).get("schemas", {})
        drop_unused_schemas(document)
        name_enum_values(schemas)
        require_every_property(schemas)
        document["servers"] = [{"url": "/", "description": "The server this document is served from."}]
        document["security"] = []  # public and read-only: no credentials anywhere
        document["info"]["contact"] = CONTACT
        app.openapi_schema = document
    return app.openapi_schema
