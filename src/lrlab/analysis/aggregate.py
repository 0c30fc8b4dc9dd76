"""One number across tasks, as rliable defines it (Agarwal et al. 2021, "Deep RL at the Edge of
the Statistical Precipice"): the interquartile mean (IQM) of normalised scores and the average
probability of improvement, each with a stratified bootstrap 95 % interval.

rliable itself is not used: its bootstrap comes from ``arch``, whose releases that rliable
accepts (< 8) fail to import beside pandas 3. The same estimators are a few lines over scipy:
``scipy.stats.trim_mean`` (rliable's ``aggregate_iqm``), the Mann–Whitney U statistic (its
``probability_of_improvement``) and ``scipy.stats.bootstrap`` with one sample per task (and per
side), which resamples runs within each task independently: rliable's stratified bootstrap.

Scores are normalised per task by the task's best baseline: ``value / baseline mean`` where
higher is better, ``baseline mean / value`` where lower is better, so that 1.0 means "as good as
the best baseline" on every task and metric.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
from scipy import stats

#: Bootstrap resamples (seeded: a report rendered twice gives the same bytes).
RESAMPLES = 2000


def normalise(values: Sequence[float], baseline_mean: float, lower_is_better: bool) -> list[float]:
    """Scores relative to the best baseline's mean: 1.0 = as good, above 1 = better.

    Example:
        >>> normalise([0.9, 0.8], 0.8, False), normalise([0.5], 0.25, True)
        ([1.125, 1.0], [0.5])
    """
    if not (baseline_mean > 0) or not math.isfinite(baseline_mean):
        return [math.nan for _ in values]
    return [(baseline_mean / v if v > 0 else math.inf) if lower_is_better else v / baseline_mean for v in values]


def interquartile_mean(per_task: Sequence[Sequence[float]]) -> float:
    """The mean of the middle 50 % of every run's score on every task (rliable's IQM).

    Example:
        >>> interquartile_mean([[1.0, 2.0, 3.0, 100.0], [2.0, 2.0, 3.0, 3.0]])
        2.5
    """
    return float(stats.trim_mean(np.concatenate([np.asarray(t, float) for t in per_task]), 0.25))


def probability_of_improvement(xs: Sequence[Sequence[float]], ys: Sequence[Sequence[float]]) -> float:
    """P(X > Y) per task, ties counting half, averaged over tasks: the Mann–Whitney U statistic
    divided by the number of pairs, as rliable's ``probability_of_improvement`` (counted here
    over all pairs at once, which is what U is, and fast enough to bootstrap).

    Example:
        >>> probability_of_improvement([[2.0, 3.0]], [[1.0, 2.0]])
        0.875
    """
    values = []
    for x, y in zip(xs, ys, strict=True):
        x, y = np.asarray(x, float)[:, None], np.asarray(y, float)[None, :]
        values.append(float(np.mean(x > y) + 0.5 * np.mean(x == y)))
    return float(np.mean(values))


def _interval(samples: list[np.ndarray], statistic, seed: int) -> tuple[float, float]:
    """Percentile interval of ``statistic(*samples, axis=-1)``, each sample resampled on its own
    (``statistic`` is vectorised: scipy hands it every resample at once along the first axes)."""
    if any(len(s) < 2 for s in samples):
        return math.nan, math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a degenerate resample distribution gives NaN, said below
        result = stats.bootstrap(samples, statistic, vectorized=True, paired=False, n_resamples=RESAMPLES,
                                 method="percentile", rng=np.random.default_rng(seed))
    low, high = result.confidence_interval
    return float(low), float(high)


def _iqm_along(*samples: np.ndarray, axis: int = -1) -> np.ndarray:
    return stats.trim_mean(np.concatenate(samples, axis=axis), 0.25, axis=axis)


def _improvement_along(*samples: np.ndarray, axis: int = -1) -> np.ndarray:
    per_task = []
    for x, y in zip(samples[0::2], samples[1::2], strict=True):
        x, y = np.moveaxis(x, axis, -1)[..., :, None], np.moveaxis(y, axis, -1)[..., None, :]
        per_task.append(np.mean(x > y, axis=(-2, -1)) + 0.5 * np.mean(x == y, axis=(-2, -1)))
    return np.mean(per_task, axis=0)


def _finite(runs: Sequence[Sequence[float]]) -> bool:
    return bool(runs) and all(len(r) and np.all(np.isfinite(r)) for r in runs)


def iqm_with_interval(per_task: Sequence[Sequence[float]], seed: int = 0) -> dict[str, float] | None:
    """IQM of one schedule's normalised scores (``per_task[task]``: its runs) with a stratified
    bootstrap 95 % interval; None when a task has no finite score."""
    if not _finite(per_task):
        return None
    samples = [np.asarray(t, float) for t in per_task]
    low, high = _interval(samples, _iqm_along, seed)
    return {"value": interquartile_mean(samples), "ci_low": low, "ci_high": high,
            "runs": int(sum(len(s) for s in samples))}


def improvement_with_interval(xs: Sequence[Sequence[float]], ys: Sequence[Sequence[float]],
                              seed: int = 0) -> dict[str, float] | None:
    """Average probability that a run of X beats a run of Y on the same task, with a stratified
    bootstrap 95 % interval (X's and Y's runs resampled independently within each task)."""
    if not (_finite(xs) and _finite(ys)):
        return None
    samples = [np.asarray(s, float) for pair in zip(xs, ys, strict=True) for s in pair]
    value = probability_of_improvement(samples[0::2], samples[1::2])
    low, high = _interval(samples, _improvement_along, seed)
    return {"value": value, "ci_low": low, "ci_high": high}
