"""Power of the paired t-test: the smallest effect a design can detect, and the seeds it needs.

The paired t-test over ``n`` seeds whose differences have standard deviation ``sd`` rejects at
level ``alpha`` (two-sided) with probability

    power = P(T > t_{1-alpha/2, n-1}) + P(T < -t_{1-alpha/2, n-1}),  T ~ noncentral t(n-1, effect * sqrt(n) / sd)

computed with ``scipy.stats.nct``. Written here rather than taken from statsmodels'
``TTestPower``: that returns NaN once the lower tail underflows (e.g. n = 3, alpha = 0.05/18,
d_z = 8), and its ``solve_power`` then returns wrong roots; the lower tail is treated as the
zero it is. With Holm's correction over ``m`` comparisons the first is tested at ``alpha/m`` and
later ones at up to ``alpha``; the analysis passes ``alpha/m``, which holds for every comparison
of the family, so the figures are conservative.
"""

from __future__ import annotations

import math

from scipy import optimize, stats

#: The power a design should have for the smallest effect of interest.
TARGET_POWER = 0.8


def _defined(sd: float, n: float) -> bool:
    return n >= 2 and sd > 0 and math.isfinite(sd)


def _power_dz(d: float, n: int, alpha: float) -> float:
    df, shift = n - 1, abs(d) * math.sqrt(n)
    critical = stats.t.ppf(1 - alpha / 2, df)
    upper = float(stats.nct.sf(critical, df, shift))
    lower = float(stats.nct.cdf(-critical, df, shift))
    return upper + (lower if math.isfinite(lower) else 0.0)  # the lower tail underflows to NaN, not 0


def power(effect: float, sd: float, n: int, alpha: float) -> float:
    """Probability that the two-sided paired t-test at level ``alpha`` detects a true mean
    difference ``effect`` with ``n`` pairs whose differences have standard deviation ``sd``.

    Example:
        >>> round(power(1.0, 1.0, 10, 0.05), 3)   # d_z = 1 with 10 pairs
        0.803
    """
    if not _defined(sd, n):
        return math.nan
    return _power_dz(effect / sd, n, alpha)


def detectable_effect(sd: float, n: int, alpha: float, target: float = TARGET_POWER) -> float:
    """The smallest true difference the test detects with probability ``target``, in the units of
    ``sd``; NaN when undefined (fewer than 2 pairs, no spread).

    Example:
        >>> round(detectable_effect(1.0, 10, 0.05), 3)
        0.996
    """
    if not _defined(sd, n):
        return math.nan

    def short(d: float) -> float:
        return _power_dz(d, n, alpha) - target

    upper = 1.0
    while short(upper) < 0:
        upper *= 2
        if upper > 1e6:
            return math.inf
    return float(optimize.brentq(short, 0.0, upper, xtol=1e-10)) * sd


def seeds_needed(effect: float, sd: float, alpha: float, target: float = TARGET_POWER,
                 most: int = 1000) -> int | None:
    """The fewest pairs with which the test detects ``effect`` with probability ``target``
    (None if more than ``most``, or undefined).

    Example:
        >>> seeds_needed(1.0, 1.0, 0.05)
        10
    """
    if not (effect > 0) or not _defined(sd, 2):
        return None
    for n in range(2, most + 1):  # a scan: the answer is a whole number, and power grows with n
        if _power_dz(effect / sd, n, alpha) >= target:
            return n
    return None
