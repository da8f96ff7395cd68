"""Every FHIR resource of a dataset, mapped once, by type and id, with the values each search parameter matches."""

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from api.fhir.definitions import definitions
from api.fhir.elements import (
    Context,
    Json,
    Urls,
    document_date,
    measure_variable_id,
    term_variable_id,
    with_conflicts,
)
from api.fhir.resources import (
    adverse_event_evidence,
    measure_at_time_variable,
    measure_variable,
    outcome_evidence,
    pooled_evidence,
    report_citation,
    research_study,
    source_citation,
    study_group,
    term_variable,
)
from api.queries.filters import equivalent_time_points, time_point_name
from models.comparison import Comparison
from models.identifiers import fhir_id
from models.source import SourcePublic
from models.study_views import StudyDetail


@dataclass
class FhirIndex:
    """Every resource the service serves, by type and id, with the values each search matches."""

    resources: dict[str, dict[str, Json]] = field(default_factory=lambda: defaultdict(dict))
    keys: dict[tuple[str, str], dict[str, set[str]]] = field(default_factory=dict)
    sort_values: dict[tuple[str, str], dict[str, str | None]] = field(default_factory=dict)
    # Made once the index is complete (prepare): each search then reads them, where it filtered and
    # sorted every resource of its type (50 ms a search at 100 times the data: session 12's probe, A13).
    _ids: dict[str, list[str]] = field(default_factory=dict)
    _postings: dict[tuple[str, str, str], set[str]] = field(default_factory=dict)
    _ranks: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    _prepared: bool = False

    def add(self, resource: Json, *, date: str | None = None, **keys: Iterable[str]) -> None:
        """Index a resource; date is the date of the document it is drawn from (sorts by _sort=date)."""
        kind, rid = resource["resourceType"], resource["id"]
        if rid in self.resources[kind]:
            raise ValueError(f"two {kind} resources map to the id {rid!r}")
        self.resources[kind][rid] = resource
        wanted = {name: set(values) for name, values in keys.items()}
        wanted.setdefault("_id", set()).add(rid)
        self.keys[(kind, rid)] = wanted
        title = resource.get("title") or resource.get("name")
        self.sort_values[(kind, rid)] = {"_id": rid, "title": title, "date": date}
        self._prepared = False

    def prepare(self) -> None:
        """Each type's ids in order, who holds each searched value, and each sort key's order."""
        self._ids, self._postings, self._ranks = {}, {}, {}
        for kind, resources in self.resources.items():
            ids = sorted(resources)
            self._ids[kind] = ids
            for rid in ids:
                for name, values in self.keys[(kind, rid)].items():
                    for value in values:
                        self._postings.setdefault((kind, name, value), set()).add(rid)
            for name in ("_id", "title", "date"):
                present = {r: v for r in ids if (v := self.sort_values[(kind, r)][name]) is not None}
                # Equal values share a rank, so that ties fall to the next key, then the id.
                order = {value: i for i, value in enumerate(sorted(set(present.values()), key=_sort_key))}
                self._ranks[(kind, name)] = {r: order[v] for r, v in present.items()}
        self._prepared = True

    def search(
        self, kind: str, criteria: Sequence[tuple[str, Sequence[str]]], sort: Sequence[tuple[str, bool]] = ()
    ) -> list[Json]:
        """Resources of kind matching every criterion ((parameter, alternatives) pairs: any of its
        values; a parameter given twice is two criteria, both to be met), ordered by sort
        ((parameter, descending) pairs, first one first, a resource without the value last either
        way), then by id."""
        if not self._prepared:
            self.prepare()
        rids = self._ids.get(kind, [])
        for name, values in criteria:
            holding = set().union(*(self._postings.get((kind, name, value), set()) for value in values))
            rids = [rid for rid in rids if rid in holding]
        if sort:
            ranks = [(self._ranks[(kind, name)], descending) for name, descending in sort]
            position = {rid: i for i, rid in enumerate(rids)}  # in id order: the last key

            def key(rid: str) -> tuple[int, ...]:
                parts: list[int] = []
                for rank, descending in ranks:
                    found = rank.get(rid)
                    parts += [1, 0] if found is None else [0, -found if descending else found]
                return (*parts, position[rid])

            rids = sorted(rids, key=key)
        return [self.resources[kind][rid] for rid in rids]


