"""FHIR R5, read-only: the CapabilityStatement, read by id and search (GET, or POST [type]/_search
with a form body), as application/fhir+json.

Every error under /fhir is an OperationOutcome (FHIR's error format) rather than problem
details, so FHIR clients can read it; the routes stay out of the OpenAPI document, which
describes the /v1 API (FHIR clients read /fhir/metadata instead).

The resources are mapped once per dataset version and canonical base from the public models
the /v1 routes serve (studies in full, sources, comparisons) and kept, so a read or a search is
a lookup. Answers vary with Accept (XML is refused) and Prefer (handling=strict), and say so.
"""

import re
from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.deps import AppStateDep, BuildMetaDep, Computed, ComputedDep, MetaDep, SessionDep, describe_build
from api.fhir.elements import Urls
from api.fhir.queries import fhir_inputs
from api.fhir.responses import (
    FHIR_MEDIA_TYPE,
    RESOURCE_TYPES,
    capability_statement,
    fhir_json,
    operation_outcome,
    searchset,
    subset,
    summary,
)
from api.fhir.search_index import SEARCHED_BY, FhirIndex, build_index
from api.fhir.search_parameters import (
    Search,
    SearchRefused,
    check_format,
    read_search,
    read_shape,
    strict_handling,
    taken,
)
from api.render.lists import pin_of, pinned_url
from api.request_body import CLOSE_CONNECTION, BodyRefused, read_body
from models.meta import Meta

_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
# The charsets a form body may declare: the percent-encoding is read as UTF-8, of which US-ASCII is part.
FORM_CHARSETS = ("utf-8", "us-ascii")
FORM_BODY_MAX_BYTES = 2048
"""A POST _search form body is held to the size a query string may have (api.middleware.limits)."""
XML_MEDIA_TYPES = ("application/fhir+xml", "application/xml", "text/xml")
VARY = "Accept, Prefer"


def fhir_response(body: dict[str, Any], status: int = 200, *, pretty: bool = False) -> Response:
    return Response(
        fhir_json(body, pretty=pretty), status_code=status, media_type=FHIR_MEDIA_TYPE, headers={"Vary": VARY}
    )


class FhirRoute(APIRoute):
    """Turns a SearchRefused raised anywhere in a handler into its OperationOutcome."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except SearchRefused as exc:
                return fhir_response(operation_outcome(exc.code, exc.diagnostics, exc.expression), exc.status)
            except BodyRefused as exc:
                code = {408: "timeout", 415: "not-supported", 501: "not-supported"}.get(exc.status, "too-costly")
                diagnostics = f"The form body of POST _search was not read: {exc.reason}."
                response = fhir_response(operation_outcome(code, diagnostics), exc.status)
                response.headers.update(CLOSE_CONNECTION)
                return response

        return answer


router = APIRouter(prefix="/fhir", tags=["fhir"], route_class=FhirRoute, include_in_schema=False)


def served_at(request: Request) -> str:
    """Where this request reached the FHIR face: the base of fullUrl and paging links (locations, not names)."""
    return str(request.base_url).rstrip("/") + "/fhir"


async def canonical_urls(state: AppStateDep) -> Urls:
    return Urls(state.fhir_canonical_base)


UrlsDep = Annotated[Urls, Depends(canonical_urls)]


# The definitions the served resources refer to are dated with the build (definitions.definitions):
# an answer holding one shows the build, so its ETag names it (api.deps.describe_build).
DATED_TYPES = frozenset({"StructureDefinition", "CodeSystem", "NamingSystem"})


def _describe_dated(request: Request, resource_type: str, meta: Meta) -> None:
    if resource_type in DATED_TYPES:
        describe_build(request, meta)


def fhir_index(computed: Computed, session: Session, *, meta: Meta, urls: Urls) -> FhirIndex:
    """The release's resources, mapped once (one build even when requests arrive together) and kept."""

    def build() -> FhirIndex:
        inputs = fhir_inputs(session, meta.dataset_version)
        return build_index(
            urls,
            studies=inputs.studies,
            sources=inputs.sources,
            comparisons=inputs.comparisons,
            intervals=inputs.intervals,
            built_at=meta.built_at,
        )

    return computed(("fhir-index", urls.base), build)


def _check_accept(request: Request) -> None:
    """406 when the Accept header asks for XML and not JSON (FHIR's two formats; only JSON is served)."""
    accept = ",".join(request.headers.getlist("accept")).lower()
    ranges = [r.split(";")[0].strip() for r in accept.split(",") if r.strip()]
    if any(r in XML_MEDIA_TYPES for r in ranges) and not any(
        "json" in r or r in ("*/*", "application/*") for r in ranges
    ):
        raise SearchRefused(406, "not-supported", "Only JSON (application/fhir+json) is served; XML is not.")


