"""One error hierarchy and one body: RFC 9457 problem details for every failure.

The body is served as application/problem+json, except under /embed/: those pages are read
by people inside an iframe, so there the same fields come as an HTML page (same status).
Turning a problem into a response is api.render.problems' job.
"""

import errno
from http import HTTPStatus

from models.problem import Problem, ProblemField

PROBLEM_MEDIA_TYPE = "application/problem+json"


class StartupRefusal(Exception):
    """Something this code must not serve (a database file, schema or fixtures): its message,
    naming the file and the problem, is the whole report (api.middleware.startup)."""


DESCRIPTOR_ERRNOS = (errno.EMFILE, errno.ENFILE)


def out_of_descriptors(exc: BaseException) -> bool:
    """Whether a failure comes from the process (or the system) having no file descriptor left:
    an OSError saying so, itself or among its causes (api.database raises one when SQLite cannot
    open its file for that reason). A shortage passes as connections close: it is no fault to
    restart for, and no traceback helps."""
    seen: set[int] = set()
    found: BaseException | None = exc
    while found is not None and id(found) not in seen:
        if isinstance(found, OSError) and found.errno in DESCRIPTOR_ERRNOS:
            return True
        seen.add(id(found))
        found = found.__cause__ or found.__context__
    return False


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


# Declared with the default media type; api.render.openapi moves them to problem+json.
COMMON_PROBLEM_RESPONSES: dict[int | str, dict[str, object]] = {
    414: {"model": Problem, "description": "Query string too long (problem details)."},
    422: {"model": Problem, "description": "Invalid or unknown parameters (problem details listing each one)."},
}
"""What any operation can answer, whatever its own parameters: the input limits of api.middleware.limits."""
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
