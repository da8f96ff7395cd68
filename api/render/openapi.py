"""The OpenAPI document, adjusted so error responses are declared as problem+json only."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.errors import PROBLEM_MEDIA_TYPE, answers_errors_as_html


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
        app.openapi_schema = document
    return app.openapi_schema