def _sort_key(value: str | None) -> tuple[str, str]:
    text = value or ""
    return (text.casefold(), text)


def _both(*raw: str) -> set[str]:
    """A search value matches our id or its FHIR form."""
    return {*raw, *(fhir_id(r) for r in raw)}


def time_names(studies: Sequence[StudyDetail], comparisons: Sequence[Comparison]) -> dict[tuple[str, str], str]:
    """(measure, time-point code) -> the code naming its time, per measure: where the time has a pool, the pool's
    name; else the rule that names a pool (time_point_name) over every figure of the measure at that time
    (session 15's probe, JA5: 24m and 2y were one pool but two EvidenceVariables)."""
    written: dict[tuple[str, tuple[str, ...]], list[str]] = defaultdict(list)
    for study in studies:
        for o in study.outcomes:
            if o.time_point:
                written[(o.measure.value, equivalent_time_points(o.time_point))].append(o.time_point)
    pooled = {
        (c.measure.value, equivalent_time_points(c.pooled.time_point)): c.pooled.time_point
        for c in comparisons
        if c.pooled is not None and c.pooled.time_point is not None
    }
    names: dict[tuple[str, str], str] = {}
    for (measure, time), codes in written.items():
        name = pooled.get((measure, time)) or time_point_name(Counter(codes))
        names |= {(measure, code): name for code in codes}
    return names


def build_index(
    urls: Urls,
    *,
    studies: Sequence[StudyDetail],
    sources: Sequence[SourcePublic],
    comparisons: Sequence[Comparison],
    intervals: Mapping[str, tuple[float, float]],
    built_at: str,
) -> FhirIndex:
    """Every FHIR resource for the dataset, and the definitions they refer to: one pass over
    the public models, no database. built_at dates the definitions."""
    ctx = Context(urls, time_names=time_names(studies, comparisons))
    for s in sources:
        ctx.source_ids[s.id] = fhir_id(s.id)
        ctx.source_titles[s.id] = s.title
        ctx.source_dates[s.id] = document_date(s)
    for study in studies:
        for r in study.reports:
            ctx.report_ids[r.id] = fhir_id(r.id)
        for o in study.outcomes:
            ctx.evidence_ids[("outcome", o.id)] = fhir_id(o.id)
        for e in study.adverse_events:
            ctx.evidence_ids[("adverse_event", e.id)] = fhir_id(e.id)
        for c in study.conflicts:
            ctx.conflicts[c.id] = c

    index = FhirIndex()
    reports_in: dict[str, set[str]] = defaultdict(set)  # source id -> studies it reports on
    measures_of: dict[str, set[str]] = defaultdict(set)  # study id -> measures
    variables_used: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for study in studies:
        for source_id in study.source_ids:
            reports_in[source_id].add(study.id)
        for o in study.outcomes:
            measures_of[study.id].add(o.measure.value)
            for vid in (measure_variable_id(o.measure), ctx.outcome_variable_id(o.measure, o.time_point)):
                variables_used[vid]["study"] |= _both(study.id)
                variables_used[vid]["source"] |= _both(o.source_id)
            index.add(
                outcome_evidence(ctx, o, study, interval=intervals.get(o.id)),
                date=ctx.source_dates.get(o.source_id),
                study=_both(study.id),
                measure={o.measure.value},
                source=_both(o.source_id),
            )
        for e in study.adverse_events:
            vid = term_variable_id(e.term)
            variables_used[vid]["study"] |= _both(study.id)
            variables_used[vid]["source"] |= _both(e.source_id)
            index.add(
                adverse_event_evidence(ctx, e, study),
                date=ctx.source_dates.get(e.source_id),
                study=_both(study.id),
                source=_both(e.source_id),
            )
        index.add(
            research_study(ctx, study),
            date=_latest(ctx.source_dates.get(s) for s in study.source_ids),
            study=_both(study.id),
            measure=measures_of[study.id],
            source=_both(*study.source_ids),
        )
        populations: set[tuple[str | None, str | None]] = {(None, None), *((a.id, None) for a in study.arms)}
        populations |= {(o.arm_id, o.subgroup) for o in study.outcomes}
        populations |= {(e.arm_id, e.subgroup) for e in study.adverse_events}
        for arm_id, subgroup in sorted(populations, key=lambda p: (p[0] or "", p[1] or "")):
            index.add(study_group(study, arm_id, subgroup), study=_both(study.id), source=_both(*study.source_ids))
        for r in study.reports:
            index.add(
                report_citation(ctx, r, study),
                date=str(r.year) if r.year else None,
                study=_both(study.id),
                source=_both(r.source_id),
            )
    for s in sources:
        touching = [c.id for c in ctx.conflicts.values() if any(m.source_id == s.id for m in c.members)]
        citation = with_conflicts(ctx, source_citation(ctx, s), touching)
        index.add(citation, date=ctx.source_dates[s.id], study=_both(*reports_in[s.id]), source=_both(s.id))

    rows_by_outcome = {o.id: (study, o) for study in studies for o in study.outcomes}
    for comparison in comparisons:
        used = [rows_by_outcome[r.outcome_id] for r in comparison.rows if r.pooled]
        index.add(
            pooled_evidence(ctx, comparison),
            date=_latest(ctx.source_dates.get(o.source_id) for _, o in used),
            study=_both(*(s.id for s, _ in used)),
            measure={comparison.measure.value},
            source=_both(*(o.source_id for _, o in used)),
        )

    measures = sorted({o.measure for study in studies for o in study.outcomes})
    for m in measures:
        used_by = variables_used[measure_variable_id(m)]
        index.add(measure_variable(urls, m), measure={m.value}, study=used_by["study"], source=used_by["source"])
        # One per time, however its figures write it (24m, 2y), under the time's name.
        written: dict[str, set[str]] = defaultdict(set)
        for study in studies:
            for o in study.outcomes:
                name = ctx.time_name(m, o.time_point) if o.measure is m else None
                if name is not None:
                    written[name].add(str(o.time_point))
        for tp in sorted(written):
            used_by = variables_used[measure_variable_id(m, tp)]
            index.add(
                measure_at_time_variable(urls, m, tp, also=sorted(written[tp] - {tp})),
                measure={m.value},
                study=used_by["study"],
                source=used_by["source"],
            )
    for term in sorted({e.term.value for study in studies for e in study.adverse_events}):
        used_by = variables_used[term_variable_id(term)]
        index.add(term_variable(urls, term), study=used_by["study"], source=used_by["source"])
    for definition in definitions(urls, date=built_at):
        index.add(definition)
    index.prepare()
    return index


