"""The releases served side by side, what changed between two of them, and the same as an Atom feed."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.deps import AppStateDep, Release, describe_build, release_session
from api.errors import NOT_FOUND_RESPONSES, NotFound
from api.queries.changes import changes_between
from api.render.atom import ATOM_MEDIA_TYPE, ReleaseChanges, changes_feed
from api.render.formats import bytes_success
from models.release import ChangeList, RecordChange, ReleaseInfo, ReleaseList

router = APIRouter(prefix="/v1", tags=["releases"])

VERSION_PATTERN = r"^[A-Za-z0-9._-]+$"
FromQuery = Annotated[
    str | None,
    Query(
        alias="from",
        max_length=64,
        pattern=VERSION_PATTERN,
        description="The older release (default: the one before the current).",
    ),
]
ToQuery = Annotated[
    str | None,
    Query(alias="to", max_length=64, pattern=VERSION_PATTERN, description="The newer release (default: the current)."),
]


def release_infos(request: Request, state: AppStateDep) -> list[ReleaseInfo]:
    """Each release with its build time: the answer shows the builds, so its ETag names them."""
    describe_build(request, *(r.meta for r in state.releases))
    return [
        ReleaseInfo(version=r.version, built_at=r.meta.built_at, counts=r.meta.counts, current=r is state.current)
        for r in state.releases
    ]


def _release(state: AppStateDep, version: str) -> Release:
    release = state.find(version)
    if release is None:
        raise NotFound(state.not_served(version))
    return release


def _changes(state: AppStateDep, old: Release, new: Release) -> list[RecordChange]:
    """Computed once per pair of releases and kept (bounded, with the releases' other derived answers)."""

    def build() -> list[RecordChange]:
        with release_session(old) as before, release_session(new) as after:
            return changes_between(before, after)

    return state.computed(new, ("changes-from", old.version), build)


@router.get(
    "/releases",
    operation_id="listReleases",
    summary="List the releases served",
    response_model=ReleaseList,
    description="Every dataset build this service answers from, oldest first, with its build time and counts; "
    "the last is current. Add ?version=<version> to any GET to be answered from an earlier one.",
)
def list_releases(request: Request, state: AppStateDep) -> ReleaseList:
    return ReleaseList(releases=release_infos(request, state))


@router.get(
    "/changes",
    operation_id="listChanges",
    summary="What changed between two releases",
    response_model=ChangeList,
    responses=NOT_FOUND_RESPONSES,
    description="Each study, arm, intervention, figure, finding, conflict and source added, removed or changed "
    "from one release to another, with the fields that differ (before and after). Default: from the "
    "release before the current one to the current one.",
)
def list_changes(
    state: AppStateDep,
    from_version: FromQuery = None,
    to_version: ToQuery = None,
) -> ChangeList:
    new = _release(state, to_version) if to_version is not None else state.current
    if from_version is not None:
        old = _release(state, from_version)
    elif new is state.releases[0]:
        return ChangeList(from_version=None, to_version=new.version, changes=[])  # nothing before it
    else:
        old = state.releases[state.releases.index(new) - 1]
    return ChangeList(from_version=old.version, to_version=new.version, changes=_changes(state, old, new))


@router.get(
    "/changes.atom",
    operation_id="getChangesFeed",
    summary="The changes of each release as an Atom feed",
    response_class=Response,
    response_model=None,
    # An XML document that is not text/*: declared as bytes, as the ZIP and SVG are, so every generator returns it.
    responses=bytes_success(
        ATOM_MEDIA_TYPE,
        "An Atom feed: one entry per release, listing its changes with links to each changed record at both versions.",
    ),
    description="For feed readers and websites that follow the dataset: one entry per release served, newest "
    "first, listing what it changed from the release before it.",
)
def get_changes_feed(request: Request, state: AppStateDep) -> Response:
    releases = state.releases
    items = [
        ReleaseChanges(
            release=info,
            previous=releases[i - 1].version if i else None,
            changes=_changes(state, releases[i - 1], releases[i]) if i else [],
        )
        for i, info in enumerate(release_infos(request, state))
    ]
    base = str(request.base_url).rstrip("/")
    body = changes_feed(base, title="T-ALL Evidence API: changes by release", releases=items)
    return Response(body, media_type=ATOM_MEDIA_TYPE)
