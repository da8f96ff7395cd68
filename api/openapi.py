"""The OpenAPI document, adjusted so error responses are declared as problem+json only."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.errors import PROBLEM_MEDIA_TYPE


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
        for operations in document["paths"].values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if status.startswith(("4", "5")) and "application/json" in content:
                        response["content"] = {PROBLEM_MEDIA_TYPE: content["application/json"]}
        app.openapi_schema = document
    return app.openapi_schema
