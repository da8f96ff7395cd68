"""Reading figures' projections (models.projection): the one way a face gets a figure's facts."""

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

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


def outcomes_in_id_order(session: Session, conditions: Sequence[Any]) -> list[OutcomePublic]:
    """The projections of the outcomes meeting conditions, by id."""
    return outcome_projections(session, conditions, order_by=[col(Outcome.id)])


def outcome_projection(session: Session, figure_id: str) -> OutcomePublic | None:
    """One outcome's projection, or None when no outcome has that id."""
    row = session.get(Outcome, figure_id)
    return None if row is None else to_public(OutcomePublic, row)