def _latest(dates: Iterable[str | None]) -> str | None:
    return max((d for d in dates if d), default=None)


SORT_PARAMETERS: dict[str, str] = {
    "_id": "The resource id.",
    "title": "The resource's title (a definition's name when it has no title).",
    "date": "The publication date of the document the resource is drawn from (a figure's, a study's latest); "
    "resources without one sort last.",
}
SEARCH_PARAMETERS: dict[str, str] = {
    "_id": "The resource id.",
    "study": "Study id (ours or its FHIR id): resources about that study.",
    "measure": "Outcome measure code, e.g. cr: Evidence, ResearchStudy and EvidenceVariable about it.",
    "source": "Source document id (ours or its FHIR id): resources drawn from that document.",
}
_ABOUT_FIGURES = ("_id", "study", "measure", "source")
SEARCHED_BY: dict[str, tuple[str, ...]] = {
    "Evidence": _ABOUT_FIGURES,
    "EvidenceVariable": _ABOUT_FIGURES,
    "ResearchStudy": _ABOUT_FIGURES,
    "Citation": ("_id", "study", "source"),
    "Group": ("_id", "study", "source"),
    "StructureDefinition": ("_id",),
    "CodeSystem": ("_id",),
    "NamingSystem": ("_id",),
}
"""The search parameters each resource type is indexed by (build_index), and so declares: a parameter a type is
not indexed by is reported as not supported for it, not answered with no match (session 12's probe, A10:
Citation?measure=cr was 0 results, as if no document reported a CR)."""
