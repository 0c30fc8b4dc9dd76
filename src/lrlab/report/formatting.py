"""How numbers are written in a report: one place, so the markdown, the HTML and the tests agree.

Formatting only: every value comes from the analysis as it is; nothing here aggregates.
"""

from __future__ import annotations

import json
import math
from typing import Any

NA = "n/a"
NEVER = "never"


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def finite(value: Any) -> bool:
    return is_number(value) and math.isfinite(value)


def num(value: Any, digits: int = 4) -> str:
    """A value with ``digits`` significant digits; ``n/a`` for None/NaN, ``inf`` for infinities.

    Example:
        >>> num(0.97777), num(12), num(None), num(float("nan")), num(12345.6), num(1.5e-5)
        ('0.9778', '12', 'n/a', 'n/a', '12346', '1.5e-05')
    """
    if value is None or not is_number(value) or (isinstance(value, float) and math.isnan(value)):
        return NA
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e6):
        return str(int(value))
    if 10 ** digits <= abs(value) < 1e9:  # 12345.6 as 12346, not 1.235e+04
        return f"{value:.0f}"
    return f"{value:.{digits}g}"


def signed(value: Any, digits: int = 4) -> str:
    """Like :func:`num`, with an explicit sign (differences)."""
    text = num(value, digits)
    return text if text in (NA, "0", "inf", "-inf") or text.startswith("-") else f"+{text}"


def pvalue(value: Any) -> str:
    """A p-value with three significant digits.

    Example:
        >>> pvalue(0.0123456), pvalue(1.0), pvalue(None)
        ('0.0123', '1', 'n/a')
    """
    return num(value, 3)


def interval(low: Any, high: Any, digits: int = 4, *, sign: bool = False) -> str:
    """``[low, high]``, or ``n/a`` when the interval is undefined (fewer than two values)."""
    if not (finite(low) and finite(high)):
        return NA
    write = signed if sign else num
    return f"[{write(low, digits)}, {write(high, digits)}]"


def plus_minus(entry: dict[str, Any], digits: int = 4) -> str:
    """``mean ± half-width`` of a symmetric 95 % t-interval (``mean_ci``): the seeds' dict style.

    Example:
        >>> plus_minus({"mean": 0.9, "ci_low": 0.85, "ci_high": 0.95, "n": 3})
        '0.9 ± 0.05'
        >>> plus_minus({"mean": 0.9, "ci_low": float("nan"), "ci_high": float("nan"), "n": 1})
        '0.9 (n=1)'
        >>> plus_minus({"mean": 0.99, "ci_low": 0.97, "ci_high": 1.0, "n": 3})   # cut at 1
        '0.99 [0.97, 1]'
    """
    mean, low, high = entry.get("mean"), entry.get("ci_low"), entry.get("ci_high")
    if not finite(mean):
        return NA
    if not (finite(low) and finite(high)):
        return f"{num(mean, digits)} (n={entry.get('n', 0)})"
    if not math.isclose(mean - low, high - mean, rel_tol=1e-6, abs_tol=1e-12):
        return mean_with_ci(entry, digits)  # cut at the metric's range: no longer mean ± half-width
    return f"{num(mean, digits)} ± {num((high - low) / 2, digits)}"


def mean_with_ci(entry: dict[str, Any] | None, digits: int = 4) -> str:
    """``mean [low, high]`` of an analysis interval entry (``n/a`` when it has no mean)."""
    if not entry or not finite(entry.get("mean")):
        return NA
    ci = interval(entry.get("ci_low"), entry.get("ci_high"), digits)
    return num(entry["mean"], digits) if ci == NA else f"{num(entry['mean'], digits)} {ci}"


def time_or_never(value: Any, digits: int = 4) -> str:
    """A time to target: ``never`` where the trial did not reach it (None or infinite)."""
    if value is None or (is_number(value) and math.isinf(value)):
        return NEVER
    return num(value, digits)


def fraction(count: int, total: int) -> str:
    return f"{count}/{total}"


def literal(value: Any) -> str:
    """Python source for a plan value, strings in double quotes (as the code snippets write them).

    Example:
        >>> literal("relative"), literal(0.5), literal([1, 2])
        ('"relative"', '0.5', '[1, 2]')
    """
    return json.dumps(value) if isinstance(value, str) else repr(value)


def json_safe(value: Any) -> Any:
    """A copy of ``value`` that strict JSON can hold: NaN becomes null, infinities ``"inf"``/``"-inf"``.

    Example:
        >>> json_safe({"a": [1.0, float("nan"), float("inf")], "b": (2,)})
        {'a': [1.0, None, 'inf'], 'b': [2]}
    """
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return value
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value
