"""Query-string filters for studies, outcomes and adverse events, turned into SQL conditions.

Within one parameter, repeated values are alternatives (disease=T-ALL&disease=T-LBL);
different parameters must all hold. Outcome and adverse-event lists accept every study
filter too, applied to the study each figure belongs to.

Each filter is written in two equivalent SQL forms (Conditions). A study filter written as
`study_id IN (SELECT ... FROM study_tag ...)` makes SQLite list every matching study before
the first row comes out: cheapest when every match is read (a count, facets, an export),
but a first page then costs as much as the whole result. Written as a correlated `EXISTS`,
an ordered `LIMIT` query walks its index and stops after one page, whatever the size of
the data; counting that way probes the tag index once per row instead, which is slower.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import Field
from sqlalchemy import ColumnElement, and_, exists
from sqlmodel import Session, col, select

from api.queries.search import search_ranks
from models import AdverseEvent, Outcome, Study, StudyTag
from models.enums import (
    AdverseEventTerm,
    AgeGroup,
    Agent,
    Antigen,
    CellSource,
    Design,
    Disease,
    FratricideStrategy,
    GradingSystem,
    Measure,
    Phase,
    Setting,
    SourceKind,
    Subgroup,
    TherapyClass,
)
from models.outcome import TimePoint

ANY_SUBGROUP = "any"
NO_SUBGROUP = "none"

# Subgroup values plus 'none' (whole population) and 'any'; follows Subgroup as it grows.
SubgroupFilter = StrEnum(  # type: ignore[misc]
    "SubgroupFilter", {**{s.name: s.value for s in Subgroup}, "none": NO_SUBGROUP, "any": ANY_SUBGROUP}
)


@dataclass
class Conditions:
    """One filter in two forms that select the same rows (see the module's docstring)."""

    all: list[ColumnElement[bool]] = field(default_factory=list)
    """For reading every match: counts, facets, exports."""
    first: list[ColumnElement[bool]] = field(default_factory=list)
    """For an ordered query with a LIMIT: one page."""
    asked: str | None = None
    """The filters as asked, written out (their repr): equal texts select the same rows of a
    table, so a count can be remembered under it. Set once every condition is in; adding one
    clears it, so conditions extended afterwards are never counted under the old text."""

    def add(self, condition: ColumnElement[bool] | None) -> None:
        """A condition that is the same in both forms (one on the table's own columns)."""
        if condition is not None:
            self.all.append(condition)
            self.first.append(condition)
            self.asked = None

    def add_among(self, study_id: Any, column: Any, conditions: list[ColumnElement[bool]], table: Any) -> None:
        """study_id (a column of table) is among the values of column in the rows meeting conditions."""
        self.all.append(col(study_id).in_(select(column).where(*conditions)))
        self.first.append(exists().where(column == study_id, *conditions).correlate(table))
        self.asked = None


@dataclass(frozen=True)
class StudyFilters:
    disease: list[Disease] | None = None
    setting: list[Setting] | None = None
    age_group: list[AgeGroup] | None = None
    design: list[Design] | None = None
    phase: list[Phase] | None = None
    therapy_class: list[TherapyClass] | None = None
    agent: list[Agent] | None = None
    target_antigen: list[Antigen] | None = None
    cell_source: list[CellSource] | None = None
    fratricide_strategy: list[FratricideStrategy] | None = None
    registry_id: list[str] | None = None
    year: list[int] | None = None
    source_id: list[str] | None = None
    min_patients: int | None = None
    age: float | None = None
    q: str | None = None

    TAG_FACETS = (
        "disease",
        "setting",
        "age_group",
        "design",
        "phase",
        "therapy_class",
        "agent",
        "target_antigen",
        "cell_source",
        "fratricide_strategy",
        "registry_id",
        "year",
        "source_id",
    )

    def conditions(self, session: Session, table: Any = Study) -> tuple[Conditions, dict[str, float] | None]:
        """Conditions on `table` (Study, or a figure table by its study_id), and search ranks when q is given."""
        study_id = table.id if table is Study else table.study_id
        conds = Conditions()
        for facet in self.TAG_FACETS:
            values = getattr(self, facet)
            if values:
                wanted = [v.value if hasattr(v, "value") else str(v) for v in values]
                tagged = [col(StudyTag.facet) == facet, col(StudyTag.value).in_(wanted)]
                conds.add_among(study_id, StudyTag.study_id, tagged, table)
        on_study: list[ColumnElement[bool]] = []
        if self.min_patients is not None:
            on_study.append(col(Study.n_enrolled) >= self.min_patients)
        if self.age is not None:
            on_study.append(and_(col(Study.age_min) <= self.age, col(Study.age_max) >= self.age))
        if on_study and table is Study:
            for condition in on_study:
                conds.add(condition)
        elif on_study:
            conds.add_among(study_id, Study.id, on_study, table)
        ranks = None
        if self.q is not None:
            ranks = search_ranks(session, self.q)
            conds.add(col(study_id).in_(list(ranks)))
        conds.asked = repr(self)
        return conds, ranks


# Bounds declared in the schema so the document and the service agree (and no value
# reaches the database that its integer columns cannot hold).
MAX_PATIENTS = 1_000_000
YEAR_MIN, YEAR_MAX = 1000, 9999


# Registry ids (NCT, ChiCTR, ISRCTN, jRCT, UMIN, EudraCT...) are letters, digits and hyphens ending in a
# digit; declaring it lets clients and the fuzzer know that words such as 'false' are not ids.
REGISTRY_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]{1,38}[0-9]$"


