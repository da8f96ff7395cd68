"""The one error body every failing request gets (RFC 9457 problem details)."""

from pydantic import BaseModel, Field, StrictInt


class ProblemField(BaseModel):
    """One invalid input."""

    location: str = Field(description="Where the bad input is, e.g. 'query.limit' or 'path.study_id'.")
    message: str = Field(description="What is wrong with it.")


class Problem(BaseModel):
    """RFC 9457 problem details, served as application/problem+json."""

    type: str = Field(default="about:blank", description="URI identifying the problem type.")
    title: str = Field(description="Short summary of the problem type.")
    status: StrictInt = Field(description="HTTP status code.")
    detail: str | None = Field(default=None, description="Explanation specific to this occurrence.")
    instance: str | None = Field(default=None, description="The request path that failed.")
    errors: list[ProblemField] = Field(default_factory=list, description="Each invalid input, for 422 responses.")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "type": "about:blank",
                    "title": "Not Found",
                    "status": 404,
                    "detail": "No study with id 'no-such-study'.",
                    "instance": "/v1/studies/no-such-study",
                    "errors": [],
                }
            ]
        }
    }


# FHIR's issue type (OperationOutcome.issue.code) for each status an error under /fhir can have:
# read by the FHIR face's errors and by the connection layer's refusals alike.
FHIR_ISSUE_TYPES = {
    400: "invalid",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    413: "too-costly",
    414: "too-long",
    415: "not-supported",
    422: "invalid",
    429: "throttled",
    431: "too-long",
    500: "exception",
    503: "transient",
    505: "not-supported",
}

# JSON-RPC 2.0's code for a request it cannot take (Invalid Request): what every refusal of a
# message to /mcp says, under the same HTTP status, since an MCP client reads JSON-RPC errors.
JSONRPC_INVALID_REQUEST = -32600


HTML_ERROR_PREFIX = "/embed/"


def answers_errors_as_html(path: str) -> bool:
    """Embed pages (not their JSON helpers) answer errors as an HTML page an iframe can show."""
    return path.startswith(HTML_ERROR_PREFIX) and not path.endswith(".json")


def error_face(path: str) -> str:
    """Which form an error answered for path takes: 'fhir' (an OperationOutcome), 'mcp' (a JSON-RPC
    error object) or 'problem' (RFC 9457 problem details; HTML under /embed/, decided by the caller)."""
    if path == "/fhir" or path.startswith("/fhir/"):
        return "fhir"
    if path == "/mcp":
        return "mcp"
    return "problem"


def jsonrpc_refusal(detail: str, code: int = JSONRPC_INVALID_REQUEST) -> dict[str, object]:
    """A JSON-RPC 2.0 error object for a message refused before its id could be read (id null)."""
    return {"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": detail}}
