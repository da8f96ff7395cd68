"""The whole dataset in one request, as JSON or as a ZIP of CSV tables, for mirroring."""

import io
import json
import zipfile
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlmodel import Session

from api.deps import ComputedDep, MetaDep, SessionDep, describe_build
from api.errors import PROBLEM_RESPONSES
from api.queries.dataset import whole_dataset
from api.queries.studies import CONFLICT_CSV_COLUMNS, conflict_member_rows
from api.render.datapackage import data_package, model_fields, table_schema
from api.render.formats import (
    DatasetFormatQuery,
    Format,
    bytes_success,
    columns_of,
    csv_text,
    joined_columns,
    path_format,
)
from models.adverse_event import AdverseEventPublic
from models.characteristic import CharacteristicPublic
from models.conflict import ConflictMember, ConflictPublic
from models.dataset import Dataset
from models.epidemiology import EpidemiologyFigurePublic
from models.finding import FindingPublic
from models.meta import Meta
from models.outcome import OutcomePublic
from models.source import SourcePublic
from models.study_views import StudyPublic

router = APIRouter(prefix="/v1", tags=["dataset"])

ZIP_MEDIA_TYPE = "application/zip"
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a ZIP entry can hold
CSV_TABLES = (
    "sources",
    "studies",
    "outcomes",
    "adverse_events",
    "characteristics",
    "findings",
    "conflicts",
    "epidemiology",
)


def dataset_zip(dataset: Dataset, meta: Meta) -> bytes:
    """One CSV per table, with the same columns as the list endpoints' CSV, a VERSION file and datapackage.json.

    datapackage.json (a Frictionless Data Package) describes each table from the same model
    columns the CSV is written with, so it follows any change to them.

    Every entry carries ZIP_EPOCH, never the time of the request (zipfile's default) nor of the
    build: the archive describes the data only, so every build of one dataset version, on any
    database, gives the same bytes (and may share one ETag).
    """
    stamp = ZIP_EPOCH

    def write(archive: zipfile.ZipFile, name: str, text: str) -> None:
        entry = zipfile.ZipInfo(name, date_time=stamp)
        entry.compress_type = zipfile.ZIP_DEFLATED
        entry.external_attr = 0o644 << 16
        archive.writestr(entry, text)

    studies = dataset.studies
    tables: dict[str, tuple[type[BaseModel], Sequence[BaseModel]]] = {
        "sources": (SourcePublic, dataset.sources),
        "studies": (StudyPublic, [StudyPublic.model_validate(dict(s)) for s in studies]),
        "outcomes": (OutcomePublic, [o for s in studies for o in s.outcomes]),
        "adverse_events": (AdverseEventPublic, [e for s in studies for e in s.adverse_events]),
        "characteristics": (CharacteristicPublic, [c for s in studies for c in s.characteristics]),
        "findings": (FindingPublic, [f for s in studies for f in s.findings]),
        "epidemiology": (EpidemiologyFigurePublic, dataset.epidemiology),
    }
    schemas = {name: table_schema(model_fields(model, columns_of(model))) for name, (model, _) in tables.items()}
    schemas["conflicts"] = table_schema(conflict_fields(), primary_key=["conflict_id", "member_kind", "member_id"])
    package = data_package(schemas, meta=meta, sources=dataset.sources)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        write(archive, "VERSION", dataset.dataset_version + "\n")
        for name, (model, items) in tables.items():
            rows = [item.model_dump() for item in items]
            write(archive, f"{name}.csv", csv_text(columns_of(model), rows, joined=joined_columns(model)))
        write(archive, "conflicts.csv", csv_text(CONFLICT_CSV_COLUMNS, conflict_member_rows(dataset.conflicts)))
        write(archive, "datapackage.json", json.dumps(package, indent=2, ensure_ascii=False) + "\n")
    return buffer.getvalue()


def conflict_fields() -> list[dict[str, Any]]:
    """conflicts.csv's columns (one row per disagreeing figure), typed from the conflict and member models."""
    conflict = {f["name"]: f for f in model_fields(ConflictPublic, ["id", "kind", "description"])}
    member = {f["name"]: f for f in model_fields(ConflictMember, ["kind", "id", "source_id", "locator", "printed"])}
    taken_from = {"conflict_id": conflict["id"], "kind": conflict["kind"], "description": conflict["description"]}
    taken_from |= {"member_kind": member["kind"], "member_id": member["id"]}
    return [{**(taken_from.get(c) or member.get(c) or {"type": "string"}), "name": c} for c in CONFLICT_CSV_COLUMNS]


ZIP_CONTENTS = (
    ", ".join(f"{t}.csv" for t in CSV_TABLES) + ", VERSION and datapackage.json (a Frictionless Data Package)"
)


@router.get(
    "/dataset.zip",
    operation_id="getDatasetZip",
    summary="Download the whole dataset as a ZIP of CSV tables",
    response_class=Response,
    response_model=None,
    responses={
        **PROBLEM_RESPONSES,
        **bytes_success(ZIP_MEDIA_TYPE, f"A ZIP holding {ZIP_CONTENTS}."),
    },
    description=f"The whole dataset as one CSV per table, with the list operations' CSV columns: {ZIP_CONTENTS}. "
    "The same as /v1/dataset?format=csv.",
)
@router.get(
    "/dataset",
    operation_id="getDataset",
    summary="Download the whole dataset",
    response_model=Dataset,
    responses=PROBLEM_RESPONSES,
    description="Every source, study (with everything embedded), conflict and epidemiology figure, stamped with "
    "the dataset version. /v1/dataset.zip (or format=csv on this path) gives a ZIP of CSV tables instead.",
)
def get_dataset(
    request: Request,
    session: SessionDep,
    meta: MetaDep,
    *,
    computed: ComputedDep,
    format: DatasetFormatQuery = None,
) -> Response:
    fmt = Format.csv if path_format(request) == "csv" else format or Format.json
    # Built once per release and format, and shared by every request: each is the same for every
    # client (only the headers the middleware adds differ), and building one reads every table.
    body = computed(("download", fmt), lambda: _build(session, meta, fmt))
    if fmt is Format.csv:
        return Response(
            body,
            media_type=ZIP_MEDIA_TYPE,
            headers={
                "Content-Disposition": f'attachment; filename="tall-evidence-{meta.dataset_version}.zip"',
                "X-Dataset-Version": meta.dataset_version,
            },
        )
    describe_build(request, meta)  # the JSON names built_at; the ZIP does not
    return Response(body, media_type="application/json")


def _build(session: Session, meta: Meta, format: str) -> bytes:
    dataset = whole_dataset(session, meta)
    # model_dump_json gives the very bytes FastAPI's response_model serialisation would.
    return dataset_zip(dataset, meta) if format == "csv" else dataset.model_dump_json().encode()
