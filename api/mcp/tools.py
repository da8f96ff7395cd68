"""The MCP tools, written for agents: what each returns, bounded, read-only, every figure with its provenance.

Each tool answers structured content (a model below, with the dataset version) and a short text
an agent can quote. Bad arguments come back as a tool error naming the argument.
"""

import functools
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, ParamSpec

import anyio.to_thread
from mcp.server import MCPServer
from mcp.server.mcpserver.context import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.shared.exceptions import MCPError
from mcp_types import (
    INVALID_PARAMS,
    CallToolResult,
    GetPromptResult,
    InputRequiredResult,
    TextContent,
    ToolAnnotations,
)
from pydantic import BaseModel, Field, StrictFloat, StrictInt
from sqlmodel import Session

from api.claims.parameters import claim_of
from api.claims.text import MAX_TEXT_LENGTH, STUDY_NAMES, StudyNames
from api.claims.verdict import check_against_data
from api.database import DATABASE_ERRORS, unavailable
from api.errors import ApiError
from api.queries.claims import study_names
from api.queries.comparison import comparison_model, plan_comparison
from api.queries.filters import NO_SUBGROUP, OutcomeFilters, StudyFilters, SubgroupFilter, TimePointQuery
from api.queries.projection import figure_projection, outcomes_in_id_order
from api.queries.studies import sources_by_id, studies_by_id, study_detail, study_page
from api.queries.terminology import measure_of, term_reader
from api.queries.treatment import treatment_asked
from api.render.citations import Citations
from api.render.labels import label
from api.render.problems import one_line
from api.state import AppState
from api.version import api_version
from models.claim import ClaimCheck, ClaimUnit
from models.comparison import Comparison
from models.enums import CellSource, Subgroup, TherapyClass, case_folded
from models.identifiers import RECORD_ID_MAX_LENGTH, RECORD_ID_PATTERN
from models.outcome import OutcomePublic, TimePoint
from models.source import SourcePublic
from models.terminology import AgentOrCode, AntigenOrCode, DiseaseOrCode, MeasureOrCode
from models.tool_results import CitationResult, FiguresResult, StudyResult, StudySearchResult

MAX_STUDIES = 25
MAX_FIGURES = 50
MAX_COMPARISON_ROWS = 50
AS_PRINTED = "Figures are as printed by the document each names (source_id, locator, printed words)."
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)

# A number in ASCII digits, as the REST face's `value` takes it (an exponent too); its size and decimals are
# checked with the claim (api.claims.parameters), which says what is wrong rather than "does not match".
NUMBER_PATTERN = r"^[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$"
Id = Annotated[str, Field(min_length=1, max_length=RECORD_ID_MAX_LENGTH, pattern=RECORD_ID_PATTERN)]


def _answer(text: str, result: BaseModel) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=result.model_dump(mode="json")
    )


P = ParamSpec("P")
# MCP tool calls running at once in a worker (each in a thread, reading the database): with REST's admitted
# sessions (api.database.MAX_CONNECTIONS) well within anyio's 40 worker threads.
TOOL_CALLS_AT_ONCE = 8
logger = logging.getLogger("tall_evidence")


def answered_in_a_thread(
    on_database_error: Callable[[Exception], None],
) -> Callable[[Callable[P, CallToolResult]], Callable[P, Awaitable[CallToolResult]]]:
    """Tools run in a worker thread that a stop may abandon, with the database's unavailability told as the
    other faces tell it, and on_database_error told of it (`serve` stops when the data turned out changed
    or gone, whichever face found it). The SDK runs a plain function in a thread it waits for even when
    cancelled: a tool stuck on a PostgreSQL that stopped answering held `serve` after SIGTERM for as long
    (session 14's probe, HB1); the driver's error was "Error executing tool" with three tracebacks in the
    log (HB2), and a changed file found by a tool left `serve` running (HB5)."""

    # Made here, in the event loop the server runs in. A call waits for its turn without a thread: taken first,
    # 40 calls waiting on a stalled database held every worker thread, and /v1/meta, which reads none, went
    # unanswered (session 14's third probe, IB2).
    admitted = anyio.CapacityLimiter(TOOL_CALLS_AT_ONCE)

    def in_a_thread(tool: Callable[P, CallToolResult]) -> Callable[P, Awaitable[CallToolResult]]:
        @functools.wraps(tool)
        async def run(*args: P.args, **kwargs: P.kwargs) -> CallToolResult:
            try:
                call = functools.partial(tool, *args, **kwargs)
                return await anyio.to_thread.run_sync(call, abandon_on_cancel=True, limiter=admitted)
            except DATABASE_ERRORS as exc:
                told = unavailable(exc)
                logger.error(
                    "database %s in the MCP tool %s (%s): a tool error", told.logged, tool.__name__, one_line(exc)
                )
                on_database_error(exc)
                raise ToolError(told.detail) from None

        return run

    return in_a_thread


