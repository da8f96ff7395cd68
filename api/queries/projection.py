"""Reading figures' projections (models.projection): the one way a face gets a figure's facts."""

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, select

from api.queries.pages import to_public, where
from models import AdverseEvent, Outcome
from models.adverse_event import AdverseEventPublic
from models.outcome import OutcomePublic


def project(row: Outcome | AdverseEvent) -> OutcomePublic | AdverseEventPublic:
    """A stored figure's projection: the facts the loader stored with it, as every face shows them."""
    return to_public(OutcomePublic, row) if isinstance(row, Outcome) else to_public(AdverseEventPublic, row)


def outcome_projections(session: Session, conditions: Sequence[Any], *, order_by: Sequence[Any]) -> list[OutcomePublic]:
    """The projections of the outcomes meeting conditions, in the order given."""
    rows = session.exec(where(select(Outcome), list(conditions)).order_by(*order_by))
    return [to_public(OutcomePublic, row) for row in rows]
