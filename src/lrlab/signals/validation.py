"""Validation trend: improvement over the best value so far, plateau length, train/validation gap."""

from __future__ import annotations

import math
from typing import Any, Literal


class ValidationTrend:
    """Tracks a validation metric across evaluations.

    An evaluation *improves* when it beats the best value so far by more than ``threshold``
    (relative, as in ``ReduceLROnPlateau``'s ``threshold_mode="rel"``). ``plateau`` counts the
    evaluations since the last improvement.

    Args:
        mode: ``"min"`` (losses) or ``"max"`` (accuracies).
        threshold: relative improvement that counts, >= 0 (default 1e-4).

    Example:
        >>> trend = ValidationTrend("min")
        >>> [trend.update(v) for v in (1.0, 0.8, 0.8, 0.81)]
        [True, True, False, False]
        >>> trend.plateau
        2
    """

    def __init__(self, mode: Literal["min", "max"] = "min", threshold: float = 1e-4) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        if not threshold >= 0.0:
            raise ValueError(f"threshold must be >= 0, got {threshold}")
        self.mode = mode
        self.threshold = threshold
        self.best = math.nan
        self.last = math.nan
        self.previous = math.nan
        self.plateau = 0
        self.count = 0

    def is_better(self, value: float, reference: float) -> bool:
        if math.isnan(reference):
            return True
        margin = abs(reference) * self.threshold
        return value < reference - margin if self.mode == "min" else value > reference + margin

    def update(self, value: float) -> bool:
        """Record one evaluation; returns whether it improved on the best. NaN never improves."""
        value = float(value)
        self.previous, self.last = self.last, value
        self.count += 1
        if math.isfinite(value) and self.is_better(value, self.best):
            self.best = value
            self.plateau = 0
            return True
        self.plateau += 1
        return False

    @property
    def improvement(self) -> float:
        """Change since the previous evaluation, signed so that positive means better."""
        delta = self.last - self.previous
        return -delta if self.mode == "min" else delta

    def state_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("best", "last", "previous", "plateau", "count")}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            setattr(self, key, value)


def generalization_gap(train_loss: float, val_loss: float) -> float:
    """Validation loss minus training loss: grows when the model overfits."""
    return float(val_loss) - float(train_loss)