def _multi(description: str) -> Any:
    return Query(description=description + " Repeat the parameter for alternatives.")


def study_filters(
    disease: Annotated[list[Disease] | None, _multi("Disease included.")] = None,
    setting: Annotated[list[Setting] | None, _multi("Disease setting.")] = None,
    age_group: Annotated[list[AgeGroup] | None, _multi("Age group included.")] = None,
    design: Annotated[list[Design] | None, _multi("Study design.")] = None,
    phase: Annotated[list[Phase] | None, _multi("Trial phase.")] = None,
    therapy_class: Annotated[list[TherapyClass] | None, _multi("Class of therapy studied.")] = None,
    agent: Annotated[list[Agent] | None, _multi("Agent given in any arm.")] = None,
    target_antigen: Annotated[list[Antigen] | None, _multi("Antigen targeted by a CAR product.")] = None,
    cell_source: Annotated[list[CellSource] | None, _multi("Cell source of a CAR product.")] = None,
    fratricide_strategy: Annotated[
        list[FratricideStrategy] | None, _multi("Fratricide strategy of a CAR product.")
    ] = None,
    registry_id: Annotated[
        list[Annotated[str, Field(pattern=REGISTRY_ID_PATTERN)]] | None,
        _multi("Trial registry id, e.g. NCT04572308, ChiCTR2000032211 or 2015-001234-12 (EudraCT)."),
    ] = None,
    year: Annotated[
        list[Annotated[int, Field(ge=YEAR_MIN, le=YEAR_MAX)]] | None,
        _multi(f"Year a report of the study was presented or published ({YEAR_MIN}-{YEAR_MAX})."),
    ] = None,
    source_id: Annotated[list[str] | None, _multi("Document reporting on the study.")] = None,
    min_patients: Annotated[
        int | None,
        Query(ge=0, le=MAX_PATIENTS, description=f"At least this many patients enrolled (at most {MAX_PATIENTS})."),
    ] = None,
    age: Annotated[
        float | None, Query(ge=0, le=120, description="Printed age range includes this age (years).")
    ] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="Full-text search over titles, summaries, products, interventions, findings and notes; "
            "every word must match (as a prefix). Results are ranked when no sort is given.",
        ),
    ] = None,
) -> StudyFilters:
    return StudyFilters(
        disease=disease,
        setting=setting,
        age_group=age_group,
        design=design,
        phase=phase,
        therapy_class=therapy_class,
        agent=agent,
        target_antigen=target_antigen,
        cell_source=cell_source,
        fratricide_strategy=fratricide_strategy,
        registry_id=registry_id,
        year=year,
        source_id=source_id,
        min_patients=min_patients,
        age=age,
        q=q,
    )


StudyFiltersDep = Annotated[StudyFilters, Depends(study_filters)]


def _subgroup_condition(column: Any, subgroup: Sequence[str] | None) -> ColumnElement[bool] | None:
    if not subgroup or ANY_SUBGROUP in subgroup:
        return None
    named = [str(s) for s in subgroup if s != NO_SUBGROUP]
    conds = [col(column).in_(named)] if named else []
    if NO_SUBGROUP in subgroup:
        conds.append(col(column).is_(None))
    return conds[0] if len(conds) == 1 else conds[0] | conds[1]


SubgroupQuery = Annotated[
    list[SubgroupFilter] | None,
    Query(
        description="Subgroup the figure is for: a Subgroup value, 'none' for the whole population, "
        "or 'any' (the default) for all. Repeat for alternatives."
    ),
]


SourceKindQuery = Annotated[
    list[SourceKind] | None,
    _multi(
        "Kind of document carrying the figure (review, letter, interview, slide_deck, journal_article, "
        "conference_abstract)."
    ),
]


