"""Interval arithmetic checked against an independent implementation (statsmodels)."""

import math

import numpy as np
import pytest
from statsmodels.stats.meta_analysis import combine_effects
from statsmodels.stats.proportion import proportion_confint

from api.queries.comparison import _logit_effect, pool_random_effects, wilson_interval


@pytest.mark.parametrize(("events", "n"), [(0, 1), (1, 1), (4, 10), (18, 20), (47, 53), (56, 62), (0, 30), (30, 30)])
def test_wilson_interval_matches_statsmodels(events: int, n: int) -> None:
    low, high = proportion_confint(events, n, alpha=0.05, method="wilson")
    ours = wilson_interval(events, n)
    assert ours == pytest.approx((low, high), abs=1e-12)


@pytest.mark.parametrize(
    "counts",
    [
        [(18, 32), (1, 1)],
        [(4, 10), (18, 20), (47, 53)],
        [(6, 7), (7, 7), (56, 62), (10, 21)],
        [(5, 10), (5, 10)],  # no heterogeneity: tau² and I² are zero
    ],
)
def test_random_effects_pool_matches_statsmodels(counts: list[tuple[int, int]]) -> None:
    effects = [_logit_effect(e, n) for e, n in counts]
    reference = combine_effects(
        np.array([y for y, _ in effects]), np.array([v for _, v in effects]), method_re="dl", use_t=False
    )
    pooled = pool_random_effects(counts)
    # DerSimonian-Laird truncates tau² at zero; statsmodels reports the raw (negative) moment estimate,
    # in which case the truncated random-effects answer is its fixed-effect one.
    truncated = reference.tau2 <= 0
    mean = reference.mean_effect_fe if truncated else reference.mean_effect_re
    se = reference.sd_eff_w_fe if truncated else reference.sd_eff_w_re

    def expit(x: float) -> float:
        return 1 / (1 + math.exp(-x))

    assert pooled.proportion == pytest.approx(expit(mean), abs=1e-12)
    assert pooled.ci_low == pytest.approx(expit(mean - 1.959963984540054 * se), abs=1e-9)
    assert pooled.ci_high == pytest.approx(expit(mean + 1.959963984540054 * se), abs=1e-9)
    assert pooled.tau_squared == pytest.approx(max(0.0, reference.tau2), abs=1e-12)
    assert pooled.q == pytest.approx(reference.q, abs=1e-9)
    assert pooled.i_squared == pytest.approx(max(0.0, reference.i2) * 100, abs=1e-9)
    assert pooled.k == len(counts)


def test_continuity_correction_only_for_empty_cells() -> None:
    assert _logit_effect(4, 10) == pytest.approx((math.log(4 / 6), 1 / 4 + 1 / 6))
    assert _logit_effect(1, 1) == pytest.approx((math.log(1.5 / 0.5), 1 / 1.5 + 1 / 0.5))
