"""Dataset metadata and health."""

from fastapi import APIRouter, Response

from api.deps import BuildMetaDep, HealthSessionDep, MetaDep
from api.queries.health import check_database
from models.meta import Health, Meta

router = APIRouter(tags=["meta"])


@router.get("/v1/meta", operation_id="getMeta", summary="Describe the dataset", response_model=Meta)
def get_meta(meta: BuildMetaDep) -> Meta:
    """Dataset version (changes exactly when the fixtures change), record counts, licence, build time, and how
    to attribute and cite what you use."""
    return meta


@router.get("/health", operation_id="getHealth", summary="Check the service is up", response_model=Health)
def get_health(session: HealthSessionDep, meta: MetaDep, response: Response) -> Health:
    """'ok' once the dataset is loaded and the database answers a query. Never cached (no-store): an
    answer kept by a proxy would say the service is up when it is not."""
    check_database(session, meta.dataset_version)
    response.headers["Cache-Control"] = "no-store"
    return Health(status="ok", dataset_version=meta.dataset_version)