def _check_request(request: Request, resource_type: str | None = None) -> None:
    # An empty _format is no format, as an empty parameter is no parameter (FHIR search 3.2.1.3).
    formats = [value for value in request.query_params.getlist("_format") if value != ""]
    check_format(formats)
    if not formats:  # _format overrides Accept (FHIR R5 http.html): for clients that cannot set it
        _check_accept(request)
    if resource_type is not None and resource_type not in RESOURCE_TYPES:
        raise SearchRefused(
            404,
            "not-supported",
            f"Resource type {resource_type!r} is not served here; served: {', '.join(RESOURCE_TYPES)}.",
        )


@router.get("/metadata", summary="The CapabilityStatement")
def get_metadata(request: Request, meta: BuildMetaDep, urls: UrlsDep) -> Response:
    _check_request(request)
    # Only the full statement is served: mode=terminology asks for a TerminologyCapabilities resource, and
    # any other parameter was dropped without a word (session 12's probe, A7); a read's rule, and mode=full.
    extra = sorted(set(request.query_params) - {"_format", "mode", "_pretty"})
    modes = request.query_params.getlist("mode")
    if extra or any(mode != "full" for mode in modes):
        asked = extra or ["mode"]
        raise SearchRefused(
            400,
            "not-supported",
            "The CapabilityStatement takes no parameters but _format, _pretty and mode=full (mode=normative and "
            f"mode=terminology are not served); got {', '.join(f'{n}={request.query_params[n]}' for n in asked)}.",
            expression=tuple(asked),
        )
    pretty = read_shape([(n, v) for n, v in request.query_params.multi_items() if n == "_pretty"]).pretty
    statement = capability_statement(
        urls,
        served_at=served_at(request),
        software_version=meta.api_version,
        dataset_version=meta.dataset_version,
        date=meta.built_at,
    )
    return fhir_response(statement, pretty=pretty)


