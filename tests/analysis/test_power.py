"""Power of the paired t-test (statsmodels) checked against the noncentral t by hand, and the
aggregate estimators (rliable's definitions) against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from lrlab.analysis.aggregate import (
    improvement_with_interval,
    interquartile_mean,
    iqm_with_interval,
    normalise,
    probability_of_improvement,
)
from lrlab.analysis.power import detectable_effect, power, seeds_needed


def by_hand(effect: float, sd: float, n: int, alpha: float) -> float:
    df, shift = n - 1, effect * math.sqrt(n) / sd
    critical = stats.t.ppf(1 - alpha / 2, df)
    return stats.nct.sf(critical, df, shift) + stats.nct.cdf(-critical, df, shift)


@pytest.mark.parametrize(("effect", "sd", "n", "alpha"), [(1.0, 1.0, 10, 0.05), (0.02, 0.015, 12, 0.05 / 18),
                                                          (0.3, 0.1, 3, 0.01)])
def test_power_is_the_noncentral_t(effect, sd, n, alpha):
    assert power(effect, sd, n, alpha) == pytest.approx(by_hand(effect, sd, n, alpha), rel=1e-6)


def test_the_detectable_effect_has_80_percent_power_and_shrinks_with_seeds():
    for n in (3, 10, 30):
        effect = detectable_effect(0.02, n, 0.05 / 18)
        assert power(effect, 0.02, n, 0.05 / 18) == pytest.approx(0.8, abs=1e-4)
    assert detectable_effect(0.02, 30, 0.05) < detectable_effect(0.02, 10, 0.05) < detectable_effect(0.02, 3, 0.05)
    assert math.isnan(detectable_effect(0.0, 10, 0.05)) and math.isnan(detectable_effect(0.02, 1, 0.05))


def test_seeds_needed_is_the_first_n_with_enough_power():
    n = seeds_needed(0.02, 0.03, 0.05 / 18)
    assert n is not None
    assert power(0.02, 0.03, n, 0.05 / 18) >= 0.8 > power(0.02, 0.03, n - 1, 0.05 / 18)
    assert seeds_needed(0.0, 0.03, 0.05) is None and seeds_needed(1e-6, 1.0, 0.05, most=50) is None


def test_normalised_scores_are_relative_to_the_best_baseline():
    assert normalise([0.9, 0.45], 0.9, False) == [1.0, 0.5]
    assert normalise([0.2, 0.4], 0.2, True) == [1.0, 0.5]  # a loss twice as high scores half
    assert all(math.isnan(v) for v in normalise([0.5], 0.0, False))


def test_iqm_is_the_trimmed_mean_of_every_run_on_every_task():
    tasks = [[1.0, 2.0, 3.0, 4.0], [10.0, 0.0, 2.5, 2.5]]
    values = sorted(v for t in tasks for v in t)
    assert interquartile_mean(tasks) == pytest.approx(np.mean(values[2:6]))
    result = iqm_with_interval([[1.0, 1.1, 0.9, 1.05], [0.95, 1.0, 1.02, 0.98]], seed=3)
    assert result["ci_low"] <= result["value"] <= result["ci_high"] and result["runs"] == 8
    assert result == iqm_with_interval([[1.0, 1.1, 0.9, 1.05], [0.95, 1.0, 1.02, 0.98]], seed=3)  # seeded
    assert iqm_with_interval([[1.0, math.nan]]) is None


def test_probability_of_improvement_counts_pairs_and_ties_half():
    assert probability_of_improvement([[3.0, 4.0]], [[1.0, 2.0]]) == 1.0
    assert probability_of_improvement([[1.0, 2.0]], [[1.0, 2.0]]) == 0.5
    # task 1: x beats y in 3 of 4 pairs; task 2: no pair won, two tied -> 1/4
    assert probability_of_improvement([[2.0, 3.0], [1.0, 2.0]], [[1.0, 2.5], [2.0, 2.0]]) == pytest.approx(
        (3 / 4 + 1 / 4) / 2)
    x, y = [[2.0, 3.0], [1.0, 2.0]], [[1.0, 2.5], [2.0, 2.0]]
    for a, b in zip(x, y, strict=True):  # the same as scipy's Mann–Whitney U over the pairs
        u = stats.mannwhitneyu(a, b, alternative="greater").statistic
        assert u / 4 == probability_of_improvement([a], [b])
    result = improvement_with_interval([[1.1, 1.2, 1.15], [1.0, 1.05, 1.1]], [[1.0, 1.0, 1.02], [1.0, 1.0, 0.99]])
    assert 0.5 < result["value"] <= 1.0 and result["ci_low"] <= result["value"] <= result["ci_high"]


@pytest.mark.parametrize(("d", "n"), [(0.2, 199), (0.5, 34), (0.8, 15)])
def test_seeds_needed_matches_gpower(d: float, n: int):
    """G*Power's sample sizes for a two-sided paired t-test at alpha 0.05 and 80 % power."""
    assert seeds_needed(d, 1.0, 0.05) == n
