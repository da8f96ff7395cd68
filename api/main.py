"""The application: create_app() wires settings, lifespan (load fixtures), errors and routers."""

from collections.abc import AsyncIterator, Callable
from contextlib import ExitStack, asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request, Response
from fastapi.telemetry import TelemetryConfig
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.routing import Route

from api import middleware
from api.data_source import open_dataset, open_previous_releases
from api.database import DatabaseFault, served_schema_gone, unavailable
from api.errors import COMMON_PROBLEM_RESPONSES
from api.fhir import routes as fhir
from api.garbage_collector import freeze_survivors
from api.loading.build import BuildFileError
from api.mcp.transports import McpHttp
from api.middleware.limits import QUERY_PARAMETER_POLICY
from api.queries.counts import CountMemo
from api.render.html import load_templates
from api.render.openapi import build_openapi
from api.render.problems import (
    RETRY_AFTER_SECONDS,
    descriptor_shortage,
    install_error_handlers,
    logger,
    one_line,
    problem_response,
)
from api.routes import (
    adverse_events,
    claims,
    comparison,
    conflicts,
    corrections,
    dataset,
    docs,
    embed,
    epidemiology,
    home,
    meta,
    outcomes,
    releases,
    sources,
    studies,
)
from api.routes.assets import AssetFiles
from api.settings import MCP_PATH, Settings, get_settings
from api.state import AppState, Release, app_state, set_app_state
from api.version import api_version

if TYPE_CHECKING:  # read only by the build step: a worker serving a built file never imports it
    from api.loading.fixture_files import FixtureSet

DESCRIPTION = """\
Curated evidence on therapy for T-cell acute lymphoblastic leukemia and lymphoma (T-ALL/LBL):
studies, arms, outcomes and adverse events, each figure traced to the document, the place in
it and the figure exactly as printed. Read-only. Errors are RFC 9457 problem details.
"""

TAGS = [
    {
        "name": "studies",
        "description": "Trials, cohorts, cases and preclinical work, with everything curated for them.",
    },
    {"name": "outcomes", "description": "Efficacy figures: response, MRD, survival."},
    {"name": "adverse-events", "description": "Toxicity figures with grade and grading system."},
    {"name": "sources", "description": "The source documents."},
    {"name": "conflicts", "description": "Disagreements within or between documents, kept visible."},
    {"name": "epidemiology", "description": "Population-level figures quoted by the documents."},
    {"name": "comparison", "description": "One measure across studies: forest-plot rows and a descriptive pool."},
    {"name": "claims", "description": "Check a numeric claim against the curated figures: a verdict and the evidence."},
    {"name": "dataset", "description": "The whole dataset in one download, for mirroring."},
    {"name": "meta", "description": "Dataset version, counts and health."},
    {"name": "releases", "description": "Releases served side by side and what changed between them."},
    {"name": "corrections", "description": "What later readings of the documents corrected, and why."},
    {"name": "embed", "description": "HTML views for lab websites: a study card and an evidence table."},
]


def telemetry_config(enabled: bool) -> TelemetryConfig:
    """FastAPI's native OpenTelemetry: through the globally configured providers, or off.

    Off, FastAPI skips its per-request check for configured providers (a few microseconds,
    a tenth of what answering from the response cache costs).
    """
    return TelemetryConfig() if enabled else TelemetryConfig(tracing=False, metrics=False, logs=False)


async def _database_unavailable(request: Request, exc: Exception) -> Response:
    """503, not 500, when the database cannot serve the dataset that was loaded: with Retry-After when
    that passes (a connection lost or not made, no file descriptor free), without when the data is
    gone or changed (deleted, edited, a schema dropped), after which `serve` stops."""
    shortage = descriptor_shortage(request, exc)
    if shortage is not None:
        return shortage
    told = unavailable(exc)
    logger.error("database %s on %s: %s", told.logged, request.url.path, one_line(exc))
    retry = {"Retry-After": str(RETRY_AFTER_SECONDS)} if told.passes else None
    return problem_response(request, 503, told.detail, headers=retry)


