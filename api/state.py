"""The application's state: the releases the lifespan opened, typed, and the one way to read them.

Everything that belongs to one dataset build lives on its Release: the database (with its
memo of counted totals) and the metadata; what is computed from a release's data on first
use (the downloads, the FHIR index, the changes between two releases) is kept in the
state's Derived store under the release's version, two releases' worth at most. A request
reads the state through request_state: the whole state, or, for a URL pinned with ?version=, the view a
server holding only that release would have (api.middleware.releases puts it in the scope).
"""

import hashlib
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from api.database import Database
from api.lru import BoundedLRU
from models.meta import Meta

T = TypeVar("T")

# Releases whose computed values are kept at once: the current one and the last other one asked
# for. A release's values (its downloads and FHIR index) can be a few hundred MiB at 100 times the
# curated data, so memory is bounded by this, not by how many releases are served.
DERIVED_RELEASES = 2


class Derived:
    """What is computed from a release's data on first use, built once and shared by every request.

    Building one reads every table, so concurrent first requests wait for one build instead
    of each building. The values of at most max_releases releases are kept, least recently
    used release out first.
    """

    def __init__(self, max_releases: int = DERIVED_RELEASES) -> None:
        self._releases: BoundedLRU[str, dict[Hashable, Any]] = BoundedLRU(max_releases, max_releases)
        self._lock = threading.Lock()
        self._failures = 0
        self._failed: dict[tuple[str, Hashable], tuple[int, Exception]] = {}

    def get(self, version: str, what: Hashable, build: Callable[[], T]) -> T:
        """The value, built by the first request to need it. A build that fails fails for every request that
        waited for it; the next request to come builds again. Each waiting request built in turn: with
        PostgreSQL taking no new connection, the k-th waited k times its 10 s connect timeout for its 503
        (session 15's probe, JB2)."""
        failures_before = self._failures
        with self._lock:
            values = self._releases.get(version)
            if values is None:
                values = {}
                self._releases.put(version, values, 1)
            if what not in values:
                failed = self._failed.get((version, what))
                if failed is not None and failed[0] > failures_before:
                    raise failed[1]
                try:
                    values[what] = build()
                except Exception as exc:
                    self._failures += 1
                    self._failed[(version, what)] = (self._failures, exc)
                    raise
                self._failed.pop((version, what), None)
            value: T = values[what]
            return value


@dataclass(frozen=True)
class Release:
    """One dataset build being served: its read-only database and the metadata recorded at build time."""

    database: Database
    meta: Meta

    @property
    def version(self) -> str:
        return self.meta.dataset_version


@dataclass(frozen=True)
class AppState:
    """Set once by the lifespan before anything is served; never changed afterwards.

    releases: oldest first; the last is the current release, answered when no version is asked for.
    """

    releases: tuple[Release, ...]
    fhir_canonical_base: str
    """Where the FHIR face's own definitions are named (settings.fhir_canonical_base): one for every release."""
    body_timeout: float
    """Seconds a request body may take to arrive once its head has (settings.body_timeout)."""
    derived: Derived = field(default_factory=Derived, compare=False)

    def __post_init__(self) -> None:
        if not self.releases:
            raise ValueError("an application state needs at least one release")

    @property
    def current(self) -> Release:
        return self.releases[-1]

    @property
    def database(self) -> Database:
        return self.current.database

    @property
    def meta(self) -> Meta:
        return self.current.meta

    @property
    def versions(self) -> list[str]:
        return [release.version for release in self.releases]

    def find(self, version: str) -> Release | None:
        return next((release for release in self.releases if release.version == version), None)

    def not_served(self, asked: str) -> str:
        """Why a version asked for cannot be answered: the versions that can, the current one marked."""
        names = [*self.versions[:-1], f"{self.versions[-1]} (current)"]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        return (
            f"Dataset version {asked!r} is not served here; this service serves "
            f"{'versions' if len(names) > 1 else 'version'} {listed}. Drop the version parameter for the "
            "current data, or ask a server that keeps that version."
        )

    def only(self, release: Release) -> "AppState":
        """The state of a server holding this release alone (what a URL pinned to it is answered from)."""
        return AppState(
            releases=(release,),
            fhir_canonical_base=self.fhir_canonical_base,
            body_timeout=self.body_timeout,
            derived=self.derived,
        )

    @property
    def identity(self) -> str:
        """What ETags name as the data: the version, or with several releases the current one and the set."""
        if len(self.releases) == 1:
            return self.current.version
        digest = hashlib.blake2b("\0".join(self.versions).encode(), digest_size=4).hexdigest()
        return f"{self.current.version}.{digest}"

    def computed(self, release: Release, what: Hashable, build: Callable[[], T]) -> T:
        """Something computed from release's data, built on first use and kept (bounded) for later requests."""
        return self.derived.get(release.version, what, build)


# One attribute on Starlette's untyped app.state; everything else goes through the functions below.
_ATTRIBUTE = "evidence"
# Where a request's scope holds the view it is answered from, when it differs from the whole state.
VIEW_KEY = "tall.view"


def set_app_state(app: Any, state: AppState | None) -> None:
    setattr(app.state, _ATTRIBUTE, state)


def find_app_state(app: Any) -> AppState | None:
    """The state, or None before the lifespan has run (an error page can be rendered then)."""
    state = getattr(app.state, _ATTRIBUTE, None)
    return state if isinstance(state, AppState) else None


def app_state(app: Any) -> AppState:
    state = find_app_state(app)
    if state is None:
        raise RuntimeError("the application's lifespan has not opened the dataset yet")
    return state


# An answer that shows the build itself (its time) rather than only the data says so here, in the
# request's scope state (shared by every copy of the scope): its ETag then names the build too
# (api.middleware.etags), since two builds of one dataset version give different bodies for it.
_BUILD_DESCRIBED = "tall.build_described"


def mark_build_described(scope: Any, built_at: str) -> None:
    scope.setdefault("state", {})[_BUILD_DESCRIBED] = built_at


def build_described(scope: Any) -> str | None:
    """The build time the answer shows, when it shows one."""
    described = scope.get("state", {}).get(_BUILD_DESCRIBED)
    return described if isinstance(described, str) else None


def find_request_state(scope: Any) -> AppState | None:
    """The state a request is answered from: its pinned view, else the application's (None before start-up)."""
    view = scope.get(VIEW_KEY)
    if isinstance(view, AppState):
        return view
    app = scope.get("app")
    return find_app_state(app) if app is not None else None


def pinned_version(scope: Any) -> str | None:
    """The version a request's ?version= named (its answer never changes), or None."""
    view = scope.get(VIEW_KEY)
    return view.current.version if isinstance(view, AppState) else None


def request_state(scope: Any) -> AppState:
    state = find_request_state(scope)
    if state is None:
        raise RuntimeError("the application's lifespan has not opened the dataset yet")
    return state
