"""Early stopping on the validation split: stop after ``patience`` evaluations without improvement."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal


@dataclass
class EarlyStopping:
    """Count evaluations since the monitored validation value last improved (strictly).

    Args:
        patience: evaluations without improvement after which to stop; 0 turns it off.
        mode: ``"min"`` (a loss) or ``"max"`` (accuracy, F1, AUC).

    A non-finite value never counts as an improvement.

    Example:
        >>> stopping = EarlyStopping(patience=2, mode="min")
        >>> for loss in (1.0, 0.8, 0.9, 0.8):
        ...     stopping.update(loss)
        >>> stopping.should_stop, stopping.best
        (True, 0.8)
    """

    patience: int
    mode: Literal["min", "max"]
    best: float | None = None
    bad_evaluations: int = 0

    def update(self, value: float) -> None:
        better = self.best is None or (value < self.best if self.mode == "min" else value > self.best)
        if math.isfinite(value) and better:
            self.best, self.bad_evaluations = float(value), 0
        else:
            self.bad_evaluations += 1

    @property
    def should_stop(self) -> bool:
        return self.patience > 0 and self.bad_evaluations >= self.patience

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "bad_evaluations": self.bad_evaluations}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.bad_evaluations = state["best"], state["bad_evaluations"]
