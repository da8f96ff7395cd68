"""The order figures are shown in: response before survival, as the Measure vocabulary lists them."""

from models.adverse_event import AdverseEventPublic
from models.enums import AdverseEventTerm, Measure
from models.outcome import OutcomePublic

MEASURE_ORDER = [m.value for m in Measure]
TERM_ORDER = [t.value for t in AdverseEventTerm]
_MEASURES = {m: i for i, m in enumerate(MEASURE_ORDER)}
_TERMS = {t: i for i, t in enumerate(TERM_ORDER)}


def ordered_outcomes(outcomes: list[OutcomePublic]) -> list[OutcomePublic]:
    return sorted(
        outcomes,
        key=lambda o: (
            _MEASURES.get(o.measure, len(_MEASURES)),
            o.arm_id or "",
            o.subgroup or "",
            o.time_point_months if o.time_point_months is not None else -1,
            o.id,
        ),
    )


def ordered_adverse_events(events: list[AdverseEventPublic]) -> list[AdverseEventPublic]:
    return sorted(events, key=lambda e: (_TERMS.get(e.term, len(_TERMS)), e.grade_min or 0, e.arm_id or "", e.id))
