"""SQLModel tables, response models and fixture formats of the T-ALL evidence service."""

from models.adverse_event import AdverseEvent
from models.arm import Arm, Intervention
from models.car_product import CarProduct
from models.characteristic import Characteristic
from models.conflict import Conflict, ConflictLink
from models.correction import Correction, CorrectionLink
from models.epidemiology import EpidemiologyFigure
from models.finding import Finding
from models.fragment import ComparisonFragment, Fragment
from models.outcome import Outcome
from models.search_index import SearchDocument, SearchPosting
from models.source import Source
from models.study import Report, Study, StudyLink
from models.study_tag import StudyTag
from models.terminology import TermCode

TABLES = (
    Source,
    Study,
    Report,
    StudyLink,
    StudyTag,
    Arm,
    Intervention,
    CarProduct,
    Outcome,
    AdverseEvent,
    Characteristic,
    Finding,
    Conflict,
    EpidemiologyFigure,
    TermCode,
)

# The tables of sourced figures, by the kind name conflicts report their members under.
FIGURE_TABLES: dict[str, type[Outcome] | type[AdverseEvent] | type[Characteristic] | type[EpidemiologyFigure]] = {
    "outcome": Outcome,
    "adverse_event": AdverseEvent,
    "characteristic": Characteristic,
    "epidemiology": EpidemiologyFigure,
}

__all__ = [
    "FIGURE_TABLES",
    "TABLES",
    "AdverseEvent",
    "Arm",
    "CarProduct",
    "Characteristic",
    "ComparisonFragment",
    "Conflict",
    "ConflictLink",
    "Correction",
    "CorrectionLink",
    "EpidemiologyFigure",
    "Finding",
    "Fragment",
    "Intervention",
    "Outcome",
    "Report",
    "SearchDocument",
    "SearchPosting",
    "Source",
    "Study",
    "StudyLink",
    "StudyTag",
    "TermCode",
]
