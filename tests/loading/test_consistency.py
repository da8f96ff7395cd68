"""Consistency checks over the real fixtures: every inconsistency found is recorded as a conflict."""

import pytest

from api.loading.consistency import Inconsistency, find_inconsistencies
from api.loading.fixture_files import FixtureSet, read_fixture_set
from api.settings import get_settings
from models.enums import Measure


@pytest.fixture(scope="module")
def fixtures() -> FixtureSet:
    settings = get_settings()
    return read_fixture_set(settings.fixtures_dir, settings.sources_registry, settings.max_fixture_bytes)


@pytest.fixture(scope="module")
def found(fixtures: FixtureSet) -> list[Inconsistency]:
    return find_inconsistencies(fixtures.studies)


def test_every_inconsistency_in_the_data_is_recorded(found: list[Inconsistency]) -> None:
    unrecorded = [f"{i.file}: {i.path}: {i.message} ({i.kind})" for i in found if not i.recorded]
    assert not unrecorded, "unrecorded inconsistencies; add them to fixtures/conflicts.yaml:\n" + "\n".join(unrecorded)


def test_each_kind_finds_its_known_instance(found: list[Inconsistency]) -> None:
    # The data hold one instance of three kinds; a check that stopped finding it would pass silently.
    recorded = {(i.kind, c) for i in found for c in i.recorded_as}
    assert ("survival_above_os", "tan-donor-cd7-car-t-pfs-above-os") in recorded
    assert ("text_vs_table", "rd13-01-cr-text-vs-table") in recorded
    assert ("subset_sum", "ns7car-t-subgroup-sum") in recorded


def test_recorded_conflicts_name_real_members(found: list[Inconsistency], fixtures: FixtureSet) -> None:
    conflict_ids = {c.id for c in fixtures.conflicts.conflicts}
    for inconsistency in found:
        assert set(inconsistency.recorded_as) <= conflict_ids
        assert inconsistency.members


def test_removing_a_conflict_makes_the_inconsistency_unrecorded(fixtures: FixtureSet) -> None:
    file = "fixtures/studies/tan-donor-cd7-car-t.yaml"
    study = fixtures.studies[file].model_copy(deep=True)
    for outcome in study.outcomes:
        outcome.conflict_ids = []
    [hit] = [i for i in find_inconsistencies({file: study}) if i.kind == "survival_above_os"]
    assert not hit.recorded
    assert "PFS 62.3% is above OS 60%" in hit.message


def test_rfs_above_os_is_not_an_inconsistency(fixtures: FixtureSet) -> None:
    # Shimony prints 2-year RFS above 2-year OS for each group and the cohort. RFS counts only
    # patients in remission, a subset of those OS counts, so the two may differ either way.
    file = "fixtures/studies/shimony-nelarabine-rr.yaml"
    study = fixtures.studies[file]
    rfs = {(o.arm, o.time_point): o.value for o in study.outcomes if o.measure is Measure.rfs}
    os = {(o.arm, o.time_point): o.value for o in study.outcomes if o.measure is Measure.os}
    assert any(rfs[k] > os[k] for k in rfs.keys() & os.keys() if rfs[k] and os[k])  # the premise holds
    assert not [i for i in find_inconsistencies({file: study}) if i.kind == "survival_above_os"]
    # The same figures as PFS would be inconsistent.
    as_pfs = study.model_copy(deep=True)
    for outcome in as_pfs.outcomes:
        if outcome.measure is Measure.rfs:
            outcome.measure = Measure.pfs
    assert len([i for i in find_inconsistencies({file: as_pfs}) if i.kind == "survival_above_os"]) == 3


def test_arm_counts_that_disagree_with_the_whole_study_figure(fixtures: FixtureSet) -> None:
    file = "fixtures/studies/shimony-nelarabine-rr.yaml"
    study = fixtures.studies[file].model_copy(deep=True)
    assert not find_inconsistencies({file: study})  # 18/29 + 6/15 = 24/44 = 54.5%, printed 55%
    [whole] = [o for o in study.outcomes if o.id == "cr-all"]
    whole.value = 60.0
    [hit] = find_inconsistencies({file: study})
    assert (hit.kind, hit.path) == ("subset_sum", "outcomes[6]")
    assert "24/44" in hit.message


def test_percentage_not_matching_its_counts(fixtures: FixtureSet) -> None:
    file = "fixtures/studies/shimony-nelarabine-rr.yaml"
    study = fixtures.studies[file].model_copy(deep=True)
    study.outcomes[0].value = 70.0  # printed 62% for 18/29
    kinds = {(i.kind, i.path) for i in find_inconsistencies({file: study})}
    assert ("percent_counts", "outcomes[0].value") in kinds


def test_unlabeled_figures_are_never_the_same_figure_twice(fixtures: FixtureSet) -> None:
    # The slide deck prints five unlabeled response rates for one regimen; they are not one figure.
    file = "fixtures/studies/jain-hcvad-nelarabine-peg-venetoclax.yaml"
    study = fixtures.studies[file].model_copy(deep=True)
    unlabeled = [o for o in study.outcomes if o.unlabeled]
    assert len({o.value for o in unlabeled}) > 1
    assert not find_inconsistencies({file: study})
    for outcome in unlabeled:
        outcome.unlabeled = False
    assert [i.kind for i in find_inconsistencies({file: study})] == ["text_vs_table"]
