"""PerformanceLR: follow validation performance — up while it improves, down on a plateau or overfitting."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from torch.optim import Optimizer

from lrlab.schedulers.base import AdaptiveLR, Decision, Guard, check_int, check_range
from lrlab.schedulers.space import Dimension
from lrlab.signals import ValidationTrend, generalization_gap


@dataclass(frozen=True)
class PerformanceRule:
    """After each evaluation, in this order:

    1. overfitting: the train/validation gap is above ``gap_tolerance`` and has widened for
       ``gap_patience`` evaluations in a row -> ``x decrease`` ("overfitting");
    2. improved: the monitored metric beat its best -> ``x increase`` ("improving");
    3. plateau: no improvement for ``patience`` evaluations -> ``x decrease``, and wait
       ``cooldown`` evaluations before counting again ("plateau").
    """

    increase: float = 1.05
    decrease: float = 0.5
    patience: int = 2
    cooldown: int = 0
    gap_tolerance: float = 0.0
    gap_patience: int = 2

    def initial_state(self) -> dict[str, Any]:
        return {"cooldown": 0, "gap": None, "widening": 0}

    def decide(self, state: dict[str, Any], improved: bool, plateau: int,
               gap: float) -> tuple[dict[str, Any], Decision | None]:
        values = {"plateau": float(plateau), "gap": gap}
        widening = state["widening"]
        if math.isfinite(gap):
            previous = state["gap"]
            widening = widening + 1 if previous is not None and gap > previous else 0
        state = {**state, "gap": gap if math.isfinite(gap) else state["gap"], "widening": widening}
        if math.isfinite(gap) and gap > self.gap_tolerance and widening >= self.gap_patience:
            return {**state, "widening": 0}, Decision(self.decrease, f"overfitting: gap {gap:.4f} widened {widening}x", values)
        if improved:
            return state, Decision(self.increase, "improving", values)
        if state["cooldown"] > 0:
            return {**state, "cooldown": state["cooldown"] - 1}, None
        if plateau >= self.patience:
            return {**state, "cooldown": self.cooldown}, Decision(self.decrease, f"plateau: {plateau} evaluations without improvement", values)
        return state, None


class PerformanceLR(AdaptiveLR):
    """Real-time performance rate: react to each evaluation of the validation metric.

    Unlike ``ReduceLROnPlateau`` it can go up: while validation improves, the rate rises gently
    (``x increase``); after ``patience`` evaluations without improvement it is cut
    (``x decrease``); and when the train/validation gap keeps widening (overfitting) it is cut
    too. Call ``observe(val_metrics=..., train_metrics=...)`` after each evaluation.

    Args:
        optimizer: wrapped optimizer.
        monitor: key of ``val_metrics`` to follow (default ``"loss"``).
        mode: ``"min"`` or ``"max"``; default: ``"min"`` if ``"loss"`` is in ``monitor``, else ``"max"``.
        increase: multiplier while improving, in [1, 2] (default 1.05; 1 disables raising).
        decrease: multiplier on a plateau or overfitting, in (0, 1) (default 0.5).
        patience: evaluations without improvement before a cut, >= 1 (default 2).
        cooldown: evaluations to wait after a plateau cut, >= 0 (default 0).
        threshold: relative improvement that counts, in [0, 1) (default 1e-4).
        gap_tolerance: gap (val loss - train loss) below which no overfitting is declared, >= 0 (default 0).
        gap_patience: consecutive widenings of the gap that count as overfitting, >= 1 (default 2).
        min_lr, max_lr, warmup_steps, guard: see :class:`~lrlab.schedulers.base.AdaptiveLR`.
            The guard is on when this scheduler can raise the rate (``increase`` > 1).

    Example:
        >>> import torch
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> sched = PerformanceLR(opt, patience=2)
        >>> for val_loss in (1.0, 0.9, 0.9, 0.9):  # one evaluation per epoch
        ...     opt.step()  # ... the epoch's training steps, each followed by sched.step()
        ...     sched.observe(val_metrics={"loss": val_loss}, train_metrics={"loss": val_loss})
        ...     sched.step()
        >>> [(a["rule"], round(a["new_lr"][0], 4)) for a in sched.adjustments]
        [('improving', 0.105), ('plateau: 2 evaluations without improvement', 0.0525)]
    """

    needs: ClassVar[frozenset[str]] = frozenset({"val_metrics", "train_metrics"})
    #: Arguments worth tuning, with ranges (the study tunes every schedule's rate besides these).
    search_space: ClassVar[dict[str, Dimension]] = {
        "increase": Dimension(1.0, 1.25),
        "decrease": Dimension(0.2, 0.9),
        "patience": Dimension(1, 4, integer=True),
    }
    _stateful = ("trend",)

    def __init__(self, optimizer: Optimizer, *, monitor: str = "loss",
                 mode: Literal["min", "max"] | None = None, increase: float = 1.05,
                 decrease: float = 0.5, patience: int = 2, cooldown: int = 0,
                 threshold: float = 1e-4, gap_tolerance: float = 0.0, gap_patience: int = 2,
                 min_lr: float | Sequence[float] = 0.0,
                 max_lr: float | Sequence[float] | None = None, warmup_steps: int = 0,
                 guard: bool | Guard | Mapping[str, Any] = True, last_epoch: int = -1) -> None:
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(f"monitor must be a metric name, got {monitor!r}")
        mode = mode or ("min" if "loss" in monitor else "max")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        check_range("increase", increase, 1.0, 2.0)
        check_range("decrease", decrease, 0.0, 1.0, low_open=True, high_open=True)
        check_int("patience", patience, 1)
        check_int("cooldown", cooldown, 0)
        check_range("threshold", threshold, 0.0, 1.0, high_open=True)
        check_range("gap_tolerance", gap_tolerance, 0.0, math.inf, high_open=True)
        check_int("gap_patience", gap_patience, 1)
        self.monitor = monitor
        self.rule = PerformanceRule(increase, decrease, patience, cooldown, gap_tolerance, gap_patience)
        self.trend = ValidationTrend(mode, threshold)
        super().__init__(optimizer, min_lr=min_lr, max_lr=max_lr, warmup_steps=warmup_steps,
                         guard=guard, last_epoch=last_epoch)

    @property
    def can_raise(self) -> bool:  # type: ignore[override]
        """Raises while improving unless ``increase`` is 1."""
        return self.rule.increase > 1.0

    def initial_rule_state(self) -> dict[str, Any]:
        return self.rule.initial_state()

    def _observe(self, val_metrics: Mapping[str, float] | None = None,
                 train_metrics: Mapping[str, float] | None = None, **_: Any) -> Decision | None:
        if val_metrics is None:
            return None
        if self.monitor not in val_metrics:
            raise ValueError(f"val_metrics has no {self.monitor!r} (monitor); got {sorted(val_metrics)}")
        value = float(val_metrics[self.monitor])
        # The first evaluation has nothing to improve on: it sets the reference only.
        improved = self.trend.update(value) and self.trend.count > 1
        gap = math.nan
        if train_metrics is not None and "loss" in train_metrics and "loss" in val_metrics:
            gap = generalization_gap(float(train_metrics["loss"]), float(val_metrics["loss"]))
        self.signals = {f"val_{self.monitor}": value, "plateau": float(self.trend.plateau), "gap": gap}
        self.rule_state, decision = self.rule.decide(self.rule_state, improved, self.trend.plateau, gap)
        return decision
