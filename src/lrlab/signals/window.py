"""Small stateful helpers shared by signals: an exponential moving average and a sliding window."""

from __future__ import annotations

import math
from collections import deque
from typing import Any


class EMA:
    """Bias-corrected exponential moving average of a scalar; non-finite inputs are ignored.

    Args:
        beta: weight of the past, in ``[0, 1)``; 0 means "no smoothing".
    """

    def __init__(self, beta: float) -> None:
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"smoothing must be in [0, 1), got {beta}")
        self.beta = beta
        self._raw = 0.0
        self.count = 0

    def update(self, value: float) -> float | None:
        if math.isfinite(value):
            self._raw = self.beta * self._raw + (1.0 - self.beta) * value
            self.count += 1
        return self.value

    @property
    def value(self) -> float | None:
        if self.count == 0:
            return None
        return self._raw / (1.0 - self.beta**self.count)

    def state_dict(self) -> dict[str, Any]:
        return {"raw": self._raw, "count": self.count}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._raw = float(state["raw"])
        self.count = int(state["count"])


class Window:
    """The last ``size`` finite values of a scalar stream, with mean, std and coefficient of variation."""

    def __init__(self, size: int) -> None:
        if size < 2:
            raise ValueError(f"window must be >= 2, got {size}")
        self.size = size
        self.values: deque[float] = deque(maxlen=size)

    def update(self, value: float) -> None:
        if math.isfinite(value):
            self.values.append(float(value))

    @property
    def full(self) -> bool:
        return len(self.values) == self.size

    @property
    def mean(self) -> float:
        return sum(self.values) / len(self.values) if self.values else math.nan

    @property
    def std(self) -> float:
        """Sample standard deviation (ddof=1); NaN with fewer than two values."""
        n = len(self.values)
        if n < 2:
            return math.nan
        mean = self.mean
        return math.sqrt(sum((v - mean) ** 2 for v in self.values) / (n - 1))

    @property
    def cv(self) -> float:
        """Coefficient of variation, std / mean; NaN when the mean is 0 or undefined."""
        mean = self.mean
        return self.std / mean if mean and math.isfinite(mean) else math.nan

    def clear(self) -> None:
        self.values.clear()

    def state_dict(self) -> dict[str, Any]:
        return {"values": list(self.values)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.values = deque((float(v) for v in state["values"]), maxlen=self.size)
