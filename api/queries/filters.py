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

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from enum import StrEnum
from fractions import Fraction
from typing import Annotated, Any, ClassVar, Self

from fastapi import Depends, Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, WithJsonSchema
from pydantic_core import PydanticCustomError
from sqlalchemy import ColumnElement, and_, exists
from sqlmodel import Session, col, select

from api.queries.roles import ROLE_DESCRIPTION, ROLE_FACETS, RoleFilter, tag_condition
from api.queries.search import search_ranks
from api.queries.terminology import with_terms
from models import AdverseEvent, Outcome, Study, StudyTag
from models.enums import (
    AdverseEventTerm,
    AgeGroup,
    CellSource,
    Design,
    FratricideStrategy,
    GradingSystem,
    Measure,
    Phase,
    Setting,
    SourceKind,
    Subgroup,
    TherapyClass,
)
from models.identifiers import RecordId
from models.numbers import DecimalOrNone
from models.outcome import TIME_POINT_PATTERN, time_point_months
from models.terminology import AgentOrCode, AntigenOrCode, DiseaseOrCode, MeasureOrCode, TermOrCode

# The study filters that take a term or one of its codes (see api.queries.terminology).
CODED_STUDY_FILTERS = ("disease", "agent", "target_antigen")

TIME_POINT_FORMS = (
    "a time point is d followed by days (d28), a number of months or years (18m, 2y, 1.5y), "
    "cycle followed by its number (cycle1), or best (best response); ASCII digits only, written without "
    "leading zeros or trailing decimal zeros (d28, not d028; 2y, not 02y or 2.0y)"
)


ANY_SUBGROUP = "any"
NO_SUBGROUP = "none"
NO_TIME_POINT = "none"
# A figure's time point, or 'none' for the figures that state none: the facets count them under 'none',
# and a facet's value is a filter's (session 12's probe, A9: the menu offered a value the filter refused).
TIME_POINT_QUERY_PATTERN = f"^({NO_TIME_POINT}|{TIME_POINT_PATTERN.removeprefix('^').removesuffix('$')})$"


def _time_point(value: str) -> str:
    if value.casefold() == NO_TIME_POINT:
        return NO_TIME_POINT  # its one keyword, in any case, as enumerated values are (the ninth probe)
    if re.fullmatch(TIME_POINT_QUERY_PATTERN, value) is None:
        raise PydanticCustomError(
            "time_point", f"{value!r} is not a time point: {TIME_POINT_FORMS}; 'none' for figures that state none"
        )
    return value


def _a_time_point(value: str) -> str:
    if re.fullmatch(TIME_POINT_PATTERN, value) is None:
        raise PydanticCustomError("time_point", f"{value!r} is not a time point: {TIME_POINT_FORMS}")
    return value


def equivalent_time_points(code: str) -> tuple[str, ...]:
    """The codes naming the same time: '2y' is also '24m'; '18m' also '1.5y'. Others only themselves. A filter
    on one matches figures at any of them (session 13's probe, FA7: the lists found no figure at `24m` where the
    claim check found the 2-year one)."""
    if time_point_months(code) is None:
        return (code,)
    # In decimal, written out in full: a float's shortest form rounds to six digits ('1.00000001y'
    # read as 12m) and turns to an exponent past them ('1.2e+10m'), which is no time point.
    # Exact: a context as wide as the code (x12 adds two digits), where the default 28 digits rounded
    # 1.0000000000000000000000000001y to 12m.
    with localcontext() as exact:
        exact.prec = len(code) + 4
        number, unit = Decimal(code[:-1]), code[-1]
        months = number * 12 if unit == "y" else number
        codes = [code, f"{_plain(months)}m"]
        # In years too wherever that is a finite decimal: 9m is 0.75y as 0.75y is 9m (session 12's probe, A14:
        # the equivalence held one way only); 1m is 0.08333...y, which no code can write.
        years = Fraction(str(months)) / 12
        if _finite_decimal(years.denominator):
            codes.append(f"{_plain(Decimal(years.numerator) / Decimal(years.denominator))}y")
    return tuple(sorted(set(codes)))


def time_point_name(written: Mapping[str, int]) -> str:
    """The code naming a time its figures write more than one way (by code, how many write it): the one most
    write; of codes as many write, the first in code-point order (24m before 2y, 7y before 84m), so the name
    never depends on the order of the rows. A pool is named so (FA14), and a facet's entry for the time."""
    return min(written.items(), key=lambda item: (-item[1], item[0]))[0]


