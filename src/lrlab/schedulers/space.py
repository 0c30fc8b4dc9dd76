"""Tuning search spaces: data beside each schedule's defaults, read by the study's tuner.

A schedule declares the arguments worth tuning and their ranges as a small dict of
:class:`Dimension` next to its defaults (AlgoPerf submissions keep a
``tuning_search_space.json`` beside their code for the same reason). The learning rate is not
part of it: every schedule's rate is tuned on the same range, which the study sets (see
``lrlab.study.tuning``). A tuner maps points of the unit cube onto a space with
:func:`point_to_config`, so any quasi-random sequence can drive it.

Example:
    >>> space = {"factor": Dimension(0.5, 0.99), "interval": Dimension(5, 50, log=True, integer=True)}
    >>> point_to_config(space, [0.0, 0.999])
    {'factor': 0.5, 'interval': 50}
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Dimension:
    """One tuned argument: a range ``[low, high]`` (on a log scale if ``log``; whole numbers if
    ``integer``) or a list of ``choices``. ``when`` restricts it to configurations whose fixed
    arguments have these values (e.g. EntropyLR's ``threshold`` only when ``mode="absolute"``).
    """

    low: float | None = None
    high: float | None = None
    log: bool = False
    integer: bool = False
    choices: tuple[Any, ...] | None = None
    when: tuple[tuple[str, Any], ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.choices is not None:
            if not self.choices:
                raise ValueError("choices must not be empty")
            return
        if self.low is None or self.high is None:
            raise ValueError("a range needs low and high (or give choices)")
        for name, value in (("low", self.low), ("high", self.high)):
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"{name} must be a finite number, got {value!r}")
        if not self.low < self.high:
            raise ValueError(f"empty range: low ({self.low:g}) must be < high ({self.high:g}); "
                             "to fix a value, give it in the schedule's args")
        if self.log and self.low <= 0:
            raise ValueError(f"a log range needs low > 0, got {self.low:g}")
        if self.integer and (self.low != int(self.low) or self.high != int(self.high)):
            raise ValueError(f"an integer range needs whole-number bounds, got [{self.low:g}, {self.high:g}]")

    def applies(self, fixed: Mapping[str, Any]) -> bool:
        """Whether this dimension is tuned for a schedule whose fixed arguments are ``fixed``."""
        return all(fixed.get(name) == value for name, value in self.when)

    def value(self, u: float) -> Any:
        """The value at ``u`` in [0, 1): the unit interval stretched over the range (or choices)."""
        u = min(max(float(u), 0.0), math.nextafter(1.0, 0.0))
        if self.choices is not None:
            return self.choices[int(u * len(self.choices))]
        low, high = float(self.low), float(self.high)  # type: ignore[arg-type]
        if self.integer:  # each whole number gets an equal share of the unit interval (of log space)
            if self.log:
                x = math.exp(math.log(low) + u * (math.log(high + 1) - math.log(low)))
            else:
                x = low + u * (high - low + 1)
            return min(max(int(math.floor(x + 1e-9)), int(low)), int(high))  # exp(log 5) is 4.999...
        if self.log:
            return _round(math.exp(math.log(low) + u * (math.log(high) - math.log(low))))
        return _round(low + u * (high - low))

    def corners(self) -> list[Any]:
        """The values at both ends (every choice), to check that a schedule accepts them."""
        return list(self.choices) if self.choices is not None else [self.value(0.0), self.value(1.0)]

    def describe(self) -> str:
        if self.choices is not None:
            text = "one of " + ", ".join(repr(c) for c in self.choices)
        else:
            kind = "integer " if self.integer else ""
            text = f"{kind}[{self.low:g}, {self.high:g}]" + (" log" if self.log else "")
        if self.when:
            text += " when " + ", ".join(f"{k}={v!r}" for k, v in self.when)
        return text

    def as_dict(self) -> dict[str, Any]:
        """Plain values (for hashing and JSON)."""
        out: dict[str, Any] = {"choices": list(self.choices)} if self.choices is not None else {
            "low": self.low, "high": self.high, "log": self.log, "integer": self.integer}
        if self.when:
            out["when"] = {k: v for k, v in self.when}
        return out


Space = Mapping[str, Dimension]


def _round(value: float) -> float:
    """Four significant digits: configurations read well in reports, and still cover the range."""
    return float(f"{value:.4g}")


def active(space: Space, fixed: Mapping[str, Any]) -> dict[str, Dimension]:
    """The dimensions of ``space`` that apply given the schedule's fixed arguments."""
    return {name: dim for name, dim in space.items() if dim.applies(fixed)}


def point_to_config(space: Space, point: Sequence[float]) -> dict[str, Any]:
    """Map a point of the unit cube onto ``space`` (dimension ``i`` reads ``point[i]``)."""
    if len(point) < len(space):
        raise ValueError(f"a point of {len(point)} coordinates cannot fill {len(space)} dimensions")
    return {name: dim.value(u) for (name, dim), u in zip(space.items(), point, strict=False)}


def describe_space(space: Space) -> str:
    """One line: ``name: range; ...`` (``-`` for an empty space)."""
    return "; ".join(f"{name}: {dim.describe()}" for name, dim in space.items()) or "-"
