"""Reading figures' projections (models.projection): the one way a face gets a figure's facts."""

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col

from api.queries.fragments import bodies_of
from api.queries.pages import to_public
from models import AdverseEvent, Outcome
from models.adverse_event import AdverseEventPublic
from models.fragment import FragmentKind
from models.outcome import OutcomePublic


def project(row: Outcome | AdverseEvent) -> OutcomePublic | AdverseEventPublic:
    """A stored figure's projection: the facts the loader stored with it, as every face shows them."""
    return to_public(OutcomePublic, row) if isinstance(row, Outcome) else to_public(AdverseEventPublic, row)


def _outcome_json(session: Session, conditions: Sequence[Any], *, order_by: Sequence[Any]) -> list[bytes]:
    """The stored JSON (models.fragment) of the outcomes meeting conditions, in the order given:
    each outcome's projection as written at build time."""
    statement = bodies_of(Outcome, FragmentKind.outcome)
    if conditions:
        statement = statement.where(*conditions)
    return list(session.exec(statement.order_by(*order_by)))


def outcome_projections(session: Session, conditions: Sequence[Any], *, order_by: Sequence[Any]) -> list[OutcomePublic]:
    """The projections of the outcomes meeting conditions, in the order given.

    Parsed from their stored JSON: several times cheaper than loading rows and validating them again.
    """
    return [OutcomePublic.model_validate_json(body) for body in _outcome_json(session, conditions, order_by=order_by)]


def outcomes_in_id_order(session: Session, conditions: Sequence[Any]) -> list[OutcomePublic]:
    """The projections of the outcomes meeting conditions, by id."""
    return outcome_projections(session, conditions, order_by=[col(Outcome.id)])


def figure_projection(session: Session, figure_id: str) -> OutcomePublic | AdverseEventPublic | None:
    """One figure's projection, an outcome's or an adverse event's (every figure has a permalink to
    cite, FA8), or None when neither has that id."""
    row: Outcome | AdverseEvent | None = session.get(Outcome, figure_id) or session.get(AdverseEvent, figure_id)
    return None if row is None else project(row)
