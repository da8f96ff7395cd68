"""Dependencies shared by the routes: the loaded dataset's metadata, a read-only session, pagination parameters."""

import asyncio
from collections.abc import AsyncIterator, Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session

from api.database import MAX_CONNECTIONS
from api.state import AppState, mark_build_described, request_state
from api.state import Release as Release  # re-exported: routes name it, and may not import api.state
from models.identifiers import RECORD_ID_MAX_LENGTH, RECORD_ID_PATTERN
from models.meta import Meta

T = TypeVar("T")

PAGE_SIZE_DEFAULT = 50
PAGE_SIZE_MAX = 500


# The dependencies that only compute are `async def`: FastAPI runs a plain `def` dependency in
# its thread pool, and each such hop costs more than the work (tests/benchmarks measure it).
async def get_app_state(request: Request) -> AppState:
    return request_state(request.scope)


AppStateDep = Annotated[AppState, Depends(get_app_state)]
"""What the request is answered from: every release served, or only the one its ?version= names."""


async def get_release(state: AppStateDep) -> Release:
    return state.current


ReleaseDep = Annotated[Release, Depends(get_release)]
"""The release the request reads: the current one, or the one its ?version= names."""


@dataclass(frozen=True)
class Computed:
    """What is computed from the request's release on first use and kept for later requests (api.state.Derived)."""

    state: AppState
    release: Release

    def __call__(self, what: Hashable, build: Callable[[], T]) -> T:
        return self.state.computed(self.release, what, build)


async def get_computed(state: AppStateDep, release: ReleaseDep) -> Computed:
    return Computed(state, release)


ComputedDep = Annotated[Computed, Depends(get_computed)]


async def get_meta(release: ReleaseDep) -> Meta:
    return release.meta


async def get_session(release: ReleaseDep) -> AsyncIterator[Session]:
    """A read-only session, opened without a thread (it connects on its first query, in the route's thread).

    Closing gives the connection back: on SQLite a few microseconds, so here; on PostgreSQL a
    round trip (the pool's rollback), so in the thread pool, off the event loop.
    """
    session = release.database.open_session()
    try:
        yield session
    except asyncio.CancelledError:
        # Cut short as the service stops (its shutdown timeout): the route's thread may still be inside the
        # session, waiting on the database, and closing it from here raised IllegalStateChangeError, a 500 with
        # tracebacks (session 13's probe, FB13). The process is ending; the connection ends with it.
        raise
    except BaseException:
        await _close(session, sqlite=release.database.is_sqlite)
        raise
    else:
        await _close(session, sqlite=release.database.is_sqlite)


async def _close(session: Session, *, sqlite: bool) -> None:
    if sqlite:
        session.close()
    else:
        await run_in_threadpool(session.close)


@contextmanager
def release_session(release: Release) -> Iterator[Session]:
    """A read-only session on any release's database (for answers that read two releases)."""
    yield from release.database.session()


# "function": the session (and its connection) is closed as soon as the route function
# returns, before the response is serialised and sent; max_concurrency: requests beyond
# the pool wait here without a thread, instead of in a thread waiting for a connection.
SessionDep = Annotated[Session, Depends(get_session, scope="function", max_concurrency=MAX_CONNECTIONS)]
HealthSessionDep = Annotated[Session, Depends(get_session, scope="function", max_concurrency=1)]
"""/health's own session, outside the others' limit (the pool keeps a connection for it)."""
MetaDep = Annotated[Meta, Depends(get_meta)]
"""The dataset's metadata: version, build time, counts."""


def describe_build(request: Request, *metas: Meta) -> None:
    """Say the answer shows the build of each release given (its built_at): its ETag then differs
    between builds of one version."""
    mark_build_described(request.scope, " ".join(meta.built_at for meta in metas))


async def get_build_meta(request: Request, meta: MetaDep) -> Meta:
    describe_build(request, meta)
    return meta


BuildMetaDep = Annotated[Meta, Depends(get_build_meta)]
"""The dataset's metadata for an answer that shows the build time (see describe_build)."""


@dataclass(frozen=True)
class PageParams:
    limit: int | None  # None: the default page size for JSON, everything for CSV/NDJSON
    offset: int


async def page_params(
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
        pattern=RECORD_ID_PATTERN,
        max_length=RECORD_ID_MAX_LENGTH,
        description="Stable identifier of the record.",
    ),
]
