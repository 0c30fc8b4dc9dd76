"""Statistics as pure functions over arrays: intervals, paired tests, effect size, corrections.

Every function takes plain sequences of floats and returns plain values, so that the report can
only render what was computed here, and tests can check each against scipy or by hand.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

#: Below this many paired seeds, a test has little power: the report says so beside it.
LOW_POWER_N = 5
#: Resamples of the bootstrap (seeded: a report rendered twice gives the same bytes).
BOOTSTRAP_RESAMPLES = 10_000


@dataclass(frozen=True)
class Interval:
    """A mean with its 95 % confidence interval (Student t over ``n`` values)."""

    mean: float
    low: float
    high: float
    n: int


def mean_ci(values: Sequence[float], confidence: float = 0.95) -> Interval:
    """Mean and t-interval of the finite values; NaN bounds with fewer than two of them."""
    data = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    n = len(data)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    mean = float(data.mean())
    if n < 2:
        return Interval(mean, math.nan, math.nan, 1)
    sem = float(stats.sem(data))
    if sem == 0.0:
        return Interval(mean, mean, mean, n)
    low, high = stats.t.interval(confidence, n - 1, loc=mean, scale=sem)
    return Interval(mean, float(low), float(high), n)


@dataclass(frozen=True)
class PairedComparison:
    """proposed − baseline over paired seeds: tests, effect size and a bootstrap interval."""

    n: int
    mean_diff: float
    ci_low: float  # bootstrap 95 % interval of the mean difference
    ci_high: float
    t_statistic: float
    t_pvalue: float
    wilcoxon_statistic: float
    wilcoxon_pvalue: float
    effect_size: float  # Cohen's d_z: mean difference / std of the differences
    low_power: bool
    sd_diff: float = math.nan  # standard deviation of the differences (ddof=1)

    def as_dict(self) -> dict[str, float | int | bool]:
        return asdict(self)


def paired_comparison(proposed: Sequence[float], baseline: Sequence[float], *, seed: int = 0) -> PairedComparison:
    """Compare two paired samples (same seeds, same order). Pairs with a non-finite side are dropped.

    The t-test is ``scipy.stats.ttest_rel``; the signed-rank test ``scipy.stats.wilcoxon``
    (exact without ties or zero differences and n <= 50, else its normal approximation); the interval ``scipy.stats.bootstrap`` (percentile method on the mean
    difference, seeded). When every difference is zero both tests return p = 1.
    """
    pairs = [(float(p), float(b)) for p, b in zip(proposed, baseline, strict=True)
             if p is not None and b is not None and math.isfinite(p) and math.isfinite(b)]
    n = len(pairs)
    diff = np.asarray([p - b for p, b in pairs], dtype=float)
    nan = math.nan
    if n == 0:
        return PairedComparison(0, nan, nan, nan, nan, nan, nan, nan, nan, True)
    mean_diff = float(diff.mean())
    if n < 2:
        return PairedComparison(n, mean_diff, nan, nan, nan, nan, nan, nan, nan, True)
    if np.all(diff == diff[0]):
        # Constant differences: no spread to test against. Zero differences mean "no difference";
        # a constant non-zero shift is reported with its size, and p from the sign of n pairs.
        if diff[0] == 0.0:
            return PairedComparison(n, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, n < LOW_POWER_N, 0.0)
        sign_p = float(stats.binomtest(n, n, 0.5).pvalue)
        effect = math.copysign(math.inf, mean_diff)
        return PairedComparison(n, mean_diff, mean_diff, mean_diff, effect, sign_p, 0.0, sign_p,
                                effect, n < LOW_POWER_N, 0.0)
    t = stats.ttest_rel([p for p, _ in pairs], [b for _, b in pairs])
    # Exact where it is defined (no ties, no zeros, n <= 50); else the normal approximation. scipy's
    # "auto" would run a permutation test there instead, 0.2 s each: a minute per report.
    # Differences of metrics like accuracies (k/N) tie up to float noise: rounded, ties are ties.
    signed_ranks = np.round(diff, 12)
    distinct = np.abs(signed_ranks[signed_ranks != 0])
    exact = n <= 50 and len(distinct) == n and len(np.unique(distinct)) == n
    w = stats.wilcoxon(signed_ranks, zero_method="wilcox", method="exact" if exact else "approx")
    boot = stats.bootstrap((diff,), np.mean, confidence_level=0.95, n_resamples=BOOTSTRAP_RESAMPLES,
                           method="percentile", rng=np.random.default_rng(seed))
    sd = float(diff.std(ddof=1))
    return PairedComparison(
        n=n, mean_diff=mean_diff,
        ci_low=float(boot.confidence_interval.low), ci_high=float(boot.confidence_interval.high),
        t_statistic=float(t.statistic), t_pvalue=float(t.pvalue),
        wilcoxon_statistic=float(w.statistic), wilcoxon_pvalue=float(w.pvalue),
        effect_size=mean_diff / sd if sd > 0 else math.copysign(math.inf, mean_diff),
        low_power=n < LOW_POWER_N, sd_diff=sd)


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values (step-down), in the input order; NaN stays NaN.

    Written here because scipy has no Holm correction (``false_discovery_control`` is
    Benjamini–Hochberg) and statsmodels would be a heavy dependency for ten lines.
    """
    indexed = [(p, i) for i, p in enumerate(pvalues) if p is not None and math.isfinite(p)]
    indexed.sort()
    m = len(indexed)
    adjusted = [math.nan] * len(pvalues)
    running = 0.0
    for rank, (p, i) in enumerate(indexed):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[i] = running
    return adjusted


def performance_profile(times: dict[str, dict[str, float | None]], taus: Sequence[float]) -> dict[str, list[float]]:
    """AlgoPerf-style performance profile over tasks.

    ``times[schedule][task]`` is a time to target (None or inf when never reached). For each
    schedule and τ, the fraction of tasks on which its time is within τ x the best schedule's
    time on that task. Tasks that no schedule solves count against every schedule.
    """
    tasks = sorted({task for per_task in times.values() for task in per_task})
    best = {}
    for task in tasks:
        reached = [t for per_task in times.values() if (t := per_task.get(task)) is not None and math.isfinite(t)]
        best[task] = min(reached) if reached else None
    profile = {}
    for schedule, per_task in times.items():
        fractions = []
        for tau in taus:
            ok = 0
            for task in tasks:
                t = per_task.get(task)
                if best[task] is not None and t is not None and math.isfinite(t) and t <= tau * best[task] + 1e-12:
                    ok += 1
            fractions.append(ok / len(tasks) if tasks else math.nan)
        profile[schedule] = fractions
    return profile
