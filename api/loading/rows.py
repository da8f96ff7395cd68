"""Turning validated fixtures into table rows (local ids become global ones)."""

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from sqlmodel import SQLModel

from api.loading.fixture_files import FixtureSet
from api.provenance.spans import Span
from models import (
    FIGURE_TABLES,
    AdverseEvent,
    Arm,
    CarProduct,
    Characteristic,
    Conflict,
    ConflictLink,
    EpidemiologyFigure,
    Finding,
    Intervention,
    Outcome,
    Report,
    Source,
    Study,
    StudyLink,
    StudyTag,
    TermCode,
)
from models.enums import GIVEN_ROLES, SourceKind
from models.figure import FigureContext
from models.fixture import StudyFile
from models.study import StudyBase
from models.study_tag import NO_ROLE, STUDY_LEVEL
from models.terminology import Terminology

_REFS = {"id", "arm", "report", "interventions"}
# Where each figure is served, for its permalink (tables without an entry have none).
PERMALINK_PATHS: dict[type[SQLModel], str] = {Outcome: "/v1/outcomes/", AdverseEvent: "/v1/adverse-events/"}


def global_id(study_id: str, local_id: str | None) -> str | None:
    return None if local_id is None else f"{study_id}.{local_id}"


def study_tags(study: StudyFile, source_years: dict[str, int | None]) -> set[tuple[str, str, str]]:
    """(facet, value, role) a study is filtered and faceted on; facet names are the query parameters.

    Agents and therapy classes carry the role of the intervention they come from (a study's own
    therapy_classes STUDY_LEVEL), which api.queries.roles reads; every other tag has NO_ROLE.
    """
    products = study.car_products
    interventions = [x for arm in study.arms for x in arm.interventions]
    tags: set[tuple[str, str]] = {
        ("design", study.design.value),
        ("phase", study.phase.value),
        ("setting", study.setting.value),
        ("source_id", study.source_id),
    }
    tags |= {("disease", d.value) for d in study.diseases}
    tags |= {("age_group", a.value) for a in study.age_groups}
    tags |= {("registry_id", r) for r in study.registry_ids}
    tags |= {("target_antigen", a.value) for p in products for a in p.target_antigens}
    tags |= {("cell_source", p.cell_source.value) for p in products}
    tags |= {("fratricide_strategy", p.fratricide_strategy.value) for p in products}
    tags |= {("source_id", r.source_id) for r in study.reports}
    years = {r.year for r in study.reports if r.year is not None}
    source_year = source_years.get(study.source_id)
    if not years and source_year is not None:
        years = {source_year}
    tags |= {("year", str(y)) for y in years}
    roled = {("therapy_class", t.value, STUDY_LEVEL) for t in study.therapy_classes}
    roled |= {("therapy_class", x.therapy_class.value, x.role.value) for x in interventions if x.therapy_class}
    roled |= {("agent", x.agent.value, x.role.value) for x in interventions}
    return {(facet, value, NO_ROLE) for facet, value in tags} | roled


Row = tuple[type[SQLModel], dict[str, Any]]
TableRows = dict[type[SQLModel], list[dict[str, Any]]]
"""Column values to insert, per table, in insertion order."""


def _study_rows(
    study: StudyFile,
    source_years: dict[str, int | None],
    source_kinds: dict[str, SourceKind],
    *,
    public_url: str,
    terminology: Terminology,
) -> Iterator[Row]:
    sid = study.id
    arm_labels = {arm.id: arm.label for arm in study.arms}
    reports = {report.id: report for report in study.reports}
    codes = {
        **terminology.of("disease", [d.value for d in study.diseases]),
        **terminology.of("agent", [x.agent.value for arm in study.arms for x in arm.interventions]),
        **terminology.of("target_antigen", [a.value for p in study.car_products for a in p.target_antigens]),
    }
    yield Study, {"id": sid, **study.model_dump(include=set(StudyBase.model_fields)), "codes": codes}
    for report in study.reports:
        yield Report, {"id": f"{sid}.{report.id}", "study_id": sid, **report.model_dump(exclude=_REFS)}
    for arm in study.arms:
        arm_id = f"{sid}.{arm.id}"
        yield Arm, {"id": arm_id, "study_id": sid, **arm.model_dump(exclude=_REFS)}
        for x in arm.interventions:
            yield Intervention, {"id": f"{arm_id}.{x.agent.value}", "arm_id": arm_id, "study_id": sid, **x.model_dump()}
    for p in study.car_products:
        yield (
            CarProduct,
            {"id": f"{sid}.{p.id}", "study_id": sid, "arm_id": global_id(sid, p.arm), **p.model_dump(exclude=_REFS)},
        )
    figure_tables: tuple[tuple[type[SQLModel], list[Any]], ...] = (
        (Outcome, study.outcomes),
        (AdverseEvent, study.adverse_events),
        (Characteristic, study.characteristics),
    )
    for table, figures in figure_tables:
        path = PERMALINK_PATHS.get(table)
        for fig in figures:
            row = {
                "id": f"{sid}.{fig.id}",
                "study_id": sid,
                "arm_id": global_id(sid, fig.arm),
                "report_id": global_id(sid, fig.report),
                **fig.model_dump(exclude=_REFS),
            }
            if path:
                row["permalink"] = f"{public_url}{path}{sid}.{fig.id}"
            if issubclass(table, FigureContext):
                cited = reports.get(fig.report) if fig.report else None
                row |= {
                    "arm_label": arm_labels.get(fig.arm) if fig.arm else None,
                    "source_kind": source_kinds[fig.source_id],
                    "cited_publication": cited.citation if cited else None,
                    "cited_venue": cited.venue if cited else None,
                    "codes": figure_codes(terminology, row),
                }
            yield table, row
    for finding in study.findings:
        yield Finding, {"id": f"{sid}.{finding.id}", "study_id": sid, **finding.model_dump(exclude=_REFS)}
    for facet, value, role in sorted(study_tags(study, source_years)):
        yield StudyTag, {"study_id": sid, "facet": facet, "value": value, "role": role}