def _nothing(_exc: Exception) -> None:
    pass


def _argument_error(exc: ApiError) -> ToolError:
    """The problem's fields, named as the tool's arguments ('query.measure' -> argument 'measure')."""
    named = "; ".join(f"argument '{e.location.rpartition('.')[2]}': {e.message}" for e in exc.errors)
    return ToolError(f"{exc.detail} {named}".strip())


def _document_words(document: SourcePublic) -> str:
    """A document as a citation names it: authors (three, then et al.), title, venue or kind, year."""
    authors = ", ".join(document.authors[:3]) or "Anonymous"
    return (
        f"{authors}{' et al.' if len(document.authors) > 3 else ''} {document.title}. "
        f"{document.venue or document.kind.value}{f', {document.year}' if document.year else ''}"
    )


def _figure_line(f: OutcomePublic) -> str:
    when = f" at {f.time_point}" if f.time_point else ""
    return f"- {f.id}: {label(f.measure)}{when} printed {f.printed!r} ({f.source_id}, {f.locator}) {f.permalink}"


def _study_filters(**given: Any) -> StudyFilters:
    return StudyFilters.model_validate({k: None if v is None else [v] for k, v in given.items()})


@contextmanager
def root_logger_kept() -> Iterator[None]:
    """The root logger's handlers and level as they were before, whatever the block does to them.

    MCPServer() puts a `rich` handler on the root logger (logging.basicConfig) when it has none. Rich
    imports modules as it formats a record, which fails once file descriptors run out, and that
    failure escapes the logging call itself: a chained traceback, and a 500 for the request that
    logged. The service logs through uvicorn's plain handlers instead (api.cli); what reaches the
    root logger without a handler goes to Python's last-resort handler (stderr, warnings and up).
    """
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def _unknown(kind: str, name: str) -> MCPError:
    shown = name if len(name) <= 100 else name[:100] + "..."
    return MCPError(INVALID_PARAMS, f"Unknown {kind}: {shown!r}", data={"name": shown})


class EvidenceServer(MCPServer[Any]):
    """The SDK's server, refusing an unknown prompt or tool as it refuses an unknown resource: -32602
    (Invalid params) naming it, nothing logged. The SDK answers an unknown prompt with error code 0,
    which JSON-RPC does not define, and logs two chained tracebacks each time (anyone who can POST to
    /mcp could fill the log); an unknown tool it answers as the tool's own failure, where the MCP
    specification (tools, error handling) has a protocol error."""

    async def get_prompt(
        self, name: str, arguments: dict[str, Any] | None = None, context: Context[Any, Any] | None = None
    ) -> GetPromptResult | InputRequiredResult:
        if name not in {prompt.name for prompt in await self.list_prompts()}:
            raise _unknown("prompt", name)
        return await super().get_prompt(name, arguments, context)

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        tool = next((tool for tool in await self.list_tools() if tool.name == name), None)
        if tool is None:
            raise _unknown("tool", name)
        # The SDK drops an argument the tool does not take: a misspelled scope ("stdy") would widen a
        # claim check to every study and answer "supported". The HTTP face refuses such a parameter.
        accepted = list(tool.input_schema.get("properties", {}))
        unknown = [key for key in arguments or {} if key not in accepted]
        if unknown:
            shown = ", ".join(repr(key if len(key) <= 100 else key[:100] + "...") for key in unknown[:10])
            text = f"Unknown argument(s) to {name}: {shown}. It takes: {', '.join(accepted)}."
            return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)
        return await super().call_tool(name, _enumerated_any_case(tool.input_schema, arguments or {}), context)


def _enumerated_any_case(schema: dict[str, Any], arguments: dict[str, Any]) -> dict[str, Any]:
    """`measure: "CR"` read as `cr`: enumerated values are matched regardless of case, as the HTTP face
    matches them (session 12's probe, A4: the same claim was checked over REST and refused over MCP)."""
    properties = schema.get("properties", {})
    folded = dict(arguments)
    for key, value in arguments.items():
        if isinstance(value, str) and (values := _enum_values(schema, properties.get(key, {}))):
            folded[key] = case_folded(values).get(value.casefold(), value)
    return folded


