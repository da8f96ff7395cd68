"""The whole dataset in one request, as JSON or as a ZIP of CSV tables, for mirroring."""

import io
import threading
import zipfile
from collections.abc import Callable, Sequence
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlmodel import Session

from api.deps import MetaDep, SessionDep
from api.errors import PROBLEM_RESPONSES
from api.queries.dataset import whole_dataset
from api.queries.studies import CONFLICT_CSV_COLUMNS, conflict_member_rows
from api.render.formats import DatasetFormatQuery, Format, columns_of, csv_text, path_format
from models.adverse_event import AdverseEventPublic
from models.characteristic import CharacteristicPublic
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


def zip_entry_time(built_at: str) -> tuple[int, int, int, int, int, int]:
    """The build's time as a ZIP entry time: the same bytes from every process serving one build."""
    try:
        moment = datetime.fromisoformat(built_at)
    except ValueError:
        return ZIP_EPOCH
    return max(ZIP_EPOCH, (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second))


def dataset_zip(dataset: Dataset) -> bytes:
    """One CSV per table, with the same columns as the list endpoints' CSV, plus a VERSION file.

    Entries carry the build's time, never the time of the request (zipfile's default), so
    the archive is byte-for-byte the same wherever and whenever it is made from one build.
    """
    stamp = zip_entry_time(dataset.built_at)

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
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        write(archive, "VERSION", dataset.dataset_version + "\n")
        for name, (model, items) in tables.items():
            rows = [item.model_dump() for item in items]
            write(archive, f"{name}.csv", csv_text(columns_of(model), rows))
        write(archive, "conflicts.csv", csv_text(CONFLICT_CSV_COLUMNS, conflict_member_rows(dataset.conflicts)))
    return buffer.getvalue()


ZIP_CONTENTS = ", ".join(f"{t}.csv" for t in CSV_TABLES) + " and VERSION"


@router.get(
    "/dataset.zip",
    operation_id="getDatasetZip",
    summary="Download the whole dataset as a ZIP of CSV tables",
    response_class=Response,
    response_model=None,
    responses={
        **PROBLEM_RESPONSES,
        200: {
            "description": f"A ZIP holding {ZIP_CONTENTS}.",
            "content": {ZIP_MEDIA_TYPE: {"schema": {"type": "string", "contentMediaType": ZIP_MEDIA_TYPE}}},
        },
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
    format: DatasetFormatQuery = None,
) -> Response:
    fmt = Format.csv if path_format(request) == "csv" else format or Format.json
    body = DOWNLOADS.get((meta.dataset_version, meta.built_at, fmt), lambda: _build(session, meta, fmt))
    if fmt is Format.csv:
        return Response(
            body,
            media_type=ZIP_MEDIA_TYPE,
            headers={
                "Content-Disposition": f'attachment; filename="tall-evidence-{meta.dataset_version}.zip"',
                "X-Dataset-Version": meta.dataset_version,
            },
        )
    return Response(body, media_type="application/json")


def _build(session: Session, meta: Meta, format: str) -> bytes:
    dataset = whole_dataset(session, meta)
    # model_dump_json gives the very bytes FastAPI's response_model serialisation would.
    return dataset_zip(dataset) if format == "csv" else dataset.model_dump_json().encode()


class DownloadMemo:
    """The dataset's downloads, built once per loaded dataset and shared by every request.

    Each is the same for every client (only the headers the middleware adds differ), and
    building one reads every table: under many concurrent cache misses (one per Origin,
    say) building it once keeps the database pool and the worker threads free.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._built: dict[tuple[str, str, str], bytes] = {}

    def get(self, key: tuple[str, str, str], build: Callable[[], bytes]) -> bytes:
        with self._lock:  # concurrent first requests wait for one build instead of each building
            if key not in self._built:
                if any(other[:2] != key[:2] for other in self._built):
                    self._built.clear()  # another dataset's downloads
                self._built[key] = build()
            return self._built[key]


DOWNLOADS = DownloadMemo()
