"""The form of a record's identifier, wherever one is asked for: a path, a filter, a tool argument."""

import hashlib
import re
from typing import Annotated

from pydantic import StringConstraints

# Every id the data holds (studies, arms, figures, documents) is of this form. Asking for anything
# else is refused (422) before it reaches the database: PostgreSQL cannot even compare text holding
# a NUL byte, and answered such a filter as if the database were down.
RECORD_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
RECORD_ID_MAX_LENGTH = 200

RecordId = Annotated[str, StringConstraints(pattern=RECORD_ID_PATTERN, max_length=RECORD_ID_MAX_LENGTH)]

_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


def fhir_id(raw: str) -> str:
    """A FHIR id ([A-Za-z0-9-.], at most 64) for one of our ids; readable where it can be.

    Here, not in the FHIR package, because the loader refuses records whose ids would map to one
    FHIR id (two resources under one id make the FHIR face unservable)."""
    candidate = raw.replace("_", "-")
    if _FHIR_ID.match(candidate):
        return candidate
    digest = hashlib.sha256(raw.encode()).hexdigest()[:12]
    return re.sub(r"[^A-Za-z0-9\-.]", "-", raw)[:51] + "-" + digest


def group_id(study_id: str, arm_id: str | None, subgroup: str | None) -> str:
    """The FHIR id of the StudyGroup of a study's whole population, an arm, or either's subgroup."""
    return fhir_id(f"group-{arm_id or study_id}" + ("" if subgroup is None else f"-in-{subgroup}"))