@dataclass(frozen=True)
class OutcomeFilters:
    study: StudyFilters
    measure: list[Measure] | None = None
    time_point: list[str] | None = None
    subgroup: Sequence[str] | None = None
    study_id: list[str] | None = None
    arm_id: list[str] | None = None
    figure_source_id: list[str] | None = None
    source_kind: list[SourceKind] | None = None

    def conditions(self, session: Session) -> Conditions:
        conds = _figure_conditions(session, Outcome, self.study, self.study_id, self.arm_id, self.figure_source_id)
        conds.add(col(Outcome.source_kind).in_(self.source_kind) if self.source_kind else None)
        conds.add(col(Outcome.measure).in_(self.measure) if self.measure else None)
        conds.add(col(Outcome.time_point).in_(self.time_point) if self.time_point else None)
        conds.add(_subgroup_condition(Outcome.subgroup, self.subgroup))
        conds.asked = repr(self)
        return conds


@dataclass(frozen=True)
class AdverseEventFilters:
    study: StudyFilters
    term: list[AdverseEventTerm] | None = None
    min_grade: int | None = None
    grading_system: list[GradingSystem] | None = None
    subgroup: Sequence[str] | None = None
    study_id: list[str] | None = None
    arm_id: list[str] | None = None
    figure_source_id: list[str] | None = None
    source_kind: list[SourceKind] | None = None

    def conditions(self, session: Session) -> Conditions:
        conds = _figure_conditions(session, AdverseEvent, self.study, self.study_id, self.arm_id, self.figure_source_id)
        conds.add(col(AdverseEvent.source_kind).in_(self.source_kind) if self.source_kind else None)
        conds.add(col(AdverseEvent.term).in_(self.term) if self.term else None)
        # A figure counts only when every grade it covers is at least min_grade.
        conds.add(col(AdverseEvent.grade_min) >= self.min_grade if self.min_grade is not None else None)
        conds.add(col(AdverseEvent.grading_system).in_(self.grading_system) if self.grading_system else None)
        conds.add(_subgroup_condition(AdverseEvent.subgroup, self.subgroup))
        conds.asked = repr(self)
        return conds


def _figure_conditions(
    session: Session,
    table: Any,
    study: StudyFilters,
    study_id: list[str] | None,
    arm_id: list[str] | None,
    figure_source_id: list[str] | None,
) -> Conditions:
    conds, _ = study.conditions(session, table)
    conds.add(col(table.study_id).in_(study_id) if study_id else None)
    conds.add(col(table.arm_id).in_(arm_id) if arm_id else None)
    conds.add(col(table.source_id).in_(figure_source_id) if figure_source_id else None)
    return conds


def outcome_filters(
    study: StudyFiltersDep,
    measure: Annotated[list[Measure] | None, _multi("Outcome measure.")] = None,
    time_point: Annotated[
        list[TimePoint] | None,
        Query(description="Time-point code (d28, 18m, 2y, cycle1, best). Repeat for alternatives."),
    ] = None,
    subgroup: SubgroupQuery = None,
    study_id: Annotated[list[str] | None, _multi("Study the figure belongs to.")] = None,
    arm_id: Annotated[list[str] | None, _multi("Arm the figure is for.")] = None,
    figure_source_id: Annotated[list[str] | None, _multi("Document the figure itself comes from.")] = None,
    source_kind: SourceKindQuery = None,
) -> OutcomeFilters:
    return OutcomeFilters(
        study=study,
        measure=measure,
        time_point=time_point,
        subgroup=subgroup,
        study_id=study_id,
        arm_id=arm_id,
        figure_source_id=figure_source_id,
        source_kind=source_kind,
    )


def adverse_event_filters(
    study: StudyFiltersDep,
    term: Annotated[list[AdverseEventTerm] | None, _multi("Adverse-event term.")] = None,
    min_grade: Annotated[
        int | None, Query(ge=1, le=5, description="Only figures whose grades are all at least this (3 = grade ≥3).")
    ] = None,
    grading_system: Annotated[list[GradingSystem] | None, _multi("Grading system.")] = None,
    subgroup: SubgroupQuery = None,
    study_id: Annotated[list[str] | None, _multi("Study the figure belongs to.")] = None,
    arm_id: Annotated[list[str] | None, _multi("Arm the figure is for.")] = None,
    figure_source_id: Annotated[list[str] | None, _multi("Document the figure itself comes from.")] = None,
    source_kind: SourceKindQuery = None,
) -> AdverseEventFilters:
    return AdverseEventFilters(
        study=study,
        term=term,
        min_grade=min_grade,
        grading_system=grading_system,
        subgroup=subgroup,
        study_id=study_id,
        arm_id=arm_id,
        figure_source_id=figure_source_id,
        source_kind=source_kind,
    )


OutcomeFiltersDep = Annotated[OutcomeFilters, Depends(outcome_filters)]
AdverseEventFiltersDep = Annotated[AdverseEventFilters, Depends(adverse_event_filters)]


def describe_filters(filters: StudyFilters) -> dict[str, list[str]]:
    """The filters that were given, with their values, for the table's heading."""
    return {
        name: [str(v) for v in (value if isinstance(value, list) else [value])]
        for name, value in vars(filters).items()
        if value is not None
    }
