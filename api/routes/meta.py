"""Dataset metadata and health."""

from fastapi import APIRouter, Request
from sqlalchemy import text

from api.deps import HealthSessionDep
from models.meta import Health, Meta

router = APIRouter(tags=["meta"])


@router.get("/v1/meta", operation_id="getMeta", summary="Describe the dataset", response_model=Meta)
def get_meta(request: Request) -> Meta:
    """Dataset version (changes exactly when the fixtures change), record counts, licence and build time."""
    meta: Meta = request.app.state.meta
    return meta


@router.get("/health", operation_id="getHealth", summary="Check the service is up", response_model=Health)
def get_health(request: Request, session: HealthSessionDep) -> Health:
    """'ok' once the dataset is loaded and the database answers a query."""
    session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    return Health(status="ok", dataset_version=request.app.state.meta.dataset_version)
