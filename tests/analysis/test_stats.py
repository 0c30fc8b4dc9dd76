"""Statistics against hand-computed values and against scipy on known inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from lrlab.analysis.stats import holm, mean_ci, paired_comparison, performance_profile


def test_mean_ci_by_hand():
    # mean 2, sd 1, n 3: half-width = t(0.975, 2) * 1 / sqrt(3) = 4.302653 / 1.732051 = 2.484138
    ci = mean_ci([1.0, 2.0, 3.0])
    assert ci.mean == 2.0 and ci.n == 3
    assert ci.low == pytest.approx(2 - 2.484138, abs=1e-6) and ci.high == pytest.approx(2 + 2.484138, abs=1e-6)


def test_mean_ci_edge_cases():
    assert math.isnan(mean_ci([]).mean) and mean_ci([]).n == 0
    one = mean_ci([0.7])
    assert one.mean == 0.7 and math.isnan(one.low) and one.n == 1
    same = mean_ci([0.5, 0.5, 0.5])
    assert (same.low, same.high) == (0.5, 0.5)
    assert mean_ci([1.0, float("nan"), 3.0, None]).n == 2  # non-finite and missing values are left out


def test_paired_comparison_matches_scipy():
    a = [0.91, 0.93, 0.90, 0.95, 0.92, 0.94]
    b = [0.90, 0.90, 0.89, 0.93, 0.91, 0.90]
    c = paired_comparison(a, b)
    t = stats.ttest_rel(a, b)
    # These differences tie (0.01 three times, up to float noise): the normal approximation.
    w = stats.wilcoxon(np.round(np.subtract(a, b), 12), method="approx")
    assert c.n == 6 and not c.low_power
    assert c.t_statistic == pytest.approx(t.statistic) and c.t_pvalue == pytest.approx(t.pvalue)
    assert c.wilcoxon_statistic == pytest.approx(w.statistic) and c.wilcoxon_pvalue == pytest.approx(w.pvalue)
    diff = np.subtract(a, b)
    assert c.mean_diff == pytest.approx(diff.mean())
    assert c.effect_size == pytest.approx(diff.mean() / diff.std(ddof=1))
    assert c.ci_low < c.mean_diff < c.ci_high
    assert diff.min() <= c.ci_low and c.ci_high <= diff.max()


def test_wilcoxon_is_exact_without_ties_or_zeros():
    a = [0.91, 0.95, 0.90, 0.99, 0.92, 0.97]
    b = [0.90, 0.92, 0.86, 0.94, 0.86, 0.90]  # differences 0.01 .. 0.07, all distinct
    c = paired_comparison(a, b)
    w = stats.wilcoxon(np.subtract(a, b), method="exact")
    assert c.wilcoxon_pvalue == pytest.approx(w.pvalue) == pytest.approx(2 / 2**6)


def test_paired_comparison_is_deterministic_and_drops_incomplete_pairs():
    a, b = [1.0, 2.0, 3.0, float("nan")], [0.5, 1.5, 3.2, 1.0]
    first, second = paired_comparison(a, b), paired_comparison(a, b)
    assert first == second and first.n == 3 and first.low_power


def test_zero_and_constant_differences():
    same = paired_comparison([0.5, 0.6, 0.7], [0.5, 0.6, 0.7])
    assert same.mean_diff == 0 and same.t_pvalue == 1.0 and same.wilcoxon_pvalue == 1.0
    shifted = paired_comparison([1.5, 1.6, 1.7], [1.0, 1.1, 1.2])
    assert shifted.mean_diff == pytest.approx(0.5)
    assert shifted.t_pvalue == pytest.approx(0.25)  # sign test: 2 * 0.5**3
    single = paired_comparison([1.0], [0.0])
    assert single.n == 1 and math.isnan(single.t_pvalue)


def test_holm_by_hand():
    # sorted: 0.01 (x3 = 0.03), 0.03 (x2 = 0.06), 0.04 (x1 = 0.04 -> monotone 0.06)
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    adjusted = holm([0.01, float("nan")])
    assert adjusted[0] == pytest.approx(0.01) and math.isnan(adjusted[1])


def test_performance_profile_by_hand():
    times = {"a": {"t1": 10.0, "t2": None, "t3": 30.0},
             "b": {"t1": 20.0, "t2": 5.0, "t3": float("inf")}}
    profile = performance_profile(times, [1.0, 2.0, 3.0])
    # best: t1 10 (a), t2 5 (b), t3 30 (a)
    assert profile["a"] == pytest.approx([2 / 3, 2 / 3, 2 / 3])
    assert profile["b"] == pytest.approx([1 / 3, 2 / 3, 2 / 3])
    unsolved = performance_profile({"a": {"t": None}}, [1.0])
    assert unsolved["a"] == [0.0]
