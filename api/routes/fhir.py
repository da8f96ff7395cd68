"""FHIR R5, read-only: the CapabilityStatement, read by id and search, as application/fhir+json.

Every error under /fhir is an OperationOutcome (FHIR's error format) rather than problem
details, so FHIR clients can read it; the routes stay out of the OpenAPI document, which
describes the /v1 API (FHIR clients read /fhir/metadata instead).

The resources are mapped once per dataset version from the public models the
/v1 routes serve (studies in full, sources, comparisons) and kept, so a read or a search is
a lookup.
"""

import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from sqlmodel import Session

from api.deps import PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX, Computed, ComputedDep, MetaDep, SessionDep
from api.queries.fhir import fhir_inputs
from api.render.fhir import (
    BASE_TOKEN,
    CONTROL_PARAMETERS,
    FHIR_MEDIA_TYPE,
    RESOURCE_TYPES,
    SEARCH_PARAMETERS,
    FhirIndex,
    Urls,
    build_index,
    capability_statement,
    operation_outcome,
    searchset,
    with_base,
)
from models.enums import Measure

MAX_OFFSET = 1_000_000
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_SEARCH_VALUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
JSON_FORMATS = {"json", "application/json", "application/fhir+json"}


class FhirError(Exception):
    """An error answered as an OperationOutcome with an HTTP status."""

    def __init__(self, status: int, code: str, diagnostics: str, *, expression: tuple[str, ...] = ()) -> None:
        super().__init__(diagnostics)
        self.status, self.code, self.diagnostics, self.expression = status, code, diagnostics, expression


def fhir_response(request: Request, body: dict[str, Any], status: int = 200) -> Response:
    return Response(with_base(body, fhir_base(request)), status_code=status, media_type=FHIR_MEDIA_TYPE)


class FhirRoute(APIRoute):
    """Turns a FhirError raised anywhere in a handler into its OperationOutcome."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except FhirError as exc:
                return fhir_response(request, operation_outcome(exc.code, exc.diagnostics, exc.expression), exc.status)

        return answer


router = APIRouter(prefix="/fhir", tags=["fhir"], route_class=FhirRoute, include_in_schema=False)


def fhir_base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/fhir"


def fhir_index(computed: Computed, session: Session, version: str) -> FhirIndex:
    """The release's resources, mapped once (one build even when requests arrive together) and kept."""

    def build() -> FhirIndex:
        inputs = fhir_inputs(session, version)
        return build_index(
            Urls(BASE_TOKEN),
            studies=inputs.studies,
            sources=inputs.sources,
            comparisons=inputs.comparisons,
            intervals=inputs.intervals,
        )

    return computed("fhir-index", build)


def _check_format(request: Request) -> None:
    # The Accept header is not checked: the response cache keys on the /v1 formats it asks for,
    # so FHIR answers JSON whatever it says; _format is in the query string, hence in the key.
    fmt = request.query_params.get("_format")
    if fmt is not None and fmt not in JSON_FORMATS:
        raise FhirError(406, "not-supported", f"_format {fmt!r} is not served; only JSON is.", expression=("_format",))


def _check_type(resource_type: str) -> None:
    if resource_type not in RESOURCE_TYPES:
        raise FhirError(
            404,
            "not-supported",
            f"Resource type {resource_type!r} is not served here; served: {', '.join(RESOURCE_TYPES)}.",
        )


def _integer(request: Request, name: str, *, default: int, low: int, high: int) -> int:
    raw = request.query_params.getlist(name)
    if not raw:
        return default
    if len(raw) > 1 or not raw[0].isdigit() or not low <= int(raw[0]) <= high:
        raise FhirError(400, "invalid", f"{name} must be one whole number from {low} to {high}.", expression=(name,))
    return int(raw[0])


