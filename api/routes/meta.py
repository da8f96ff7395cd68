"""Dataset metadata and health."""

from fastapi import APIRouter, Response
from sqlalchemy import text

from api.deps import HealthSessionDep, MetaDep
from models.meta import Health, Meta

router = APIRouter(tags=["meta"])


@router.get("/v1/meta", operation_id="getMeta", summary="Describe the dataset", response_model=Meta)
def get_meta(meta: MetaDep) -> Meta:
    """Dataset version (changes exactly when the fixtures change), record counts, licence, build time, and how
    to attribute and cite what you use."""
    return meta


@router.get("/health", operation_id="getHealth", summary="Check the service is up", response_model=Health)
def get_health(session: HealthSessionDep, meta: MetaDep, response: Response) -> Health:
    """'ok' once the dataset is loaded and the database answers a query. Never cached (no-store): an
    answer kept by a proxy would say the service is up when it is not."""
    session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    response.headers["Cache-Control"] = "no-store"
    return Health(status="ok", dataset_version=meta.dataset_version)