def _answer_search(
    request: Request, resource_type: str, pairs: list[tuple[str, str]], *, index: FhirIndex, urls: Urls
) -> Response:
    strict = strict_handling(request.headers.getlist("prefer"))
    searchable = SEARCHED_BY[resource_type]
    search = read_search(pairs, strict=strict, searchable=searchable, systems={"measure": urls.code_system("measure")})
    found = index.search(resource_type, search.criteria, search.sort)
    base = served_at(request)
    # The links name the search as it was run (FHIR: a client reads the self link to see what was
    # used): a parameter ignored (unknown, a modifier, _summary=text, empty) is left out of them.
    kept = [
        (name, value)
        for name, value in pairs
        if taken(name, value, searchable=searchable) and name not in ("_count", "_offset")
    ]
    kept += pin_of(request).items()

    def at(offset: int) -> str:
        return f"{base}/{resource_type}?" + urlencode([*kept, ("_count", search.count), ("_offset", offset)])

    total = None if search.total == "none" else len(found)
    if search.summary == "count" or search.count == 0:
        links = {"self": at(search.offset)}
        # The total alone, unless _total=none asks for none (session 12's probe: it was given anyway).
        page_of_none = searchset([], base=base, total=total, links=links, ignored=search.ignored)
        return fhir_response(page_of_none, pretty=search.pretty)
    count, offset = search.count, search.offset
    links = {"self": at(offset), "first": at(0)}
    if offset > 0:
        links["previous"] = at(max(0, offset - count))
    if offset + count < len(found):
        links["next"] = at(offset + count)
    links["last"] = at(max(0, (len(found) - 1) // count * count))
    page = [_shaped(r, search) for r in found[offset : offset + count]]
    # Each entry's location as of the pinned release, as the paging links are (session 15's probe, JA6).
    bundle = searchset(
        page,
        base=base,
        total=total,
        links=links,
        ignored=search.ignored,
        located=lambda url: pinned_url(request, url),
    )
    return fhir_response(bundle, pretty=search.pretty)


def _shaped(resource: dict[str, Any], search: Search) -> dict[str, Any]:
    if search.summary == "true":
        return summary(resource)
    if search.elements is not None:
        return subset(resource, search.elements)
    return resource


@router.get("/{resource_type}", summary="Search one resource type")
def search_type(
    resource_type: str, request: Request, session: SessionDep, *, meta: MetaDep, urls: UrlsDep, computed: ComputedDep
) -> Response:
    _check_request(request, resource_type)
    _describe_dated(request, resource_type, meta)
    index = fhir_index(computed, session, meta=meta, urls=urls)
    return _answer_search(request, resource_type, list(request.query_params.multi_items()), index=index, urls=urls)


def _check_form_type(request: Request) -> None:
    """415 unless the body is declared a form (FHIR's POST _search) in UTF-8: Content-Type
    application/x-www-form-urlencoded with no charset or utf-8 or us-ascii. Only a request with no
    body at all (every parameter in the URL) may leave Content-Type out."""
    wanted = f"POST _search takes a form body: Content-Type {FORM_MEDIA_TYPE}, in UTF-8"
    content_type = request.headers.get("content-type")
    if content_type is None:
        if request.headers.get("content-length", "0") != "0" or "transfer-encoding" in request.headers:
            raise SearchRefused(415, "not-supported", f"{wanted}; this request has a body and no Content-Type.")
        return
    media_type, *parameters = (part.strip() for part in content_type.split(";"))
    if media_type.lower() != FORM_MEDIA_TYPE:
        raise SearchRefused(415, "not-supported", f"{wanted}, not {media_type or 'an empty one'}.")
    for name, _, value in (parameter.partition("=") for parameter in parameters):
        charset = value.strip().strip('"').lower()
        if name.strip().lower() == "charset" and charset not in FORM_CHARSETS:
            raise SearchRefused(415, "not-supported", f"{wanted} (charset utf-8 or us-ascii), not charset {charset}.")


async def _form_pairs(request: Request, *, seconds: float) -> list[tuple[str, str]]:
    """The form body of POST [type]/_search, bounded like a query string and by the body deadline,
    as (name, value) pairs."""
    _check_form_type(request)
    body = await read_body(request.scope, request.receive, limit=FORM_BODY_MAX_BYTES, seconds=seconds)
    try:
        return parse_qsl(body.decode("ascii"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise SearchRefused(400, "invalid", "The form body is not valid UTF-8 form encoding.") from None


async def _search_form(
    resource_type: str, request: Request, *, state: AppStateDep, meta: MetaDep
) -> list[tuple[str, str]]:
    """POST [type]/_search's request checked and its parameters read, the form body's among them."""
    _check_request(request, resource_type)
    _describe_dated(request, resource_type, meta)
    return [*request.query_params.multi_items(), *await _form_pairs(request, seconds=state.body_timeout)]


# Declared before the session, so resolved first: a client that is slow to send its body, or never does,
# holds no session and no place among the requests that read.
SearchFormDep = Annotated[list[tuple[str, str]], Depends(_search_form)]


@router.post("/{resource_type}/_search", summary="Search one resource type, the parameters in a form body")
async def search_type_by_post(
    resource_type: str,
    request: Request,
    *,
    pairs: SearchFormDep,
    session: SessionDep,
    meta: MetaDep,
    urls: UrlsDep,
    computed: ComputedDep,
) -> Response:
    # In turn with the other requests that read (SessionDep's admission): outside it, 60 searches waiting on a
    # database that took no new connection held every worker thread, and /v1/meta, which reads none, waited
    # 207 s for one (session 15's probe, JB2).
    index = await run_in_threadpool(fhir_index, computed, session, meta=meta, urls=urls)
    return _answer_search(request, resource_type, pairs, index=index, urls=urls)


@router.get("/{resource_type}/{resource_id}", summary="Read one resource by id")
def read(
    resource_type: str,
    resource_id: str,
    request: Request,
    *,
    session: SessionDep,
    meta: MetaDep,
    urls: UrlsDep,
    computed: ComputedDep,
) -> Response:
    _check_request(request, resource_type)
    shape = read_shape(list(request.query_params.multi_items()))
    if resource_id.startswith("_"):  # an interaction's keyword (_history, GET _search), never an id
        raise _not_served(f"{resource_type}/{resource_id}")
    if not _FHIR_ID.match(resource_id):
        raise SearchRefused(400, "invalid", f"{resource_id!r} is not a FHIR id ([A-Za-z0-9-.], 1 to 64 characters).")
    _describe_dated(request, resource_type, meta)
    index = fhir_index(computed, session, meta=meta, urls=urls)
    resource = index.resources[resource_type].get(resource_id)
    if resource is None:
        raise SearchRefused(404, "not-found", f"No {resource_type} with id {resource_id!r}.")
    return fhir_response(_shaped(resource, shape), pretty=shape.pretty)


@router.get("/{path:path}", summary="Any other path: not a FHIR interaction served here")
def unknown_path(path: str) -> Response:
    raise _not_served(path)


def _not_served(path: str) -> SearchRefused:
    return SearchRefused(
        404,
        "not-supported",
        f"/fhir/{path} is not served: use /fhir/metadata, /fhir/<type>, /fhir/<type>/<id> "
        "or POST /fhir/<type>/_search.",
    )
