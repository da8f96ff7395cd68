"""Fixtures made for the tests in which a comparison pools (the curated data pool nothing).

The curated fixtures, plus three made-up studies reporting complete remission at day 99 (a
time point no curated figure uses, so only these figures meet there):
- pool-a: one arm, 8/10 evaluable (and its ORR and OS at day 99, other measures);
- pool-b: the whole study, 18/20 evaluable, and no acronym (its rows carry its title);
- pool-c: two arms, 5/10 and 6/12, and the whole study's 11/22: the arms pool, the whole-study
  figure (the same patients) does not;
- pool-d: the whole study, 3/5 of those enrolled: another denominator basis, so not pooled; and
  two figures no comparison can use (no counts, no clear label);
- pool-f: a subgroup's figure only, 4/8 ETP-ALL patients: a comparison takes the whole population
  by default (as the FHIR face's pooled Evidence does), so it pools with nothing.
Pooled: four rows of three studies, 37 events in 52 patients. Rows with an interval: six.

And one more at day 98, alone there: pool-e, two arms, 0/13 with counts curators derived and
3/7 printed, so they pool only with include_derived=true. No patient responded in the first (an
empty cell the pool corrects by 0.5); the second's printed percentage (42.9) is rounded, so a
row's proportion read from it would differ from its counts'.
"""

import shutil
from pathlib import Path
from typing import Any

from api.settings import PROJECT_ROOT, Settings
from tests.fixture_data import dump_yaml, read_yaml

TIME_POINT = "d99"
DERIVED_TIME_POINT = "d98"
SOURCE = "002_34437a4f0dbbef9f"
HEADER = PROJECT_ROOT / "fixtures" / "studies" / "jplsg-t11.yaml"


def _figure(
    id: str, events: int, n: int, *, arm: str | None = None, basis: str = "evaluable", time_point: str = TIME_POINT
) -> dict[str, Any]:
    return {
        "id": id,
        "arm": arm,
        "measure": "cr",
        "time_point": time_point,
        "value": round(100 * events / n, 1),
        "numerator": events,
        "denominator": n,
        "denominator_basis": basis,
        "printed": f"{events}/{n}",
        "source_id": SOURCE,
        "locator": "Table 1",
    }


STUDIES: dict[str, dict[str, Any]] = {
    "pool-a": {
        "arms": [("a1", 10)],
        "outcomes": [
            _figure("cr-d99", 8, 10, arm="a1"),
            # Other measures at the same time point, which a comparison of CR must leave out.
            {**_figure("orr-d99", 9, 10, arm="a1"), "measure": "orr"},
            {
                **_figure("os-d99", 9, 10, arm="a1"),
                "measure": "os",
                "numerator": None,
                "denominator": None,
                "value": 90.0,
                "printed": "90%",
            },
        ],
    },
    "pool-b": {"arms": [], "outcomes": [_figure("cr-d99", 18, 20)]},
    "pool-c": {
        "arms": [("c1", 10), ("c2", 12)],
        "outcomes": [
            _figure("cr-d99-c1", 5, 10, arm="c1"),
            _figure("cr-d99-c2", 6, 12, arm="c2"),
            _figure("cr-d99-all", 11, 22),
        ],
    },
    "pool-d": {
        "arms": [],
        "outcomes": [
            _figure("cr-d99", 3, 5, basis="enrolled"),
            # Matching figures that cannot be used: listed as excluded, each with its reason.
            # Printed as a percentage alone: its value is a number printed (api.loading.checks).
            {**_figure("cr-d99-no-counts", 3, 5), "numerator": None, "denominator": None, "printed": "60%"},
            {**_figure("cr-d99-unlabeled", 3, 5), "unlabeled": True, "caveat": "says only 'response'"},
        ],
    },
    "pool-e": {
        "arms": [("e1", 13), ("e2", 7)],
        "outcomes": [
            {
                **_figure("cr-d98-e1", 0, 13, arm="e1", time_point=DERIVED_TIME_POINT),
                "derived": True,
                "derivation": "Made up: the printed 0% of 13 patients is 0/13.",
                "printed": "0%",
            },
            _figure("cr-d98-e2", 3, 7, arm="e2", time_point=DERIVED_TIME_POINT),
        ],
    },
    "pool-f": {"arms": [], "outcomes": [{**_figure("cr-d99-etp", 4, 8), "subgroup": "etp"}]},
}
DERIVED_POOL = {"pool-e.cr-d98-e1": (0, 13), "pool-e.cr-d98-e2": (3, 7)}
POOLED = {"pool-a.cr-d99": (8, 10), "pool-b.cr-d99": (18, 20), "pool-c.cr-d99-c1": (5, 10), "pool-c.cr-d99-c2": (6, 12)}
NOT_POOLED = {"pool-c.cr-d99-all", "pool-d.cr-d99"}
EXCLUDED = {
    "pool-d.cr-d99-no-counts": "no denominator: a proportion without counts cannot be given an interval or pooled",
    "pool-d.cr-d99-unlabeled": "printed without a clear label",
}


def _arm(id: str, n: int, interventions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    arm: dict[str, Any] = {"id": id, "label": f"Arm {id}", "n": n}
    if interventions is not None:
        arm["interventions"] = interventions
    return arm


def write_pooled_fixtures(directory: Path, studies: dict[str, dict[str, Any]] = STUDIES) -> Settings:
    """The curated fixtures plus the made-up studies, under directory; settings that serve them.

    A study's spec: its arms as (id, n) or (id, n, interventions), its outcomes, and any other fields
    of the study (car_products, therapy_classes) under "study"."""
    fixtures = directory / "fixtures"
    shutil.copytree(PROJECT_ROOT / "fixtures", fixtures)
    header = read_yaml(HEADER.read_text(encoding="utf-8"))
    for study_id, spec in studies.items():
        data = {
            **header,
            "id": study_id,
            "title": f"Made-up study {study_id} for the pooling tests",
            # pool-b has no acronym: its rows are labelled with its title.
            "acronym": None if study_id == "pool-b" else study_id.upper(),
            "n_enrolled": sum(arm[1] for arm in spec["arms"]) or None,
            "arms": [_arm(*arm) for arm in spec["arms"]],
            "outcomes": spec["outcomes"],
            "related_studies": [],
        }
        for key in ("adverse_events", "characteristics", "findings", "car_products"):
            data[key] = []
        data |= spec.get("study", {})
        path = fixtures / "studies" / f"{study_id}.yaml"
        path.write_text(dump_yaml(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return Settings(fixtures_dir=fixtures, response_cache_enabled=False)