def create_app(
    settings: Settings | None = None,
    fixtures: "FixtureSet | None" = None,
    *,
    on_database_changed: Callable[[str], None] | None = None,
) -> FastAPI:
    """The application; fixtures already validated by the caller are loaded as they are.

    on_database_changed: told (once) when the database file, or the PostgreSQL schema served, turns
    out changed or gone under the running service; `serve` stops the service then, instead of
    answering 503 until restarted.
    """
    settings = settings or get_settings()
    told: list[str] = []

    def tell_if_changed(exc: Exception) -> None:
        """on_database_changed, once, when exc says the data served is changed or gone (whichever face met it)."""
        if on_database_changed is None or told or not (isinstance(exc, DatabaseFault) or served_schema_gone(exc)):
            return
        # PostgreSQL's first line names the table missing; the next ones quote the statement.
        missing = one_line(exc).split(" LINE ")[0]
        reason = str(exc) if isinstance(exc, DatabaseFault) else f"the schema served is gone ({missing})"
        told.append(reason)
        on_database_changed(reason)

    mcp = McpHttp(lambda: app_state(app), body_timeout=settings.body_timeout, on_database_error=tell_if_changed)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        nonlocal fixtures
        with ExitStack() as stack:
            # Raises FixtureError (bad fixtures) or BuildFileError (a file or schema this code
            # must not serve) before anything is served.
            def memo() -> CountMemo:
                return CountMemo(settings.count_memo_entries)

            previous = open_previous_releases(settings, stack, memo)
            database, meta = open_dataset(settings, stack, memo(), fixtures=fixtures)
            fixtures = None  # in the database now; the parsed files need not live as long as the app
            if meta.dataset_version in {m.dataset_version for _, m in previous}:
                raise BuildFileError(f"dataset version {meta.dataset_version} is given both as current and earlier")
            releases = tuple(Release(database=d, meta=m) for d, m in [*previous, (database, meta)])
            load_templates()
            freeze_survivors()
            state = AppState(
                releases=releases, fhir_canonical_base=settings.fhir_canonical_base, body_timeout=settings.body_timeout
            )
            set_app_state(app, state)
            try:
                async with mcp.running():
                    yield
            finally:
                set_app_state(app, None)

    app = FastAPI(
        title="T-ALL Evidence API",
        version=api_version(),
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        telemetry=telemetry_config(settings.opentelemetry),
        license_info={"name": f"Data: {settings.data_licence}", "identifier": settings.data_licence},
        # api.routes.docs serves both from the package instead of a CDN.
        docs_url=None,
        redoc_url=None,
        # Off: Starlette's slash redirects write the request's Host into Location. A path with a
        # stray slash is a 404 like any other unknown path.
        redirect_slashes=False,
        dependencies=QUERY_PARAMETER_POLICY,
        responses=COMMON_PROBLEM_RESPONSES,
    )
    install_error_handlers(app)

    async def database_changed(request: Request, exc: Exception) -> Response:
        tell_if_changed(exc)
        return await _database_unavailable(request, exc)

    async def database_error(request: Request, exc: Exception) -> Response:
        if served_schema_gone(exc):
            return await database_changed(request, exc)
        return await _database_unavailable(request, exc)

    app.add_exception_handler(DatabaseFault, database_changed)
    app.add_exception_handler(DBAPIError, database_error)
    app.add_exception_handler(PoolTimeout, database_error)
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]
    for module in (
        studies,
        outcomes,
        adverse_events,
        comparison,
        claims,
        sources,
        conflicts,
        corrections,
        epidemiology,
        dataset,
        meta,
        releases,
        embed,
        docs,
        fhir,
        home,
    ):
        app.include_router(module.router)
    # The MCP server (streamable HTTP), outside the OpenAPI document: it is its own protocol.
    app.router.routes.append(Route(MCP_PATH, mcp, methods=["GET", "POST", "DELETE"], include_in_schema=False))
    app.mount("/static", AssetFiles(packages=[("api", "static")]), name="static")
    app.state.response_cache = middleware.install(app, settings)
    return app