def counts_by_time(counts: Mapping[str, int]) -> dict[str, int]:
    """Counts by time-point code gathered into one per time, under the time's name (time_point_name): what a
    time-point filter selects, which matches every code of the time (session 14's probe, GA7: the facet counted
    24m and 2y apart, 1 each, where either filter selected 2). Codes of no time (d28, best, none) stay apart."""
    times: dict[tuple[str, ...], dict[str, int]] = defaultdict(dict)
    for code, count in counts.items():
        times[equivalent_time_points(code)][code] = count
    return {time_point_name(written): sum(written.values()) for written in times.values()}


def _finite_decimal(denominator: int) -> bool:
    """Whether a fraction with this (reduced) denominator is written in decimals with an end: 2s and 5s only,
    that is, it divides a power of ten (one with as many tens as it has bits holds as many 2s and 5s as it can)."""
    return pow(10, denominator.bit_length(), denominator) == 0


def _plain(number: Decimal) -> str:
    """A number's digits without an exponent or trailing zeros: 24, 1.5, 0.0000012."""
    return format(number.normalize(), "f")


# The forms in words when refused, and the pattern in the OpenAPI document (and the MCP tools' schemas).
TimePointQuery = Annotated[
    str, AfterValidator(_time_point), WithJsonSchema({"type": "string", "pattern": TIME_POINT_QUERY_PATTERN})
]
# A time point itself, where 'none' would mean nothing: a claim's ("CR at none of 80%" was read; session 12's
# ninth probe, C11).
TimePointOnly = Annotated[
    str, AfterValidator(_a_time_point), WithJsonSchema({"type": "string", "pattern": TIME_POINT_PATTERN})
]

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
    codes: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    """Per parameter, each code (CURIE) asked for and the terms it stands for: a page's links name the terms."""

    def add(self, condition: ColumnElement[bool] | None) -> None:
        """A condition that is the same in both forms (one on the table's own columns)."""
        if condition is not None:
            self.all.append(condition)
            self.first.append(condition)
            self.asked = None

    def add_among(self, study_id: Any, column: Any, *, conditions: list[ColumnElement[bool]], table: Any) -> None:
        """study_id (a column of table) is among the values of column in the rows meeting conditions."""
        self.all.append(col(study_id).in_(select(column).where(*conditions)))
        self.first.append(exists().where(column == study_id, *conditions).correlate(table))
        self.asked = None


# Bounds declared in the schema so the document and the service agree (and no value
# reaches the database that its integer columns cannot hold).
MAX_PATIENTS = 1_000_000
YEAR_MIN, YEAR_MAX = 1000, 9999


# Registry ids (NCT, ChiCTR, ISRCTN, jRCT, UMIN, EudraCT...) are letters, digits and hyphens ending in a
# digit; declaring it lets clients and the fuzzer know that words such as 'false' are not ids.
REGISTRY_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]{1,38}[0-9]$"


def _multi(description: str) -> Any:
    """A list-valued filter, absent by default; FastAPI reads every repeat of the parameter into the list."""
    return Field(default=None, description=description + " Repeat the parameter for alternatives.")


# Each filter set below is one Pydantic model, and its fields are the operation's query
# parameters: FastAPI flattens a model given as Annotated[Model, Query()] into one parameter a
# field, with the field's type, bounds and description (its "query parameter models"), both
# when it reads a request and in the OpenAPI document. The unknown-parameter refusal
# (api.middleware.limits) reads the accepted names from that document, so it follows the
# fields too. Unknown parameters are left to that refusal: the models ignore extras instead
# of forbidding them, which would answer with a terser problem that lists nothing.


