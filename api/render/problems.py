"""Problems as responses: problem+json, or an HTML page under /embed/; the exception handlers that send them."""

import logging
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from api.errors import PROBLEM_MEDIA_TYPE, ApiError, out_of_descriptors
from api.fhir.responses import FHIR_MEDIA_TYPE, fhir_json, operation_outcome
from api.render.html import render_page
from api.settings import LOG_NAME
from models.problem import FHIR_ISSUE_TYPES, Problem, ProblemField, answers_errors_as_html, error_face, jsonrpc_refusal

logger = logging.getLogger(LOG_NAME)
# A client told the service is out of file descriptors may ask again this many seconds later.
RETRY_AFTER_SECONDS = 1


# Problems listed in one answer: a 2 KB query of bad values would otherwise be answered with
# tens of KB (each listed problem repeats what is accepted).
MAX_LISTED_PROBLEMS = 20
T = TypeVar("T")


def capped(items: Sequence[T], more: Callable[[int], T]) -> list[T]:
    """The first MAX_LISTED_PROBLEMS items, and one more made by `more` from how many were left out."""
    if len(items) <= MAX_LISTED_PROBLEMS:
        return list(items)
    return [*items[:MAX_LISTED_PROBLEMS], more(len(items) - MAX_LISTED_PROBLEMS)]


def listed(errors: list[ProblemField]) -> list[ProblemField]:
    """The first MAX_LISTED_PROBLEMS problems, and one more saying how many were left out."""
    return capped(
        errors,
        lambda left_out: ProblemField(
            location="(more)", message=f"{left_out} more problem(s) of the same request not listed"
        ),
    )


def problem_response(
    request: Request,
    status: int,
    detail: str | None,
    *,
    errors: list[ProblemField] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = Problem(
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=listed(errors or []),
    )
    path = request.url.path.removeprefix(request.scope.get("root_path", ""))
    face = error_face(path)
    if face == "fhir":
        # FHIR clients read OperationOutcomes, never problem details: the same status, FHIR's form.
        outcome = operation_outcome(FHIR_ISSUE_TYPES.get(status, "processing"), detail or HTTPStatus(status).phrase)
        return Response(fhir_json(outcome), status_code=status, media_type=FHIR_MEDIA_TYPE, headers=headers)
    if face == "mcp":
        # An MCP client reads JSON-RPC error objects (a query too long, not UTF-8): the same status.
        refusal = jsonrpc_refusal(detail or HTTPStatus(status).phrase)
        return JSONResponse(refusal, status_code=status, headers=headers)
    if answers_errors_as_html(path):
        page = render_page(request, "problem.html", status_code=status, problem=body)
        page.headers.update(headers or {})
        return page
    return JSONResponse(body.model_dump(), status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _location(loc: tuple[object, ...]) -> str:
    return ".".join(str(part) for part in loc)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return problem_response(request, exc.status, exc.detail, errors=exc.errors)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else None
    return problem_response(request, exc.status_code, detail, headers=getattr(exc, "headers", None))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [ProblemField(location=_location(tuple(e["loc"])), message=e["msg"]) for e in exc.errors()]
    return problem_response(request, 422, "The request has invalid parameters.", errors=errors)


async def _client_gone(request: Request, exc: Exception) -> Response:
    # The client hung up before sending its whole body: nothing went wrong here and no one reads the
    # answer. Handled inside (not by the catch-all), so it is neither logged as an error nor re-raised.
    logger.debug("client disconnected during %s %s", request.method, request.url.path)
    return Response(status_code=400)


def one_line(exc: BaseException) -> str:
    """An error's message on one line (a database driver's, not SQLAlchemy's wrapping of it)."""
    return " ".join(str(getattr(exc, "orig", None) or exc).split())


def descriptor_shortage(request: Request, exc: BaseException) -> Response | None:
    """503 with Retry-After, and one log line without a traceback, when exc comes from having no
    file descriptor free (too many connections or files open at once); None for any other failure."""
    if not out_of_descriptors(exc):
        return None
    logger.error("out of file descriptors on %s (%s): answered 503", request.url.path, one_line(exc))
    detail = "The service has no file descriptor free (too many connections at once); try again shortly."
    return problem_response(request, 503, detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


async def _unexpected(request: Request, exc: Exception) -> Response:
    shortage = descriptor_shortage(request, exc)
    if shortage is not None:
        return shortage
    # Never leak a traceback to the client; the log keeps it.
    logger.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return problem_response(request, 500, "An unexpected error occurred.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ClientDisconnect, _client_gone)
    # OSError by name too: an exception handled there is answered and done, while the catch-all's
    # is raised again to the server (to log its traceback), which a descriptor shortage must not be.
    app.add_exception_handler(OSError, _unexpected)
    app.add_exception_handler(Exception, _unexpected)