def figure_codes(terminology: Terminology, row: dict[str, Any]) -> dict[str, list[str]]:
    """The codes of the term a figure measures: its measure (outcomes) or its adverse-event term."""
    term = row.get("measure") or row.get("term")
    vocabulary = "measure" if "measure" in row else "term"
    return terminology.of(vocabulary, [str(term)]) if term is not None else {}


def _all_rows(fixtures: FixtureSet, public_url: str) -> Iterator[Row]:
    for s in fixtures.sources.sources:
        yield Source, s.model_dump()
    for c in fixtures.conflicts.conflicts:
        yield Conflict, c.model_dump()
    for f in fixtures.epidemiology.figures:
        yield EpidemiologyFigure, f.model_dump()
    for code in fixtures.terminology.rows():
        yield TermCode, code
    source_years = {s.id: s.year for s in fixtures.sources.sources}
    source_kinds = {s.id: s.kind for s in fixtures.sources.sources}
    for study in fixtures.studies.values():
        yield from _study_rows(
            study, source_years, source_kinds, public_url=public_url, terminology=fixtures.terminology
        )
        for link in study.related_studies:
            yield (
                StudyLink,
                {"study_id": study.id, "related_study_id": link.study, "relation": link.relation, "note": link.note},
            )


def printed_words(fixtures: FixtureSet) -> dict[str, str]:
    """Every figure's printed words, by the id it is served under (the id its span is kept by)."""
    return {values["id"]: values["printed"] for _, values in _all_rows(fixtures, "") if values.get("printed")}


def build_rows(fixtures: FixtureSet, spans: dict[str, Span] | None = None, public_url: str = "") -> TableRows:
    """Every row to insert, as plain column values per table.

    Plain dicts rather than table-model instances: building an ORM object per row (each
    attribute set through SQLAlchemy's instrumentation) was most of the start-up time.
    Every column must be given; a value the table has no column for is a KeyError, not
    silently dropped. Figures get their span and context from `spans` (by id) where there is one.
    """
    spans = spans or {}
    rows: TableRows = defaultdict(list)
    columns: dict[type[SQLModel], list[str]] = {}
    for table, values in _all_rows(fixtures, public_url):
        names = columns.get(table)
        if names is None:
            names = columns[table] = table.__table__.columns.keys()  # type: ignore[attr-defined]
        if "span_start" in names:
            span = spans.get(values["id"])
            values = {
                **values,
                "span_start": span.start if span else None,
                "span_end": span.end if span else None,
                "context": span.context if span else None,
            }
        rows[table].append({name: values[name] for name in names})
    for kind, table in FIGURE_TABLES.items():
        rows[ConflictLink] += conflict_links(kind, rows[table])
    return rows


def conflict_links(kind: str, figures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The conflict-to-figure index for one kind; position keeps the order the fixtures list figures in."""
    return [
        {"conflict_id": conflict_id, "kind": kind, "figure_id": fig["id"], "position": position}
        for position, fig in enumerate(figures)
        for conflict_id in dict.fromkeys(fig["conflict_ids"])
    ]


def search_documents(fixtures: FixtureSet) -> dict[str, dict[str, str]]:
    """Per study, the text full-text search covers, by field: what the study is and tests. Not what its
    patients had before, nor what treated their side effects, nor the curators' notes, which tell such
    history (session 12's probe, A6: `q=venetoclax` found a study whose patients had it only before
    enrolment, as `agent=venetoclax` rightly does not)."""
    docs = {}
    for study in fixtures.studies.values():
        products = [
            " ".join(filter(None, (p.name, p.binder, p.costimulatory_domain, p.manufacturing, *p.target_antigens)))
            for p in study.car_products
        ]
        interventions = [
            " ".join(filter(None, (x.agent.value.replace("_", " "), x.dose, x.schedule, arm.label, arm.description)))
            for arm in study.arms
            for x in arm.interventions
            if x.role in GIVEN_ROLES
        ]
        docs[study.id] = {
            "title": " ".join(filter(None, (study.title, study.acronym, *study.registry_ids))),
            "summary": study.summary,
            "products": " ".join(products),
            "interventions": " ".join(interventions),
            "findings": " ".join(f.statement for f in study.findings),
        }
    return docs
