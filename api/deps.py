"""Dependencies shared by the routes: the loaded dataset's metadata, a read-only session, pagination parameters."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlmodel import Session

from api.database import MAX_CONNECTIONS
from api.state import AppState, app_state, mark_build_described
from models.meta import Meta

PAGE_SIZE_DEFAULT = 50
PAGE_SIZE_MAX = 500


def get_app_state(request: Request) -> AppState:
    return app_state(request.app)


AppStateDep = Annotated[AppState, Depends(get_app_state)]
"""What the lifespan opened: the database and the dataset's metadata."""


def get_meta(state: AppStateDep) -> Meta:
    return state.meta


def get_session(state: AppStateDep) -> Iterator[Session]:
    yield from state.database.session()


# "function": the session (and its connection) is closed as soon as the route function
# returns, before the response is serialised and sent; max_concurrency: requests beyond
# the pool wait here without a thread, instead of in a thread waiting for a connection.
SessionDep = Annotated[Session, Depends(get_session, scope="function", max_concurrency=MAX_CONNECTIONS)]
HealthSessionDep = Annotated[Session, Depends(get_session, scope="function", max_concurrency=1)]
"""/health's own session, outside the others' limit (the pool keeps a connection for it)."""
MetaDep = Annotated[Meta, Depends(get_meta)]
"""The dataset's metadata: version, build time, counts."""


def describe_build(request: Request, meta: Meta) -> None:
    """Say the answer shows the build (meta.built_at): its ETag then differs between builds of one version."""
    mark_build_described(request.scope, meta.built_at)


def get_build_meta(request: Request, meta: MetaDep) -> Meta:
    describe_build(request, meta)
    return meta


BuildMetaDep = Annotated[Meta, Depends(get_build_meta)]
"""The dataset's metadata for an answer that shows the build time (see describe_build)."""


@dataclass(frozen=True)
class PageParams:
    limit: int | None  # None: the default page size for JSON, everything for CSV/NDJSON
    offset: int


def page_params(
    limit: Annotated[
        int | None,
        Query(
            ge=1,
            le=PAGE_SIZE_MAX,
            description=f"Page size, at most {PAGE_SIZE_MAX}; default {PAGE_SIZE_DEFAULT} for JSON and the whole "
            "result set for CSV/NDJSON.",
        ),
    ] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Number of results to skip.")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(page_params)]


IdPath = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        max_length=200,
        description="Stable identifier of the record.",
    ),
]
