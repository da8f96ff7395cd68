"""One error hierarchy, one handler, one body: RFC 9457 problem details for every failure.

The body is served as application/problem+json, except under /embed/: those pages are read
by people inside an iframe, so there the same fields come as an HTML page (same status).
"""

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.views.templates import render_page
from models.problem import Problem, ProblemField

PROBLEM_MEDIA_TYPE = "application/problem+json"
HTML_ERROR_PREFIX = "/embed/"


def answers_errors_as_html(path: str) -> bool:
    """Embed pages (not their JSON helpers) answer errors as an HTML page an iframe can show."""
    return path.startswith(HTML_ERROR_PREFIX) and not path.endswith(".json")


logger = logging.getLogger("tall_evidence")


class ApiError(Exception):
    """An error the API reports to its client."""

    status = 400

    def __init__(self, detail: str, errors: list[ProblemField] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class NotFound(ApiError):
    status = 404


class InvalidInput(ApiError):
    status = 422


def problem_response(
    request: Request,
    status: int,
    detail: str | None,
    errors: list[ProblemField] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = Problem(
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=errors or [],
    )
    if answers_errors_as_html(request.url.path.removeprefix(request.scope.get("root_path", ""))):
        page = render_page(request, "problem.html", status_code=status, problem=body)
        page.headers.update(headers or {})
        return page
    return JSONResponse(body.model_dump(), status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _location(loc: tuple[object, ...]) -> str:
    return ".".join(str(part) for part in loc)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return problem_response(request, exc.status, exc.detail, exc.errors)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else None
    return problem_response(request, exc.status_code, detail, headers=getattr(exc, "headers", None))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [ProblemField(location=_location(tuple(e["loc"])), message=e["msg"]) for e in exc.errors()]
    return problem_response(request, 422, "The request has invalid parameters.", errors)


async def _unexpected(request: Request, exc: Exception) -> Response:
    # Never leak a traceback to the client; the log keeps it.
    logger.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return problem_response(request, 500, "An unexpected error occurred.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)


# Declared with the default media type; api.openapi moves them to problem+json.
COMMON_PROBLEM_RESPONSES: dict[int | str, dict[str, object]] = {
    414: {"model": Problem, "description": "Query string too long (problem details)."},
    422: {"model": Problem, "description": "Invalid or unknown parameters (problem details listing each one)."},
}
"""What any operation can answer, whatever its own parameters: the input limits of api.limits."""
PROBLEM_RESPONSES: dict[int | str, dict[str, object]] = {422: COMMON_PROBLEM_RESPONSES[422]}
NOT_FOUND_RESPONSES: dict[int | str, dict[str, object]] = {
    404: {"model": Problem, "description": "No record with that id (problem details)."},
    **PROBLEM_RESPONSES,
}


def html_problem_responses(*statuses: int) -> dict[int | str, dict[str, object]]:
    """OpenAPI declarations for HTML routes: their errors are problem details as an HTML page."""
    return {
        status: {
            "description": f"{HTTPStatus(status).phrase}: an HTML page carrying the problem-details fields.",
            "content": {"text/html": {"schema": {"type": "string"}}},
        }
        for status in statuses
    }
