"""A comparison that pools, served through every face: JSON, CSV, SVG and FHIR.

The data are the made-up studies of tests/pooled/synthetic_pool.py; the expected pool is
computed here from their counts with statsmodels (an independent implementation), and each
face must show the same rows pooled, the same rows left out, and the same estimate.
"""

import csv
import io
import math
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from statsmodels.stats.meta_analysis import combine_effects
from statsmodels.stats.proportion import proportion_confint

from api.main import create_app
from tests.fhir_checks import validate
from tests.pooled.synthetic_pool import (
    DERIVED_POOL,
    DERIVED_TIME_POINT,
    EXCLUDED,
    NOT_POOLED,
    POOLED,
    TIME_POINT,
    write_pooled_fixtures,
)

QUERY = {"measure": "cr", "time_point": TIME_POINT}
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = write_pooled_fixtures(tmp_path_factory.mktemp("pooled"))
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _reference(counts: list[tuple[int, int]]) -> tuple[float, float, float]:
    """Proportion and 95% interval of the DerSimonian-Laird pool on logit proportions, by statsmodels
    (0.5 added to both cells of a row with an empty one, as the comparison documents)."""
    cells = [(e + 0.5, n - e + 0.5) if e in (0, n) else (e, n - e) for e, n in counts]
    logits = np.array([math.log(a / b) for a, b in cells])
    variances = np.array([1 / a + 1 / b for a, b in cells])
    result = combine_effects(logits, variances, method_re="dl", use_t=False)
    truncated = result.tau2 <= 0  # DL truncates tau² at zero: the fixed-effect answer then
    mean = result.mean_effect_fe if truncated else result.mean_effect_re
    se = result.sd_eff_w_fe if truncated else result.sd_eff_w_re

    def expit(x: float) -> float:
        return 1 / (1 + math.exp(-x))

    return expit(mean), expit(mean - 1.959963984540054 * se), expit(mean + 1.959963984540054 * se)


@pytest.fixture  # per test, so each test reaches the comparison itself (mutation testing maps tests to code)
def comparison(client: TestClient) -> dict[str, Any]:
    response = client.get("/v1/comparison", params=QUERY)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_json_pools_exactly_the_comparable_rows(comparison: dict[str, Any]) -> None:
    pooled = comparison["pooled"]
    assert pooled is not None
    assert set(pooled["outcome_ids"]) == set(POOLED)
    assert pooled["k"] == len(POOLED)
    rows = {r["outcome_id"]: r for r in comparison["rows"]}
    assert set(rows) == set(POOLED) | NOT_POOLED
    for outcome_id, row in rows.items():
        assert row["pooled"] is (outcome_id in POOLED), outcome_id
        assert (row["not_pooled_reason"] is None) is (outcome_id in POOLED), outcome_id
    assert "whole-study figure" in rows["pool-c.cr-d99-all"]["not_pooled_reason"]
    assert "enrolled denominator" in rows["pool-d.cr-d99"]["not_pooled_reason"]
    proportion, low, high = _reference(list(POOLED.values()))
    assert (pooled["proportion"], pooled["ci_low"], pooled["ci_high"]) == pytest.approx((proportion, low, high))


def test_json_rows_are_ordered_labelled_and_every_row_left_out_says_why(comparison: dict[str, Any]) -> None:
    rows = comparison["rows"]
    # By study, then arm (the whole study's figure first), then id.
    assert [r["outcome_id"] for r in rows] == [
        "pool-a.cr-d99",
        "pool-b.cr-d99",
        "pool-c.cr-d99-all",
        "pool-c.cr-d99-c1",
        "pool-c.cr-d99-c2",
        "pool-d.cr-d99",
    ]
    assert [r["label"] for r in rows] == [
        "POOL-A · Arm a1",
        "Made-up study pool-b for the pooling tests · all patients",
        "POOL-C · all patients",
        "POOL-C · Arm c1",
        "POOL-C · Arm c2",
        "POOL-D · all patients",
    ]
    reasons = {r["outcome_id"]: r["not_pooled_reason"] for r in rows if not r["pooled"]}
    assert reasons == {
        "pool-c.cr-d99-all": "whole-study figure; its patients are in the arm rows pooled instead",
        "pool-d.cr-d99": f"at {TIME_POINT} with an enrolled denominator; the pool is of figures at {TIME_POINT} "
        "with an evaluable denominator",
    }
    assert comparison["pooled_note"] == "2 rows shown but not pooled; each says why"
    assert {e["outcome_id"]: e["reason"] for e in comparison["excluded"]} == EXCLUDED
    assert comparison["pooled"]["time_point"] == TIME_POINT
    assert comparison["pooled"]["denominator_basis"] == "evaluable"
    for row in rows:
        events, n = row["events"], row["n"]
        assert row["proportion"] == pytest.approx(events / n)
        assert row["interval_method"] == "wilson" and 0 <= row["ci_low"] < events / n < row["ci_high"] <= 1


