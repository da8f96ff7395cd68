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
