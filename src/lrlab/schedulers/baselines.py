"""Baseline schedules, taken from torch and transformers (not rewritten), behind one signature.

Each factory takes ``(optimizer, *, total_steps, warmup_steps, **kwargs)``. Warm-up, where a
baseline has none of its own, is torch's ``LinearLR`` chained before it with ``SequentialLR``.
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

from torch.optim import Optimizer
from torch.optim.lr_scheduler import (
    ConstantLR,
    CosineAnnealingLR,
    LinearLR,
    LRScheduler,
    OneCycleLR,
    ReduceLROnPlateau,
    SequentialLR,
    StepLR,
)

from lrlab.schedulers.base import EVALUATION_GRACE, SignalWarning, check_signals
from lrlab.schedulers.space import Dimension

#: Each baseline's default tuning search space, beside its defaults below: its own arguments worth
#: tuning (the study tunes every schedule's rate besides these; see lrlab.schedulers.space).
SPACES: dict[str, dict[str, Dimension]] = {
    "constant": {},
    "step": {"gamma": Dimension(0.05, 0.7, log=True)},
    "cosine": {},
    "linear": {},
    "plateau": {"factor": Dimension(0.1, 0.7), "patience": Dimension(0, 3, integer=True)},
    "onecycle": {"pct_start": Dimension(0.1, 0.5)},
}

def _need_total(name: str, total_steps: int | None) -> int:
    if total_steps is None or total_steps < 1:
        raise ValueError(f"schedule {name!r} needs total_steps >= 1, got {total_steps!r}")
    return total_steps


def _with_warmup(optimizer: Optimizer, main: LRScheduler, warmup_steps: int) -> LRScheduler:
    if warmup_steps <= 0:
        return main
    warmup = LinearLR(optimizer, start_factor=1.0 / warmup_steps, end_factor=1.0, total_iters=warmup_steps - 1 or 1)
    return SequentialLR(optimizer, [warmup, main], milestones=[warmup_steps])


def constant(optimizer: Optimizer, *, total_steps: int | None = None, warmup_steps: int = 0) -> LRScheduler:
    """The initial rate throughout (torch ``ConstantLR`` with factor 1)."""
    return _with_warmup(optimizer, ConstantLR(optimizer, factor=1.0, total_iters=0), warmup_steps)


def step_decay(optimizer: Optimizer, *, total_steps: int | None = None, warmup_steps: int = 0,
               step_size: int | None = None, gamma: float = 0.1) -> LRScheduler:
    """x ``gamma`` every ``step_size`` steps (torch ``StepLR``); default step_size: a third of the run."""
    if step_size is None:
        step_size = max(1, _need_total("step", total_steps) // 3)
    if step_size < 1:
        raise ValueError(f"step_size must be >= 1, got {step_size}")
    if not 0.0 < gamma <= 1.0:
        raise ValueError(f"gamma must be in (0, 1], got {gamma}")
    return _with_warmup(optimizer, StepLR(optimizer, step_size=step_size, gamma=gamma), warmup_steps)


def cosine(optimizer: Optimizer, *, total_steps: int | None = None, warmup_steps: int = 0,
           eta_min: float = 0.0) -> LRScheduler:
    """Linear warm-up, then cosine annealing to ``eta_min`` at ``total_steps`` (torch)."""
    total = _need_total("cosine", total_steps)
    if warmup_steps >= total:
        raise ValueError(f"warmup_steps ({warmup_steps}) must be < total_steps ({total})")
    main = CosineAnnealingLR(optimizer, T_max=total - warmup_steps, eta_min=eta_min)
    return _with_warmup(optimizer, main, warmup_steps)


def linear(optimizer: Optimizer, *, total_steps: int | None = None, warmup_steps: int = 0) -> LRScheduler:
    """Linear warm-up then linear decay to 0 (``transformers.get_linear_schedule_with_warmup``)."""
    total = _need_total("linear", total_steps)
    try:
        from transformers import get_linear_schedule_with_warmup
    except ImportError as error:
        raise ModuleNotFoundError(
            "schedule 'linear' is the transformers one: pip install 'lrlab[hf]'") from error
    return get_linear_schedule_with_warmup(optimizer, warmup_steps, total)


def one_cycle(optimizer: Optimizer, *, total_steps: int | None = None, warmup_steps: int = 0,
              max_lr: float | list[float] | None = None, pct_start: float | None = None,
              div_factor: float = 25.0, final_div_factor: float = 1e4) -> LRScheduler:
    """torch ``OneCycleLR``; peak defaults to each group's initial rate, warm-up sets ``pct_start``."""
    total = _need_total("onecycle", total_steps)
    if pct_start is None:
        pct_start = warmup_steps / total if warmup_steps else 0.3
    peaks = max_lr if max_lr is not None else [float(g.get("initial_lr", g["lr"])) for g in optimizer.param_groups]
    defaults = optimizer.defaults
    cycle_momentum = bool(defaults.get("momentum", 0.0)) or "betas" in defaults
    return OneCycleLR(optimizer, max_lr=peaks, total_steps=total, pct_start=pct_start,
                      div_factor=div_factor, final_div_factor=final_div_factor,
                      cycle_momentum=cycle_momentum)