@pytest.mark.parametrize(
    ("studies", "note"),
    [
        (["pool-a"], "a pooled estimate needs at least two comparable rows with counts; 1 available "
         "(1 row: no other comparable row to pool with)"),
        # Two strata of one row each: the larger (pool-a's ten patients) is chosen, and still alone.
        (["pool-a", "pool-d"], "a pooled estimate needs at least two comparable rows with counts; 1 available "
         f"(1 row: at {TIME_POINT} with an enrolled denominator; the pool is of figures at {TIME_POINT} with an "
         "evaluable denominator; 1 row: no other comparable row to pool with)"),
    ],
)  # fmt: skip
def test_one_comparable_row_is_not_pooled_and_the_note_counts_the_reasons(
    client: TestClient, studies: list[str], note: str
) -> None:
    comparison = client.get("/v1/comparison", params={**QUERY, "study_id": studies}).json()
    assert comparison["pooled"] is None
    assert comparison["pooled_note"] == note


@pytest.mark.parametrize(
    ("studies", "note"),
    [
        (["pool-a", "pool-b"], None),  # two rows, the fewest that pool, and nothing left out
        (["pool-a", "pool-b", "pool-d"], "1 row shown but not pooled; each says why"),
    ],
)
def test_two_comparable_rows_pool_and_the_note_counts_the_rows_left_out(
    client: TestClient, studies: list[str], note: str | None
) -> None:
    comparison = client.get("/v1/comparison", params={**QUERY, "study_id": studies}).json()
    pooled = comparison["pooled"]
    assert pooled["outcome_ids"] == ["pool-a.cr-d99", "pool-b.cr-d99"] and pooled["k"] == 2
    assert (pooled["time_point"], pooled["denominator_basis"]) == (TIME_POINT, "evaluable")
    assert (pooled["proportion"], pooled["ci_low"], pooled["ci_high"]) == pytest.approx(
        _reference([POOLED["pool-a.cr-d99"], POOLED["pool-b.cr-d99"]])
    )
    assert pooled["leave_one_out"] == []  # fewer than three rows: leaving one out leaves no pool
    assert comparison["pooled_note"] == note
    assert (comparison["measure"], comparison["time_point"], comparison["include_derived"]) == ("cr", TIME_POINT, False)


def test_rows_with_derived_counts_pool_only_when_asked(client: TestClient) -> None:
    query = {"measure": "cr", "time_point": DERIVED_TIME_POINT}
    printed_only = client.get("/v1/comparison", params=query).json()
    assert printed_only["pooled"] is None and printed_only["include_derived"] is False
    assert {r["outcome_id"]: r["not_pooled_reason"] for r in printed_only["rows"]} == {
        "pool-e.cr-d98-e1": "counts derived by curators, not printed; left out of the pool unless include_derived=true",
        "pool-e.cr-d98-e2": "no other comparable row to pool with",
    }
    asked = client.get("/v1/comparison", params={**query, "include_derived": "true"}).json()
    assert asked["include_derived"] is True and asked["time_point"] == DERIVED_TIME_POINT
    assert asked["pooled"]["outcome_ids"] == list(DERIVED_POOL) and asked["pooled_note"] is None
    assert asked["pooled"]["proportion"] == pytest.approx(_reference(list(DERIVED_POOL.values()))[0])
    for row in asked["rows"]:
        # From the counts, not from the rounded percentage printed (42.9% for 3/7).
        events, n = DERIVED_POOL[row["outcome_id"]]
        assert (row["events"], row["n"]) == (events, n)
        assert row["proportion"] == pytest.approx(events / n, rel=1e-12)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx(
            proportion_confint(events, n, alpha=0.05, method="wilson"), rel=1e-12
        )


def test_json_rows_carry_each_figures_provenance_and_wilson_interval(
    client: TestClient, comparison: dict[str, Any]
) -> None:
    for row in comparison["rows"]:
        figure = client.get(f"/v1/outcomes/{row['outcome_id']}").json()
        study = client.get(f"/v1/studies/{row['study_id']}").json()
        for field in ("printed", "source_id", "locator", "source_kind", "cited_publication", "derived"):
            assert row[field] == figure[field], field
        assert row["response_definition"] == figure["response_definition"]
        assert (row["arm_id"], row["arm_label"], row["subgroup"]) == (
            figure["arm_id"],
            figure["arm_label"],
            figure["subgroup"],
        )
        assert (row["study_title"], row["study_acronym"]) == (study["title"], study["acronym"])
        low, high = proportion_confint(row["events"], row["n"], alpha=0.05, method="wilson")
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))
    assert {r["arm_label"] for r in comparison["rows"]} >= {"Arm a1", "Arm c1", "Arm c2"}


def test_survival_figures_are_carried_as_printed_without_an_interval(client: TestClient) -> None:
    comparison = client.get("/v1/comparison", params={"measure": "os", "time_point": TIME_POINT}).json()
    [row] = comparison["rows"]
    assert (row["outcome_id"], row["proportion"]) == ("pool-a.os-d99", pytest.approx(0.9))
    assert (row["interval_method"], row["ci_low"], row["ci_high"], row["pooled"]) == (None, None, None, False)
    assert comparison["pooled_note"] == "survival figures are carried as printed and never pooled"


