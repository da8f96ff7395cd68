"""The application's state: what the lifespan opened, typed, and the one way to read it."""

from dataclasses import dataclass
from typing import Any

from api.database import Database
from models.meta import Meta


@dataclass(frozen=True)
class AppState:
    """Set once by the lifespan before anything is served; never changed afterwards."""

    database: Database
    meta: Meta
    fhir_canonical_base: str
    """Where the FHIR face's own definitions are named (settings.fhir_canonical_base)."""


# One attribute on Starlette's untyped app.state; everything else goes through the functions below.
_ATTRIBUTE = "evidence"


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
