"""The form of a record's identifier, wherever one is asked for: a path, a filter, a tool argument."""

from typing import Annotated

from pydantic import StringConstraints

# Every id the data holds (studies, arms, figures, documents) is of this form. Asking for anything
# else is refused (422) before it reaches the database: PostgreSQL cannot even compare text holding
# a NUL byte, and answered such a filter as if the database were down.
RECORD_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
RECORD_ID_MAX_LENGTH = 200

RecordId = Annotated[str, StringConstraints(pattern=RECORD_ID_PATTERN, max_length=RECORD_ID_MAX_LENGTH)]