def test_json_leave_one_out_omits_each_pooled_row_in_turn(comparison: dict[str, Any]) -> None:
    leave_one_out = comparison["pooled"]["leave_one_out"]
    assert [e["omitted_outcome_id"] for e in leave_one_out] == comparison["pooled"]["outcome_ids"]
    for entry in leave_one_out:
        rest = [counts for outcome_id, counts in POOLED.items() if outcome_id != entry["omitted_outcome_id"]]
        proportion, low, high = _reference(rest)
        assert (entry["proportion"], entry["ci_low"], entry["ci_high"]) == pytest.approx((proportion, low, high))


def test_csv_carries_the_same_rows_and_the_pooled_line(client: TestClient, comparison: dict[str, Any]) -> None:
    response = client.get("/v1/comparison.csv", params=QUERY)
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text, newline="")))
    studies = {r["outcome_id"]: r for r in rows if r["row_type"] == "study"}
    assert set(studies) == set(POOLED) | NOT_POOLED
    assert {k for k, r in studies.items() if r["pooled"] == "true"} == set(POOLED)
    [pooled] = [r for r in rows if r["row_type"] == "pooled"]
    expected = comparison["pooled"]
    for column in ("proportion", "ci_low", "ci_high", "i_squared", "tau_squared"):
        assert float(pooled[column]) == pytest.approx(expected[column]), column
    assert pooled["method"] == expected["method"]


def test_svg_marks_the_pooled_rows_and_draws_the_pooled_diamond(client: TestClient) -> None:
    response = client.get("/v1/comparison.svg", params=QUERY)
    assert response.status_code == 200
    root = ET.fromstring(response.text)
    marked = {g.get("data-outcome-id"): g.get("data-in-pool") for g in root.iter(f"{SVG}g") if g.get("data-outcome-id")}
    assert marked == {outcome_id: "true" if outcome_id in POOLED else "false" for outcome_id in {*POOLED, *NOT_POOLED}}
    [diamond] = [g for g in root.iter(f"{SVG}g") if g.get("data-pooled") == "descriptive"]
    assert f"k = {len(POOLED)}" in "".join(diamond.itertext())


def test_fhir_pooled_evidence_counts_only_the_pooled_rows(client: TestClient, comparison: dict[str, Any]) -> None:
    response = client.get(f"/fhir/Evidence/comparison-cr-at-{TIME_POINT}")
    assert response.status_code == 200, response.text
    evidence = response.json()
    statistic = evidence["statistic"][0]
    assert statistic["numberOfEvents"] == sum(e for e, _ in POOLED.values())
    assert statistic["sampleSize"]["numberOfParticipants"] == sum(n for _, n in POOLED.values())
    assert statistic["sampleSize"]["numberOfStudies"] == len({k.split(".")[0] for k in POOLED})
    assert len(evidence["relatedArtifact"]) == len(POOLED)


def test_fhir_pooled_evidence_gives_the_pooled_estimate(client: TestClient, comparison: dict[str, Any]) -> None:
    evidence = client.get(f"/fhir/Evidence/comparison-cr-at-{TIME_POINT}").json()
    statistic = evidence["statistic"][0]
    assert statistic["quantity"]["value"] == pytest.approx(comparison["pooled"]["proportion"])
    interval = statistic["attributeEstimate"][0]["range"]
    assert (interval["low"]["value"], interval["high"]["value"]) == pytest.approx(
        (comparison["pooled"]["ci_low"], comparison["pooled"]["ci_high"])
    )


def test_fhir_serves_each_pool_once_named_at_its_time_point(client: TestClient, comparison: dict[str, Any]) -> None:
    # FA14: the measure's comparison pools at day 99 too; it was also served as comparison-cr, saying
    # no time point, so a search by measure found one synthesis twice.
    default = client.get("/v1/comparison", params={"measure": "cr"}).json()["pooled"]
    assert (default["time_point"], default["outcome_ids"]) == (TIME_POINT, comparison["pooled"]["outcome_ids"])
    found = client.get("/fhir/Evidence", params={"measure": "cr", "_count": 500}).json()
    assert found["total"] == len(found["entry"])
    pools = [e["resource"] for e in found["entry"] if e["resource"]["id"].startswith("comparison-")]
    assert [p["id"] for p in pools] == [f"comparison-cr-at-{TIME_POINT}"]
    assert client.get("/fhir/Evidence/comparison-cr").status_code == 404
    [pool] = pools
    validate(pool)
    assert pool["title"] == "Pooled CR at day 99 across studies (descriptive)"
    assert pool["statistic"][0]["description"].startswith("Pooled proportion of CR at day 99,")
    measured = pool["variableDefinition"][-1]
    assert measured["variableRole"]["coding"][0]["code"] == "measuredVariable"
    assert measured["observed"]["reference"] == f"EvidenceVariable/measure-cr-at-{TIME_POINT}"
    assert client.get(f"/fhir/EvidenceVariable/measure-cr-at-{TIME_POINT}").status_code == 200
