"""Checks that need more than one field: unique ids, references, numeric sanity.

Each check appends FixtureIssues naming the file and the field path; check_fixture_set
raises FixtureError when any were found, before anything is written to a database.
"""

from collections import Counter
from collections.abc import Iterable, Sequence

from api.loading.consistency import find_inconsistencies
from api.loading.fixture_files import FixtureError, FixtureIssue, FixtureSet
from models.enums import ValueUnit
from models.figure import FigureBase, Provenance
from models.fixture import AdverseEventEntry, CharacteristicEntry, OutcomeEntry, StudyFile
from models.identifiers import fhir_id, group_id
from models.numbers import printed_as, printed_numbers


class _Checker:
    def __init__(self, fixtures: FixtureSet) -> None:
        self.fx = fixtures
        self.issues: list[FixtureIssue] = []
        self.source_ids = {s.id for s in fixtures.sources.sources}
        self.conflict_ids = {c.id for c in fixtures.conflicts.conflicts}
        self.conflict_members: Counter[str] = Counter()

    def add(self, file: str, path: str, message: str) -> None:
        self.issues.append(FixtureIssue(file, path, message))

    def unique(self, file: str, path: str, ids: Iterable[str]) -> None:
        for item_id, count in Counter(ids).items():
            if count > 1:
                self.add(file, path, f"id {item_id!r} is used {count} times")

    def provenance(self, file: str, path: str, item: Provenance) -> None:
        if item.source_id not in self.source_ids:
            # path is "" for the study itself, whose field is plain 'source_id'.
            where = f"{path}.source_id" if path else "source_id"
            self.add(file, where, f"unknown source {item.source_id!r} (not in the seed registry)")

    def figure(self, file: str, path: str, item: FigureBase) -> None:
        self.provenance(file, path, item)
        if item.derived and not item.derivation:
            self.add(file, f"{path}.derivation", "a derived figure must say how it was derived")
        if item.unlabeled and not item.caveat:
            self.add(file, f"{path}.caveat", "an unlabeled figure must carry a caveat")
        for i, conflict_id in enumerate(item.conflict_ids):
            if conflict_id not in self.conflict_ids:
                self.add(file, f"{path}.conflict_ids[{i}]", f"unknown conflict {conflict_id!r}")
            self.conflict_members[conflict_id] += 1

    def percent(self, file: str, path: str, value: float | None) -> None:
        if value is not None and not 0 <= value <= 100:
            self.add(file, path, f"percentage {value} is outside 0-100")

    def range(self, file: str, path: str, *, low: float | None, high: float | None) -> None:
        if low is not None and high is not None and low > high:
            self.add(file, path, f"range low {low} is above high {high}")

    def counts(self, file: str, path: str, item: FigureBase, *, num_field: str, den_field: str) -> None:
        """The item's count in num_field is at most its count in den_field."""
        numerator: int | None = getattr(item, num_field)
        denominator: int | None = getattr(item, den_field)
        if denominator == 0:
            self.add(file, f"{path}.{den_field}", f"{den_field} is 0: a count needs patients to be out of")
        elif numerator is not None and denominator is not None and numerator > denominator:
            self.add(file, f"{path}.{num_field}", f"{num_field} {numerator} exceeds {den_field} {denominator}")

    def study(self, file: str, study: StudyFile, study_ids: set[str]) -> None:
        stem = file.rsplit("/", 1)[-1].removesuffix(".yaml")
        if study.id != stem:
            self.add(file, "id", f"study id {study.id!r} must equal the file name stem {stem!r}")
        self.provenance(file, "", study)
        self.range(file, "age_max", low=study.age_min, high=study.age_max)
        if study.period_start and study.period_end and study.period_start > study.period_end:
            self.add(file, "period_end", f"period ends ({study.period_end}) before it starts ({study.period_start})")
        self.study_parts(file, study)
        self.study_figures(file, study)
        self.related_studies(file, study, study_ids)

    def study_parts(self, file: str, study: StudyFile) -> None:
        """Unique local ids, and the provenance of reports, arms and products."""
        arms = {a.id for a in study.arms}
        for name, items in (
            ("reports", study.reports),
            ("arms", study.arms),
            ("car_products", study.car_products),
            ("outcomes", study.outcomes),
            ("adverse_events", study.adverse_events),
            ("characteristics", study.characteristics),
            ("findings", study.findings),
        ):
            self.unique(file, name, (item.id for item in items))
        for i, report in enumerate(study.reports):
            self.provenance(file, f"reports[{i}]", report)
        for i, arm in enumerate(study.arms):
            self.unique(file, f"arms[{i}].interventions", (x.agent.value for x in arm.interventions))
            for j, intervention in enumerate(arm.interventions):
                self.provenance(file, f"arms[{i}].interventions[{j}]", intervention)
        for i, product in enumerate(study.car_products):
            self.provenance(file, f"car_products[{i}]", product)
            self.arm_ref(file, f"car_products[{i}].arm", product.arm, arms=arms)

    def study_figures(self, file: str, study: StudyFile) -> None:
        """Each figure's provenance, arm, report and range; then what outcomes, events and findings add."""
        arms = {a.id for a in study.arms}
        reports = {r.id: r for r in study.reports}
        figure_lists: tuple[tuple[str, Sequence[OutcomeEntry | AdverseEventEntry | CharacteristicEntry]], ...] = (
            ("outcomes", study.outcomes),
            ("adverse_events", study.adverse_events),
            ("characteristics", study.characteristics),
        )
        for name, figures in figure_lists:
            for i, fig in enumerate(figures):
                path = f"{name}[{i}]"
                self.figure(file, path, fig)
                self.arm_ref(file, f"{path}.arm", fig.arm, arms=arms)
                if fig.report is not None:
                    cited = reports.get(fig.report)
                    if cited is None:
                        self.add(file, f"{path}.report", f"no report {fig.report!r} in this study's reports")
                    elif cited.source_id != fig.source_id:
                        self.add(
                            file,
                            f"{path}.source_id",
                            f"report {fig.report!r} is from {cited.source_id}, not {fig.source_id}",
                        )
                if not isinstance(fig, AdverseEventEntry):
                    self.range(file, f"{path}.value_high", low=fig.value_low, high=fig.value_high)
        for i, outcome in enumerate(study.outcomes):
            self.outcome(file, f"outcomes[{i}]", outcome)
        for i, event in enumerate(study.adverse_events):
            self.adverse_event(file, f"adverse_events[{i}]", event)
        for i, finding in enumerate(study.findings):
            self.provenance(file, f"findings[{i}]", finding)

    def related_studies(self, file: str, study: StudyFile, study_ids: set[str]) -> None:
        self.unique(file, "related_studies", (link.study for link in study.related_studies))
        for i, link in enumerate(study.related_studies):
            if link.study not in study_ids:
                self.add(file, f"related_studies[{i}].study", f"unknown study {link.study!r}")
            elif link.study == study.id:
                self.add(file, f"related_studies[{i}].study", "a study cannot be related to itself")

    def arm_ref(self, file: str, path: str, arm: str | None, *, arms: set[str]) -> None:
        if arm is not None and arm not in arms:
            self.add(file, path, f"no arm {arm!r} in this study's arms")

    def outcome(self, file: str, path: str, o: OutcomeEntry) -> None:
        if o.unit is ValueUnit.percent:
            self.percent(file, f"{path}.value", o.value)
            self.percent(file, f"{path}.value_low", o.value_low)
            self.percent(file, f"{path}.value_high", o.value_high)
        else:
            # Patients and months are counts and durations: never below zero, ranges included.
            for name in ("value", "value_low", "value_high"):
                number = getattr(o, name)
                if number is not None and number < 0:
                    self.add(file, f"{path}.{name}", f"a value in {o.unit.value} cannot be negative")
        # In every unit: a count in patients is out of its denominator as a percentage's is.
        self.counts(file, path, o, num_field="numerator", den_field="denominator")
        if o.value is None and o.numerator is None and o.value_low is None:
            self.add(file, f"{path}.value", "an outcome needs a value, a range or a numerator")
        # The value as printed (CURATION.md): where the printed words show numbers in digits, it is one of
        # them; a figure printed in words ('Four patients') is left to the provenance check of its words,
        # and one with counts ('8/10') to the check that its value is their proportion.
        shown = printed_numbers(o.printed or "")
        if (
            o.value is not None
            and o.numerator is None
            and not o.derived
            and shown
            and printed_as(o.printed or "", o.value) is None
        ):
            self.add(file, f"{path}.value", f"{o.value:g} is not a number its printed words show ({', '.join(shown)})")

    def adverse_event(self, file: str, path: str, e: AdverseEventEntry) -> None:
        self.percent(file, f"{path}.percentage", e.percentage)
        if e.grade_min is not None and e.grade_max is not None and e.grade_min > e.grade_max:
            self.add(file, f"{path}.grade_max", f"grade_max {e.grade_max} is below grade_min {e.grade_min}")
        self.counts(file, path, e, num_field="patients", den_field="at_risk")
        if e.percentage is None and e.patients is None:
            self.add(file, f"{path}.patients", "an adverse event needs patients affected or a percentage")

    def run(self) -> list[FixtureIssue]:
        fx = self.fx
        self.unique(fx.sources_file, "sources", (s.id for s in fx.sources.sources))
        self.unique(fx.conflicts_file, "conflicts", self._conflict_list())
        self.unique(fx.epidemiology_file, "figures", (f.id for f in fx.epidemiology.figures))
        study_ids = {s.id for s in fx.studies.values()}
        for item_id, count in Counter(s.id for s in fx.studies.values()).items():
            if count > 1:
                files = [f for f, s in fx.studies.items() if s.id == item_id]
                self.add(files[-1], "id", f"study id {item_id!r} is also used by {files[0]}")
        for file, study in fx.studies.items():
            self.study(file, study, study_ids)
        self.fhir_ids()
        for i, fig in enumerate(fx.epidemiology.figures):
            self.figure(fx.epidemiology_file, f"figures[{i}]", fig)
            self.range(fx.epidemiology_file, f"figures[{i}].value_high", low=fig.value_low, high=fig.value_high)
        for i, conflict in enumerate(fx.conflicts.conflicts):
            if self.conflict_members[conflict.id] == 0:
                self.add(
                    fx.conflicts_file, f"conflicts[{i}]", f"conflict {conflict.id!r} has no figure referring to it"
                )
        return self.issues

    def fhir_ids(self) -> None:
        """No two records map to one FHIR id: ids that differ only by '_' and '-', an arm named as another
        arm's subgroup Group ('x-in-t-all'), a study named so, or an outcome and an adverse event of one
        id. The FHIR face refuses to index two resources under one id, so it would serve none."""
        owners: dict[tuple[str, str], list[tuple[str, str]]] = {}

        def named(kind: str, resource_id: str, *, file: str, what: str) -> None:
            owners.setdefault((kind, resource_id), []).append((file, what))

        for file, study in self.fx.studies.items():
            named("ResearchStudy", fhir_id(study.id), file=file, what=f"study {study.id!r}")
            named("Group", group_id(study.id, None, None), file=file, what=f"the population of study {study.id!r}")
            for arm in study.arms:
                named("Group", group_id(study.id, f"{study.id}.{arm.id}", None), file=file, what=f"arm {arm.id!r}")
            figures = [("outcome", o.id, o.arm, o.subgroup) for o in study.outcomes]
            figures += [("adverse event", e.id, e.arm, e.subgroup) for e in study.adverse_events]
            for kind, local_id, arm_id, subgroup in figures:
                named("Evidence", fhir_id(f"{study.id}.{local_id}"), file=file, what=f"{kind} {local_id!r}")
                if subgroup is not None:
                    arm_global = None if arm_id is None else f"{study.id}.{arm_id}"
                    whose = f"arm {arm_id!r}" if arm_id else f"study {study.id!r}"
                    group = group_id(study.id, arm_global, subgroup.value)
                    named("Group", group, file=file, what=f"the {subgroup.value} subgroup of {whose}")
        for (kind, resource_id), named_by in owners.items():
            distinct = list(dict.fromkeys(named_by))
            if len(distinct) > 1:
                (file, first), *others = distinct
                # The issue names its own file where it is read from; another file by its fixtures path
                # (session 15's probe, JA4: the same file was named twice, the second time by the default path).
                also = "; ".join(what if other == file else f"{what} (in {other})" for other, what in others)
                self.add(
                    file,
                    "id",
                    f"FHIR {kind} id {resource_id!r} is given to {first} and to {also}: rename one "
                    "(FHIR could serve neither)",
                )

    def _conflict_list(self) -> Sequence[str]:
        return [c.id for c in self.fx.conflicts.conflicts]


def check_fixture_set(fixtures: FixtureSet) -> None:
    """Raise FixtureError listing every cross-field problem in the fixtures."""
    issues = _Checker(fixtures).run()
    # Inconsistencies a curator has recorded as a conflict are known; any other is an error.
    issues += [
        FixtureIssue(found.file, found.path, f"{found.message} ({found.kind}; record a conflict or fix it)")
        for found in find_inconsistencies(fixtures.studies)
        if not found.recorded
    ]
    if issues:
        raise FixtureError(issues)