def _enum_values(schema: dict[str, Any], part: Any) -> list[str]:
    """The enumerated values a JSON Schema part allows, through anyOf and local $refs; none for others."""
    if not isinstance(part, dict):
        return []
    if isinstance(ref := part.get("$ref"), str) and ref.startswith("#/$defs/"):
        return _enum_values(schema, schema.get("$defs", {}).get(ref.removeprefix("#/$defs/")))
    found = [str(value) for value in part.get("enum", []) if isinstance(value, str)]
    return found + [value for choice in part.get("anyOf", []) for value in _enum_values(schema, choice)]


def build_mcp_server(
    state: Callable[[], AppState], *, on_database_error: Callable[[Exception], None] = _nothing, **options: Any
) -> MCPServer:
    """The server with its six tools; state() gives the loaded dataset when a tool is called;
    on_database_error is told of a database error a tool met (answered_in_a_thread)."""
    with root_logger_kept():
        server: MCPServer = EvidenceServer(
            "tall-evidence",
            # serverInfo.version, where an agent learns which server answered: the SDK's default is "".
            version=api_version(),
            instructions="Curated evidence on T-ALL/LBL therapy. Every figure is traced to its source document, the "
            "place in it and the words as printed; quote those and the permalink. Use check_claim before stating a "
            "number to a person.",
            log_level="WARNING",
            **options,
        )

    in_a_thread = answered_in_a_thread(on_database_error)

    @contextmanager
    def reading() -> Iterator[tuple[Session, str]]:
        current = state()
        with contextmanager(current.database.session)() as session:
            yield session, current.meta.dataset_version

    def names_of(session: Session) -> StudyNames:
        current = state()
        return current.computed(current.current, STUDY_NAMES, lambda: StudyNames.of(study_names(session)))

    @server.tool(annotations=READ_ONLY)
    @in_a_thread
    def search_studies(
        *,
        q: Annotated[
            str | None, Field(min_length=1, max_length=200, description="Words to search for (all must match).")
        ] = None,
        disease: DiseaseOrCode | None = None,
        agent: Annotated[
            AgentOrCode | None, Field(description="Agent given in the study (not a prior therapy), or its code.")
        ] = None,
        target_antigen: AntigenOrCode | None = None,
        therapy_class: TherapyClass | None = None,
        limit: Annotated[StrictInt, Field(ge=1, le=MAX_STUDIES, description="How many studies to return.")] = 10,
    ) -> Annotated[CallToolResult, StudySearchResult]:
        """Find curated T-ALL/LBL studies (trials, cohorts, cases, preclinical work) by words and filters.

        Returns each study's id, title, design, phase, population size, agents and target antigens, with the
        dataset version; at most 25. Use get_study for a study's figures with their provenance.
        Figures are as printed by the document each names; the dataset version comes with every answer.
        """
        filters = _study_filters(
            disease=disease, agent=agent, target_antigen=target_antigen, therapy_class=therapy_class
        ).model_copy(update={"q": q})
        with reading() as (session, version):
            found, total = study_page(session, filters, limit=limit, offset=0)
        result = StudySearchResult(dataset_version=version, total=total, studies=found)
        lines = [f"{total} studies match (dataset version {version}); showing {len(result.studies)}:"]
        lines += [f"- {s.id}: {s.title}" for s in result.studies]
        return _answer("\n".join(lines), result)

    @server.tool(annotations=READ_ONLY)
    @in_a_thread
    def get_study(
        study_id: Annotated[Id, Field(description="Study id, from search_studies.")],
    ) -> Annotated[CallToolResult, StudyResult]:
        """One study with its arms, interventions (with their roles), outcome and adverse-event figures, findings,
        sources and recorded conflicts. Each figure carries its printed words, locator, span and permalink.
        Figures are as printed by the document each names; the dataset version comes with every answer.
        """
        with reading() as (session, version):
            row = studies_by_id(session, [study_id]).get(study_id)
            if row is None:
                raise ToolError(f"argument 'study_id': no study with id {study_id!r}; search_studies lists them")
            detail = study_detail(session, row)
        lines = [f"{detail.title} ({detail.id}), dataset version {version}. {AS_PRINTED}"]
        lines += [_figure_line(o) for o in detail.outcomes]
        return _answer("\n".join(lines), StudyResult(dataset_version=version, study=detail))

    @server.tool(annotations=READ_ONLY)
    @in_a_thread
    def find_figures(
        *,
        measure: MeasureOrCode | None = None,
        study_id: Id | None = None,
        agent: AgentOrCode | None = None,
        target_antigen: AntigenOrCode | None = None,
        therapy_class: TherapyClass | None = None,
        disease: DiseaseOrCode | None = None,
        time_point: Annotated[
            TimePointQuery | None, Field(description="2y, 18m, d28, cycle1, best; none: figures that state none")
        ] = None,
        subgroup: Annotated[
            SubgroupFilter | None, Field(description="A subgroup, none (the whole population) or any (the default)")
        ] = None,
        limit: Annotated[StrictInt, Field(ge=1, le=MAX_FIGURES, description="How many figures to return.")] = 20,
    ) -> Annotated[CallToolResult, FiguresResult]:
        """Outcome figures (response, MRD, survival) matching the filters, each with its value, the words exactly
        as printed, the source document, the locator, the span in the text and its permalink; at most 50.
        Figures are as printed by the document each names; the dataset version comes with every answer.
        """
        filters = OutcomeFilters.model_validate(
            {
                "measure": None if measure is None else [measure],
                "study_id": None if study_id is None else [study_id],
                "time_point": None if time_point is None else [time_point],
                "subgroup": None if subgroup is None else [SubgroupFilter(subgroup.value)],
            }
        ).within(
            _study_filters(agent=agent, target_antigen=target_antigen, therapy_class=therapy_class, disease=disease)
        )
        with reading() as (session, version):
            conditions = filters.conditions(session).all
            rows = outcomes_in_id_order(session, conditions)
        figures = rows[:limit]
        lines = [f"{len(rows)} figures match (dataset version {version}); showing {len(figures)}. {AS_PRINTED}"]
        lines += [_figure_line(f) for f in figures]
        return _answer("\n".join(lines), FiguresResult(dataset_version=version, total=len(rows), figures=figures))

    @server.tool(annotations=READ_ONLY)
    @in_a_thread
    def compare(
        *,
        measure: MeasureOrCode,
        time_point: Annotated[
            TimePointQuery | None, Field(description="2y, 18m, d28, cycle1, best; none: figures that state none")
        ] = None,
        agent: AgentOrCode | None = None,
        target_antigen: AntigenOrCode | None = None,
        therapy_class: TherapyClass | None = None,
        disease: DiseaseOrCode | None = None,
    ) -> Annotated[CallToolResult, Comparison]:
        """One measure across studies (as GET /v1/comparison): per arm n, events, proportion and a Wilson 95%
        interval, each row with its printed words and source; a descriptive pooled estimate only where rows are
        comparable, and why each row is or is not pooled. Whole-population figures; at most 50 rows.
        Figures are as printed by the document each names; the dataset version comes with every answer.
        """
        study = _study_filters(agent=agent, target_antigen=target_antigen, therapy_class=therapy_class, disease=disease)
        filters = OutcomeFilters(subgroup=[SubgroupFilter(NO_SUBGROUP)]).within(study)
        with reading() as (session, version):
            try:
                measured = measure_of(session, measure)
            except ApiError as exc:
                raise _argument_error(exc) from exc
            comparison = comparison_model(
                plan_comparison(
                    session,
                    measured,
                    time_point=time_point,
                    outcome_conditions=filters.conditions(session).all,
                    version=version,
                    treatment=treatment_asked(session, study),
                )
            )
        shown = comparison.model_copy(update={"rows": comparison.rows[:MAX_COMPARISON_ROWS]})
        lines = [f"{label(measured)}: {len(comparison.rows)} rows (dataset version {version}). {AS_PRINTED}"]
        lines += [f"- {r.label}: printed {r.printed!r} ({r.source_id}, {r.locator})" for r in shown.rows]
        if comparison.pooled is not None:
            p = comparison.pooled
            lines.append(f"Pooled (descriptive): {p.proportion:.3f} [{p.ci_low:.3f}, {p.ci_high:.3f}]")
        elif comparison.pooled_note:
            lines.append(f"Not pooled: {comparison.pooled_note}")
        return _answer("\n".join(lines), shown)

    @server.tool(annotations=READ_ONLY)
    @in_a_thread
    def check_claim(
        *,
        text: Annotated[
            str | None,
            Field(
                min_length=1,
                max_length=MAX_TEXT_LENGTH,
                description="The claim as one English sentence, e.g. 'RD13-01 gave a CR rate of 80%': its measure, "
                "number, time point and scope, and linking words; any other word is refused, not dropped. "
                "Or leave it out and give measure, value and a scope.",
            ),
        ] = None,
        measure: MeasureOrCode | None = None,
        value: Annotated[
            # Strict: JSON true is no number (lax, it was checked as the claim of 1).
            StrictInt | StrictFloat | Annotated[str, Field(pattern=NUMBER_PATTERN, max_length=64)] | None,
            Field(
                description="The number claimed; its decimals as written set its precision (90, 90.3). A string "
                "keeps trailing zeros ('90.0')."
            ),
        ] = None,
        unit: Annotated[ClaimUnit | None, Field(description="percent (the default) or patients; not with text")] = None,
        study: Id | None = None,
        agent: AgentOrCode | None = None,
        target_antigen: AntigenOrCode | None = None,
        therapy_class: TherapyClass | None = None,
        cell_source: CellSource | None = None,
        disease: DiseaseOrCode | None = None,
        time_point: TimePoint | None = None,
        subgroup: Subgroup | None = None,
        arm: Id | None = None,
    ) -> Annotated[CallToolResult, ClaimCheck]:
        """Check a numeric claim against the curated figures (same rules and answer as GET /v1/claims/check).

        Verdict supported (a matching figure agrees when both numbers are rounded to the coarser of their
        precisions), contradicted (figures match, none agrees) or not_found; the matching figures with their
        printed words, locator, span and permalink, agreeing ones first; and one sentence to quote.
        Figures are as printed by the document each names; the dataset version comes with every answer.
        """
        values = locals()
        with reading() as (session, version):
            try:
                claim = claim_of(
                    text=text,
                    values=values,
                    unit=unit,
                    raw_value=value if isinstance(value, str) else None,
                    location="argument",
                    study_names=lambda: names_of(session),
                    term_of=term_reader(session, location="argument"),
                )
            except ApiError as exc:
                raise _argument_error(exc) from exc
            answer = check_against_data(session, claim, version=version)
        return _answer(f"{answer.verdict.value}: {answer.explanation} (dataset version {version})", answer)

    @server.tool(annotations=READ_ONLY)
    @in_a_thread
    def cite(
        figure_id: Annotated[
            Id | None,
            Field(description="An outcome or adverse-event figure id, e.g. from find_figures or get_study."),
        ] = None,
        study_id: Annotated[Id | None, Field(description="A study id, to cite the study's documents.")] = None,
    ) -> Annotated[CallToolResult, CitationResult]:
        """How to cite a figure, an outcome or an adverse event (its source document, the place in it, the printed
        words, its permalink and the dataset version), or a study (its source documents and the dataset version).
        Give one of the two ids.
        Figures are as printed by the document each names; the dataset version comes with every answer.
        """
        if (figure_id is None) == (study_id is None):
            raise ToolError("argument 'figure_id' or 'study_id': give exactly one of the two")
        current = state()
        with reading() as (session, version):
            if figure_id is not None:
                figure = figure_projection(session, figure_id)
                if figure is None:
                    raise ToolError(f"argument 'figure_id': no outcome or adverse-event figure with id {figure_id!r}")
                sources = Citations(sources_by_id(session, [figure.source_id]), [figure.source_id]).sources
                document = sources[0]
                citation = (
                    f"{_document_words(document)}. {figure.locator}: {figure.printed!r}. "
                    f"Via the T-ALL Evidence API, dataset version {version}, {figure.permalink}"
                )
                result = CitationResult(
                    **figure.model_dump(include={"id", "printed", "locator", "span_start", "span_end", "permalink"}),
                    dataset_version=version,
                    kind="figure",
                    citation=citation,
                    sources=sources,
                    how_to_cite_dataset=current.meta.how_to_cite,
                )
            else:
                assert study_id is not None  # exactly one of the two was given (checked above)
                study = studies_by_id(session, [study_id]).get(study_id)
                if study is None:
                    raise ToolError(f"argument 'study_id': no study with id {study_id!r}")
                detail = study_detail(session, study)
                sources = detail.sources
                citation = "; ".join(_document_words(s) for s in sources)
                citation += f". Via the T-ALL Evidence API, dataset version {version}, study {detail.id}"
                result = CitationResult(
                    dataset_version=version,
                    id=detail.id,
                    kind="study",
                    citation=citation,
                    sources=sources,
                    how_to_cite_dataset=current.meta.how_to_cite,
                )
        return _answer(result.citation, result)

    return server
