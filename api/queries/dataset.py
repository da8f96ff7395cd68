"""The whole dataset in one read, for mirroring (GET /v1/dataset)."""

from sqlmodel import Session, select

from api.queries.pages import to_public
from api.queries.studies import conflicts_with_members, study_details
from models import EpidemiologyFigure, Source, Study
from models.dataset import Dataset
from models.epidemiology import EpidemiologyFigurePublic
from models.meta import Meta
from models.source import SourcePublic


def whole_dataset(session: Session, meta: Meta) -> Dataset:
    studies = session.exec(select(Study).order_by(Study.id)).all()
    return Dataset(
        dataset_version=meta.dataset_version,
        built_at=meta.built_at,
        licence=meta.licence,
        sources=[to_public(SourcePublic, s) for s in session.exec(select(Source).order_by(Source.id))],
        studies=study_details(session, studies, every_study=True),
        conflicts=conflicts_with_members(session),
        epidemiology=[
            to_public(EpidemiologyFigurePublic, f)
            for f in session.exec(select(EpidemiologyFigure).order_by(EpidemiologyFigure.id))
        ],
    )