class StudyFilters(BaseModel):
    """Filters on studies; every list of figures takes them too, applied to each figure's study."""

    model_config = ConfigDict(frozen=True)

    disease: list[DiseaseOrCode] | None = _multi("Disease included, or one of its codes (MONDO:0004963).")
    setting: list[Setting] | None = _multi("Disease setting.")
    age_group: list[AgeGroup] | None = _multi("Age group included.")
    design: list[Design] | None = _multi("Study design.")
    phase: list[Phase] | None = _multi("Trial phase.")
    therapy_class: list[TherapyClass] | None = _multi("Class of therapy studied (see role).")
    agent: list[AgentOrCode] | None = _multi(
        "Agent given in any arm (by default as treatment; see role), or one of its codes (CHEBI:63612)."
    )
    role: list[RoleFilter] | None = Field(default=None, description=ROLE_DESCRIPTION)
    target_antigen: list[AntigenOrCode] | None = _multi("Antigen targeted by a CAR product, or its code (HGNC:1695).")
    cell_source: list[CellSource] | None = _multi("Cell source of a CAR product.")
    fratricide_strategy: list[FratricideStrategy] | None = _multi("Fratricide strategy of a CAR product.")
    registry_id: list[Annotated[str, Field(pattern=REGISTRY_ID_PATTERN)]] | None = _multi(
        "Trial registry id, e.g. NCT04572308, ChiCTR2000032211 or 2015-001234-12 (EudraCT)."
    )
    year: list[Annotated[int, Field(ge=YEAR_MIN, le=YEAR_MAX)]] | None = _multi(
        f"Year a report of the study was presented or published ({YEAR_MIN}-{YEAR_MAX})."
    )
    source_id: list[RecordId] | None = _multi("Document reporting on the study.")
    min_patients: int | None = Field(
        default=None,
        ge=0,
        le=MAX_PATIENTS,
        description=f"At least this many patients enrolled (at most {MAX_PATIENTS}).",
    )
    age: DecimalOrNone = Field(default=None, ge=0, le=120, description="Printed age range includes this age (years).")
    q: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Full-text search over what a study is and tests: titles, summaries, products, the "
        "interventions it gave and findings (not prior therapies, toxicity management or curators' notes); every "
        "word must match (as a prefix). Results are ranked when no sort is given.",
    )

    TAG_FACETS: ClassVar[tuple[str, ...]] = (
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
        filters, conds.codes = with_terms(session, self, CODED_STUDY_FILTERS)
        for facet in self.TAG_FACETS:
            values = getattr(filters, facet)
            if values:
                wanted = [v.value if hasattr(v, "value") else str(v) for v in values]
                tagged = [col(StudyTag.facet) == facet, col(StudyTag.value).in_(wanted)]
                if facet in ROLE_FACETS and (in_roles := tag_condition(self.role)) is not None:
                    tagged.append(in_roles)
                conds.add_among(study_id, StudyTag.study_id, conditions=tagged, table=table)
        on_study: list[ColumnElement[bool]] = []
        if self.min_patients is not None:
            on_study.append(col(Study.n_enrolled) >= self.min_patients)
        if self.age is not None:
            on_study.append(and_(col(Study.age_min) <= self.age, col(Study.age_max) >= self.age))
        if on_study and table is Study:
            for condition in on_study:
                conds.add(condition)
        elif on_study:
            conds.add_among(study_id, Study.id, conditions=on_study, table=table)
        ranks = None
        if self.q is not None:
            ranks = search_ranks(session, self.q)
            conds.add(col(study_id).in_(list(ranks)))
        conds.asked = repr(self)
        return conds, ranks


async def _study_filters(filters: Annotated[StudyFilters, Query()]) -> StudyFilters:
    return filters


# Through a dependency rather than the model in each route's own signature: FastAPI lists a
# route's own parameters before its dependencies', and the document has always given the
# filters after sort, limit and offset.
StudyFiltersDep = Annotated[StudyFilters, Depends(_study_filters)]


def _subgroup_condition(column: Any, subgroup: Sequence[str] | None) -> ColumnElement[bool] | None:
    if not subgroup or ANY_SUBGROUP in subgroup:
        return None
    return none_or_in(column, [str(s) for s in subgroup], none=NO_SUBGROUP)


def none_or_in(column: Any, values: Sequence[str] | None, *, none: str) -> ColumnElement[bool] | None:
    """The column is one of values, or null where values hold `none`; no condition when none are asked."""
    if not values:
        return None
    named = [value for value in values if value != none]
    conds = [col(column).in_(named)] if named else []
    if none in values:
        conds.append(col(column).is_(None))
    return conds[0] if len(conds) == 1 else conds[0] | conds[1]


SUBGROUP_DESCRIPTION = (
    "Subgroup the figure is for: a Subgroup value, 'none' for the whole population, or 'any' (the default) for "
    "all. Repeat for alternatives."
)

SubgroupQuery = Annotated[list[SubgroupFilter] | None, Query(description=SUBGROUP_DESCRIPTION)]
"""The subgroup filter on its own, for GET /v1/comparison (which takes no other figure filter)."""


class FigureFilters(BaseModel):
    """The filters every list of figures (outcomes, adverse events) takes, besides its own and the study filters.

    The study filters are not fields (a query model cannot hold another): `within` attaches
    them, and conditions() applies them to the study each figure belongs to.
    """

    model_config = ConfigDict(frozen=True)

    subgroup: list[SubgroupFilter] | None = Field(default=None, description=SUBGROUP_DESCRIPTION)
    study_id: list[RecordId] | None = _multi("Study the figure belongs to.")
    arm_id: list[RecordId] | None = _multi("Arm the figure is for.")
    figure_source_id: list[RecordId] | None = _multi("Document the figure itself comes from.")
    source_kind: list[SourceKind] | None = _multi(
        "Kind of document carrying the figure (review, letter, interview, slide_deck, journal_article, "
        "conference_abstract)."
    )

    _study: StudyFilters = PrivateAttr(default=StudyFilters())  # none: every study

    def within(self, study: StudyFilters) -> Self:
        """These filters, on figures of the studies that `study` selects."""
        copy = self.model_copy()
        copy._study = study
        return copy

    def figure_conditions(self, session: Session, table: Any) -> Conditions:
        """The study filters and the shared figure filters, on `table` (Outcome or AdverseEvent)."""
        conds, _ = self._study.conditions(session, table)
        conds.add(col(table.study_id).in_(self.study_id) if self.study_id else None)
        conds.add(col(table.arm_id).in_(self.arm_id) if self.arm_id else None)
        conds.add(col(table.source_id).in_(self.figure_source_id) if self.figure_source_id else None)
        conds.add(col(table.source_kind).in_(self.source_kind) if self.source_kind else None)
        conds.add(_subgroup_condition(table.subgroup, self.subgroup))
        return conds

    def asked(self) -> str:
        """Every filter as asked, the study filters included (a model's repr leaves private attributes out)."""
        return f"{self!r} within {self._study!r}"


# The fields an outcome or adverse-event list adds, in classes of their own: Pydantic places a
# base's fields before the subclass's, and listing these as the second base puts them first,
# where the document has always had them (measure, time_point, then subgroup...).
class _OutcomeOwnFilters(BaseModel):
    measure: list[MeasureOrCode] | None = _multi("Outcome measure, or one of its codes (NCIT:C4870).")
    time_point: list[TimePointQuery] | None = Field(
        default=None,
        description="Time-point code (d28, 18m, 2y, cycle1, best), or 'none' for figures that state no time point. "
        "Repeat for alternatives.",
    )


def same_times(time_points: Sequence[str] | None) -> list[str] | None:
    """The time points asked and every code naming the same time as one (2y: 24m too)."""
    if time_points is None:
        return None
    return list(dict.fromkeys(code for asked in time_points for code in equivalent_time_points(asked)))


class _AdverseEventOwnFilters(BaseModel):
    term: list[TermOrCode] | None = _multi("Adverse-event term, or one of its codes (MEDDRA:10052015).")
    min_grade: int | None = Field(
        default=None, ge=1, le=5, description="Only figures whose grades are all at least this (3 = grade ≥3)."
    )
    grading_system: list[GradingSystem] | None = _multi("Grading system.")


def _terms_only(values: Sequence[object], vocabulary: type[StrEnum]) -> list[str]:
    """The values that are terms of an enumerated column: a code no term carries matches nothing, and on
    PostgreSQL, compared with the column's enum type, it was an error answered 503 'the database is
    unavailable' (session 13's second probe, FC8). None left: an IN of nothing, which matches nothing."""
    terms = {term.value for term in vocabulary}
    return [str(value) for value in values if str(value) in terms]


class OutcomeFilters(FigureFilters, _OutcomeOwnFilters):
    def conditions(self, session: Session) -> Conditions:
        conds = self.figure_conditions(session, Outcome)
        filters, codes = with_terms(session, self, ("measure",))
        conds.codes |= codes
        conds.add(col(Outcome.measure).in_(_terms_only(filters.measure, Measure)) if filters.measure else None)
        conds.add(none_or_in(Outcome.time_point, same_times(self.time_point), none=NO_TIME_POINT))
        conds.asked = self.asked()
        return conds


class AdverseEventFilters(FigureFilters, _AdverseEventOwnFilters):
    def conditions(self, session: Session) -> Conditions:
        conds = self.figure_conditions(session, AdverseEvent)
        filters, codes = with_terms(session, self, ("term",))
        conds.codes |= codes
        conds.add(col(AdverseEvent.term).in_(_terms_only(filters.term, AdverseEventTerm)) if filters.term else None)
        # A figure counts only when every grade it covers is at least min_grade.
        conds.add(col(AdverseEvent.grade_min) >= self.min_grade if self.min_grade is not None else None)
        conds.add(col(AdverseEvent.grading_system).in_(self.grading_system) if self.grading_system else None)
        conds.asked = self.asked()
        return conds


async def _outcome_filters(filters: Annotated[OutcomeFilters, Query()], study: StudyFiltersDep) -> OutcomeFilters:
    return filters.within(study)


async def _adverse_event_filters(
    filters: Annotated[AdverseEventFilters, Query()], study: StudyFiltersDep
) -> AdverseEventFilters:
    return filters.within(study)


OutcomeFiltersDep = Annotated[OutcomeFilters, Depends(_outcome_filters)]
AdverseEventFiltersDep = Annotated[AdverseEventFilters, Depends(_adverse_event_filters)]


def describe_filters(filters: StudyFilters) -> dict[str, list[str]]:
    """The filters that were given, with their values, for the table's heading."""
    return {
        name: [str(v) for v in (value if isinstance(value, list) else [value])]
        for name, value in filters
        if value is not None
    }