def _criteria(request: Request) -> dict[str, list[str]]:
    """Search parameters as lists of alternatives (repeated or comma-separated), each value checked."""
    unknown = sorted(set(request.query_params) - set(SEARCH_PARAMETERS) - set(CONTROL_PARAMETERS))
    if unknown:
        accepted = ", ".join([*SEARCH_PARAMETERS, *CONTROL_PARAMETERS])
        raise FhirError(
            400,
            "not-supported",
            f"Unknown search parameter(s): {', '.join(unknown)}. Accepted: {accepted}.",
            expression=tuple(unknown),
        )
    criteria: dict[str, list[str]] = {}
    for name in SEARCH_PARAMETERS:
        values = [v for raw in request.query_params.getlist(name) for v in raw.split(",")]
        if not request.query_params.getlist(name):
            continue
        for value in values:
            if not _SEARCH_VALUE.match(value):
                raise FhirError(
                    400, "invalid", f"{name}: {value!r} is not a valid identifier or code.", expression=(name,)
                )
            if name == "measure" and value not in Measure.__members__.values():
                known = ", ".join(m.value for m in Measure)
                raise FhirError(
                    400, "code-invalid", f"measure: unknown code {value!r}; known: {known}.", expression=(name,)
                )
        criteria[name] = values
    return criteria


@router.get("/metadata", summary="The CapabilityStatement")
def get_metadata(request: Request, meta: MetaDep) -> Response:
    _check_format(request)
    statement = capability_statement(
        Urls(BASE_TOKEN),
        software_version=meta.api_version,
        dataset_version=meta.dataset_version,
        date=meta.built_at,
    )
    return fhir_response(request, statement)


@router.get("/{resource_type}", summary="Search one resource type")
def search(
    resource_type: str, request: Request, session: SessionDep, *, meta: MetaDep, computed: ComputedDep
) -> Response:
    _check_type(resource_type)
    _check_format(request)
    criteria = _criteria(request)
    count = _integer(request, "_count", default=PAGE_SIZE_DEFAULT, low=1, high=PAGE_SIZE_MAX)
    offset = _integer(request, "_offset", default=0, low=0, high=MAX_OFFSET)
    found = fhir_index(computed, session, meta.dataset_version).search(resource_type, criteria)

    def at(new_offset: int) -> str:
        return str(request.url.include_query_params(_count=count, _offset=new_offset))

    links = {"self": at(offset), "first": at(0)}
    if offset > 0:
        links["previous"] = at(max(0, offset - count))
    if offset + count < len(found):
        links["next"] = at(offset + count)
    links["last"] = at(max(0, (len(found) - 1) // count * count))
    bundle = searchset(found[offset : offset + count], base=BASE_TOKEN, total=len(found), links=links)
    return fhir_response(request, bundle)


@router.get("/{resource_type}/{resource_id}", summary="Read one resource by id")
def read(
    resource_type: str,
    resource_id: str,
    request: Request,
    *,
    session: SessionDep,
    meta: MetaDep,
    computed: ComputedDep,
) -> Response:
    _check_type(resource_type)
    _check_format(request)
    extra = sorted(set(request.query_params) - {"_format"})
    if extra:
        raise FhirError(
            400,
            "not-supported",
            f"A read takes no parameters but _format; got {', '.join(extra)}.",
            expression=tuple(extra),
        )
    if not _FHIR_ID.match(resource_id):
        raise FhirError(400, "invalid", f"{resource_id!r} is not a FHIR id ([A-Za-z0-9-.], 1 to 64 characters).")
    resource = fhir_index(computed, session, meta.dataset_version).resources[resource_type].get(resource_id)
    if resource is None:
        raise FhirError(404, "not-found", f"No {resource_type} with id {resource_id!r}.")
    return fhir_response(request, resource)


@router.get("/{path:path}", summary="Any other path: not a FHIR interaction served here")
def unknown_path(path: str) -> Response:
    raise FhirError(
        404, "not-supported", f"/fhir/{path} is not served: use /fhir/metadata, /fhir/<type> or /fhir/<type>/<id>."
    )
