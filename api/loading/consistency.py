"""Consistency checks across figures: what the documents print that cannot all be true.

Each check finds an Inconsistency naming the file, the field path and the figures involved.
An inconsistency is *recorded* when every figure involved names one same conflict in its
conflict_ids (fixtures/conflicts.yaml); check_fixture_set reports the unrecorded ones as
errors, so a new one in the data fails validation (and the tests) until a curator records it.

The four kinds:
- subset_sum: arm sizes, or the T-ALL and T-LBL subgroup sizes of one report, that do not add
  up to the patients enrolled; arm counts of a proportion whose total disagrees with the
  whole-study figure printed for the same measure and time point.
- percent_counts: a printed percentage that its own counts do not give, within rounding.
- survival_above_os: PFS or EFS printed above OS for the same study, arm, subgroup and time
  point. Every death is an event for PFS and EFS, so neither can exceed OS for one population.
  RFS and DFS are not compared: they count only patients in remission (the clock starts at
  remission), a subset of the patients OS counts, and a subset of responders can well have
  a higher survival than the whole group. That is why Shimony's 2-year RFS (68.8%, 26.7%,
  60.5%) above its 2-year OS (52.9%, 8%, 37.6%) is not an inconsistency.
- text_vs_table: one document printing the same figure (study, report, measure, time point,
  arm, subgroup, response definition, denominator basis) twice with different values, as a
  review's text and its table can.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from models.enums import Measure, ValueQualifier, ValueUnit
from models.fixture import AdverseEventEntry, CharacteristicEntry, OutcomeEntry, StudyFile

EVENT_FREE = {Measure.pfs, Measure.efs}
"""Survival measures for which every death is an event, so they cannot exceed OS."""

DISEASE_SUBGROUP_PREFIXES = ("Patients with T-ALL", "Patients with T-LBL")
"""Labels of the subgroup sizes that split a T-ALL/LBL population by disease, so must add up."""


@dataclass(frozen=True)
class Inconsistency:
    """Figures of one study that cannot all hold, and whether a conflict records it."""

    kind: str
    file: str
    path: str
    message: str
    members: tuple[str, ...]
    recorded_as: tuple[str, ...]

    @property
    def recorded(self) -> bool:
        return bool(self.recorded_as)


def rounding_tolerance(value: float) -> float:
    """Half a unit in the last printed decimal place of value (88.7 -> 0.05, 40 -> 0.5)."""
    exponent = Decimal(repr(value)).normalize().as_tuple().exponent
    places = max(0, -int(exponent)) if isinstance(exponent, int) else 0
    return 0.5 * 10.0 ** (-places) + 1e-9


def counts_match(percent: float, numerator: int, denominator: int) -> bool:
    """Whether a printed percentage agrees with its counts within rounding."""
    if denominator == 0:
        return False
    return abs(100.0 * numerator / denominator - percent) <= rounding_tolerance(percent)


Figure = OutcomeEntry | AdverseEventEntry | CharacteristicEntry


def _shared_conflicts(figures: Iterable[Figure]) -> tuple[str, ...]:
    sets = [set(f.conflict_ids) for f in figures]
    return tuple(sorted(set.intersection(*sets))) if sets else ()


class _Finder:
    def __init__(self, file: str, study: StudyFile) -> None:
        self.file = file
        self.study = study
        self.found: list[Inconsistency] = []
        self.paths: dict[int, str] = {}
        for name, items in (
            ("outcomes", study.outcomes),
            ("adverse_events", study.adverse_events),
            ("characteristics", study.characteristics),
        ):
            for i, item in enumerate(items):
                self.paths[id(item)] = f"{name}[{i}]"

    def add(self, kind: str, figures: Sequence[Figure], message: str, *, path: str | None = None) -> None:
        members = tuple(f"{self.paths[id(f)]} ({f.id})" for f in figures)
        where = path if path is not None else (self.paths[id(figures[0])] if figures else "")
        recorded = _shared_conflicts(figures) if figures else ()
        self.found.append(Inconsistency(kind, self.file, where, message, members, recorded))

    def run(self) -> list[Inconsistency]:
        self.arm_sizes()
        self.disease_subgroups()
        self.arm_counts_against_whole()
        self.percent_counts()
        self.survival_above_os()
        self.repeated_figures()
        return self.found

    def arm_sizes(self) -> None:
        s = self.study
        sizes = [a.n for a in s.arms]
        if len(sizes) >= 2 and s.n_enrolled is not None and all(n is not None for n in sizes):
            total = sum(n for n in sizes if n is not None)
            if total != s.n_enrolled:
                # Arm sizes are study fields, with no conflict_ids: this can only be fixed.
                self.add(
                    "subset_sum",
                    [],
                    f"arm sizes add up to {total}, not the {s.n_enrolled} patients enrolled",
                    path="arms",
                )

    def disease_subgroups(self) -> None:
        by_report: dict[str | None, list[CharacteristicEntry]] = defaultdict(list)
        for c in self.study.characteristics:
            if c.unit == ValueUnit.patients.value and c.arm is None and c.value is not None:
                by_report[c.report].append(c)
        for items in by_report.values():
            parts = [c for c in items if c.label.startswith(DISEASE_SUBGROUP_PREFIXES)]
            if len(parts) < len(DISEASE_SUBGROUP_PREFIXES):
                continue
            totals = [c for c in items if c.label.startswith("Patients enrolled")]
            total = totals[0].value if totals else self.study.n_enrolled
            added = sum(c.value for c in parts if c.value is not None)
            if total is not None and added != total:
                self.add(
                    "subset_sum",
                    [*totals, *parts],
                    f"T-ALL and T-LBL subgroups add up to {added:g}, not the {total:g} patients enrolled",
                )

    def arm_counts_against_whole(self) -> None:
        arms = {a.id for a in self.study.arms}
        if len(arms) < 2:
            return
        groups: dict[tuple[object, ...], list[OutcomeEntry]] = defaultdict(list)
        for o in self.study.outcomes:
            if o.unit is ValueUnit.percent:
                groups[(o.report, o.measure, o.time_point, o.subgroup, o.response_definition)].append(o)
        for items in groups.values():
            per_arm = {o.arm: o for o in items if o.arm is not None}
            wholes = [o for o in items if o.arm is None and o.value is not None]
            if set(per_arm) != arms or not wholes:
                continue
            if any(o.numerator is None or o.denominator is None for o in per_arm.values()):
                continue
            events = sum(o.numerator or 0 for o in per_arm.values())
            n = sum(o.denominator or 0 for o in per_arm.values())
            for whole in wholes:
                if whole.value is not None and not counts_match(whole.value, events, n):
                    self.add(
                        "subset_sum",
                        [whole, *per_arm.values()],
                        f"the arms' counts give {events}/{n} ({100 * events / n:.1f}%), "
                        f"not the whole-study {whole.value:g}%",
                    )

    def percent_counts(self) -> None:
        for o in self.study.outcomes:
            if o.unit is ValueUnit.percent and o.value is not None:
                self._percent(o, "value", o.value, numerator=o.numerator, den=o.denominator)
        for e in self.study.adverse_events:
            if e.percentage is not None:
                self._percent(e, "percentage", e.percentage, numerator=e.patients, den=e.at_risk)

    def _percent(self, figure: Figure, field: str, percent: float, *, numerator: int | None, den: int | None) -> None:
        if numerator is None or den is None or numerator > den or counts_match(percent, numerator, den):
            return
        self.add(
            "percent_counts",
            [figure],
            f"{percent}% does not match {numerator}/{den} ({100 * numerator / max(den, 1):.2f}%); "
            "fix it or record a conflict",
            path=f"{self.paths[id(figure)]}.{field}",
        )

    def survival_above_os(self) -> None:
        groups: dict[tuple[object, ...], list[OutcomeEntry]] = defaultdict(list)
        for o in self.study.outcomes:
            if (
                o.unit is ValueUnit.percent
                and o.value is not None
                and o.time_point is not None
                and o.qualifier is ValueQualifier.exact
            ):
                groups[(o.arm, o.subgroup, o.time_point)].append(o)
        for items in groups.values():
            overall = [o for o in items if o.measure is Measure.os]
            for event_free in (o for o in items if o.measure in EVENT_FREE):
                for os_figure in overall:
                    if event_free.value is not None and os_figure.value is not None:
                        if event_free.value > os_figure.value:
                            self.add(
                                "survival_above_os",
                                [event_free, os_figure],
                                f"{event_free.measure.value.upper()} {event_free.value:g}% is above OS "
                                f"{os_figure.value:g}% for the same population at {event_free.time_point}",
                            )

    def repeated_figures(self) -> None:
        groups: dict[tuple[object, ...], list[tuple[OutcomeEntry, float]]] = defaultdict(list)
        for o in self.study.outcomes:
            percent = _as_percent(o)
            # An unlabeled figure does not say what it measures, so it is never "the same figure".
            if percent is not None and not o.unlabeled:
                key = (
                    o.source_id,
                    o.report,
                    o.measure,
                    o.time_point,
                    o.arm,
                    o.subgroup,
                    o.response_definition,
                    o.denominator_basis,
                )
                groups[key].append((o, percent))
        for items in groups.values():
            low = min(items, key=lambda item: item[1])
            high = max(items, key=lambda item: item[1])
            if high[1] - low[1] > rounding_tolerance(low[0].value or 0) + rounding_tolerance(high[0].value or 0):
                values = "; ".join(f"{o.printed!r} at {o.locator}" for o, _ in (low, high))
                self.add(
                    "text_vs_table",
                    [low[0], high[0]],
                    f"the same {low[0].measure.value} figure is printed twice with different values: {values}",
                )


def _as_percent(o: OutcomeEntry) -> float | None:
    """The figure as a percentage: as printed, or from its counts; None for durations and bare counts."""
    if o.unit is ValueUnit.percent:
        return o.value
    if o.unit is ValueUnit.patients and o.numerator is not None and o.denominator:
        return 100 * o.numerator / o.denominator
    return None


def find_inconsistencies(studies: dict[str, StudyFile]) -> list[Inconsistency]:
    """Every inconsistency in the studies, recorded or not, in file order."""
    found: list[Inconsistency] = []
    for file, study in studies.items():
        found += _Finder(file, study).run()
    return found