class PlateauLR(ReduceLROnPlateau):
    """torch ``ReduceLROnPlateau`` speaking lrlab's protocol.

    ``observe(val_metrics=...)`` after an evaluation is its ``step(metric)``; the per-iteration
    ``step()`` the training loop calls does nothing, so the loop treats it like any scheduler.
    """

    needs: ClassVar[frozenset[str]] = frozenset({"val_metrics"})

    def __init__(self, optimizer: Optimizer, *, monitor: str = "loss", **kwargs: Any) -> None:
        kwargs.setdefault("mode", "min" if "loss" in monitor else "max")
        self.monitor = monitor
        self._calls, self._fed = 0, False  # for the warning when val_metrics never come
        self.evaluation_grace = EVALUATION_GRACE  # as AdaptiveLR's
        super().__init__(optimizer, **kwargs)

    def observe(self, val_metrics: dict[str, float] | None = None, **signals: Any) -> None:
        check_signals({"val_metrics": val_metrics, **signals})
        if val_metrics is not None:
            if self.monitor not in val_metrics:
                raise ValueError(f"val_metrics has no {self.monitor!r} (monitor); got {sorted(val_metrics)}")
            self._fed = True
            super().step(float(val_metrics[self.monitor]))

    def step(self, metrics: float | None = None, epoch: int | None = None) -> None:  # type: ignore[override]
        if metrics is not None:
            super().step(metrics)
            return
        self._calls += 1
        if self._calls == self.evaluation_grace and not self._fed:
            warnings.warn(f"PlateauLR needs 'val_metrics' but has had none in {self._calls} steps, so it cannot "
                          "cut the rate: call scheduler.observe(val_metrics=...) after each evaluation (if your "
                          f"loop evaluates less often than every {self._calls} steps, this is expected: set "
                          "scheduler.evaluation_grace to more steps than that)", SignalWarning, stacklevel=2)


def plateau(optimizer: Optimizer, *, total_steps: int | None = None, warmup_steps: int = 0,
            monitor: str = "loss", factor: float = 0.1, patience: int = 10, threshold: float = 1e-4,
            cooldown: int = 0, min_lr: float = 0.0) -> LRScheduler:
    """Cut by ``factor`` after ``patience`` evaluations without improvement (torch)."""
    if warmup_steps:
        raise ValueError("schedule 'plateau' has no warm-up; set warmup_steps to 0")
    return PlateauLR(optimizer, monitor=monitor, factor=factor, patience=patience,
                     threshold=threshold, cooldown=cooldown, min_lr=min_lr)
