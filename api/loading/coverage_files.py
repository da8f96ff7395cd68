"""The per-document coverage files (seeds/coverage/<document id>.yaml): what was left out, and corrections made.

Corrections become rows when the dataset is built: each names its records in words a reader
wrote ('ctd402-rp2d.findings.future-indications', 'rd13-01 (study, report, ...)',
'yu-v-hag-phase2.outcomes.crc, cr-cri-cycle1'), which are resolved here to the ids the
records are served under. A name that is no record (a whole document, a group) resolves to
nothing: the correction is still served, in /v1/corrections, with no record ids.
"""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlmodel import SQLModel

from api.loading.fixture_files import FixtureError, FixtureIssue, format_loc, read_yaml_data
from models import (
    AdverseEvent,
    Arm,
    CarProduct,
    Characteristic,
    EpidemiologyFigure,
    Finding,
    Intervention,
    Outcome,
    Report,
    Source,
    Study,
)
from models.correction import Correction, CorrectionLink
from models.coverage import CoverageFile

# The parts of a study file a reader names between the study id and a record's own id.
SECTIONS = frozenset(
    {"outcomes", "adverse_events", "characteristics", "findings", "arms", "interventions", "car_products", "reports"}
)
NAMED_TABLES: tuple[type[SQLModel], ...] = (
    Study,
    Arm,
    Intervention,
    CarProduct,
    Report,
    Outcome,
    AdverseEvent,
    Characteristic,
    Finding,
    EpidemiologyFigure,
    Source,
)
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
READINGS = ("second_reading", "third_reading")


def coverage_paths(directory: Path) -> list[Path]:
    """The coverage files of the directory, by name: its *.yaml files, the only ones read."""
    return sorted(directory.glob("*.yaml")) if directory.is_dir() else []


def read_coverage(directory: Path, *, max_bytes: int) -> dict[str, CoverageFile]:
    """Every coverage file of the directory (TALL_COVERAGE_DIR), by document id.

    Read under the fixtures' guards (a regular file, at most max_bytes, UTF-8, no YAML aliases,
    repeated keys or deep nesting): a FIFO would hang the build and a 400-byte alias bomb grow it
    without bound. Raises FixtureError naming each file by its path and what is wrong.
    """
    if not directory.is_dir():
        raise FixtureError([FixtureIssue(str(directory), "", "not a directory; set TALL_COVERAGE_DIR to where it is")])
    files: dict[str, CoverageFile] = {}
    issues = []
    for path in coverage_paths(directory):
        label = str(path)
        try:
            coverage = CoverageFile.model_validate(read_yaml_data(path, label, max_bytes=max_bytes))
        except FixtureError as exc:
            issues += exc.issues
            continue
        except ValidationError as exc:
            issues += [
                FixtureIssue(label, format_loc(tuple(e["loc"])), e["msg"]) for e in exc.errors(include_url=False)
            ]
            continue
        if coverage.source_id != path.stem:
            issues.append(FixtureIssue(label, "source_id", "must equal the file name stem"))
        files[coverage.source_id] = coverage
    if issues:
        raise FixtureError(issues)
    return files


def check_every_document_covered(coverage: dict[str, CoverageFile], registered: list[str], directory: Path) -> None:
    """Each registered document has its coverage file: a directory without them (a mistyped
    TALL_COVERAGE_DIR naming another directory) built without their corrections, without a word
    (session 12's probe, B1). Raises FixtureError naming the directory and the documents."""
    missing = [source_id for source_id in registered if source_id not in coverage]
    if missing:
        shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        message = (
            f"no coverage file for the registered document(s) {shown} (each has <document id>.yaml here); "
            "set TALL_COVERAGE_DIR to the directory that holds them"
        )
        raise FixtureError([FixtureIssue(str(directory), "", message)])


def named_records(record: str, known: dict[str, str | None]) -> list[str]:
    """The ids of the records a reader's name points at, in the order named; known maps id -> its study.

    'study.findings (a, b)' names the study's findings a and b; a group named only in words
    ('study.adverse_events (all 12)') falls back to the study (or arm) itself. Names separated
    by ';' are read one by one.
    """
    return list(dict.fromkeys(i for part in record.split(";") for i in _named_in(part, known)))


def _named_in(record: str, known: dict[str, str | None]) -> list[str]:
    found: list[str] = []
    groups: list[str] = []
    context: str | None = None  # after 'study.outcomes' or 'study.x': bare ids that follow are that study's
    for token in TOKEN.findall(record):
        parts = token.rstrip(".").split(".")
        candidate = ".".join(p for p in parts if p not in SECTIONS)
        if len(parts) > 1 and parts[-1] in SECTIONS and candidate in known:
            context = candidate
            groups.append(candidate)
        elif candidate in known:
            found.append(candidate)
            context = candidate.rsplit(".", 1)[0] if "." in candidate else context
        elif context and f"{context}.{candidate}" in known:
            found.append(f"{context}.{candidate}")
    return found or groups


def correction_rows(
    coverage: dict[str, CoverageFile], rows: dict[type[SQLModel], list[dict[str, Any]]]
) -> dict[type[SQLModel], list[dict[str, Any]]]:
    """Rows of the corrections and of the records each names, given the rows of everything else."""
    known: dict[str, str | None] = {}
    for table in NAMED_TABLES:
        for row in rows.get(table, []):
            known[str(row["id"])] = str(row["id"]) if table is Study else row.get("study_id")
    corrections: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    for source_id, file in sorted(coverage.items()):
        for reading, position, change in _changes(file):
            correction_id = f"{source_id}.{reading}.{position}"
            corrections.append(
                {"id": correction_id, "position": position, "source_id": source_id, "reading": reading}
                | change.model_dump()
            )
            links += [
                {"correction_id": correction_id, "record_id": record_id, "study_id": known[record_id]}
                for record_id in named_records(change.record, known)
            ]
    return {Correction: corrections, CorrectionLink: links}


def _changes(file: CoverageFile) -> Iterator[tuple[str, int, Any]]:
    for reading in READINGS:
        done = getattr(file, reading)
        for position, change in enumerate(done.changes if done else [], start=1):
            yield reading, position, change
