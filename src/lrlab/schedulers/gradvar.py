"""GradVarLR: lower the rate when gradients grow more variable, raise it when they settle."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from torch.optim import Optimizer

from lrlab.schedulers.base import AdaptiveLR, Decision, Guard, check_int, check_range
from lrlab.schedulers.space import Dimension
from lrlab.signals import GradientNoiseScale, GradientStats, grad_norm, optimizer_params

Statistic = Literal["cv", "std", "noise_scale"]


@dataclass(frozen=True)
class GradVarRule:
    """Compare the variability of this window with the previous window's.

    Rose by more than ``tolerance`` (relative) -> ``x (1 - factor)``; fell by more than
    ``tolerance`` -> ``x (1 + factor)``; otherwise, or without a previous window, nothing.
    """

    factor: float = 0.1
    tolerance: float = 0.0

    def initial_state(self) -> dict[str, Any]:
        return {"previous": None}

    def decide(self, state: dict[str, Any], variability: float) -> tuple[dict[str, Any], Decision | None]:
        if not math.isfinite(variability):
            return state, None
        previous = state["previous"]
        state = {"previous": variability}
        if previous is None:
            return state, None
        values = {"variability": variability, "previous": previous}
        if variability > previous * (1.0 + self.tolerance):
            return state, Decision(1.0 - self.factor, f"variability rose {previous:.4g} -> {variability:.4g}", values)
        if variability < previous * (1.0 - self.tolerance):
            return state, Decision(1.0 + self.factor, f"variability fell {previous:.4g} -> {variability:.4g}", values)
        return state, None


class GradVarLR(AdaptiveLR):
    """Gradient-variability rate: react to how much the gradients vary from batch to batch.

    The gradients are read through an optimizer step pre-hook (after accumulation, before the
    update); nothing needs to be passed to ``observe``. Every ``window`` optimizer steps, the
    variability of that window is compared with the previous window's (:class:`GradVarRule`):
    more variable -> lower the rate by ``factor`` (10 % by default), less variable -> raise it
    by the same factor.

    Args:
        optimizer: wrapped optimizer.
        window: optimizer steps per window, >= 2 (default 5).
        factor: relative change per decision, in (0, 1) (default 0.1).
        statistic: variability measure: ``"cv"`` (default; std/mean of the global gradient norm
            over the window), ``"std"`` (its std) or ``"noise_scale"`` (McCandlish et al.'s
            B_simple = tr(Σ)/|G|², costs one parameter-sized buffer).
        tolerance: relative change that counts, in [0, 1) (default 0).
        min_lr, max_lr, warmup_steps, guard: see :class:`~lrlab.schedulers.base.AdaptiveLR`.
            The guard is on when this scheduler can raise the rate (always).

    Example:
        >>> import torch
        >>> model = torch.nn.Linear(4, 1)
        >>> opt = torch.optim.SGD(model.parameters(), lr=0.05)
        >>> sched = GradVarLR(opt, window=5)
        >>> for _ in range(20):
        ...     loss = model(torch.randn(16, 4)).pow(2).mean()
        ...     opt.zero_grad(); loss.backward(); opt.step()
        ...     sched.observe(loss=loss.item())  # for its guard (it can raise the rate)
        ...     sched.step()
        >>> len(sched.adjustments) > 0   # three windows compared, each one a change
        True
    """

    needs: ClassVar[frozenset[str]] = frozenset({"grads"})
    #: Arguments worth tuning, with ranges (the study tunes every schedule's rate besides these).
    search_space: ClassVar[dict[str, Dimension]] = {
        "factor": Dimension(0.01, 0.3, log=True),
        "window": Dimension(3, 20, log=True, integer=True),
    }
    _stateful = ("stats", "noise")

    def __init__(self, optimizer: Optimizer, *, window: int = 5, factor: float = 0.1,
                 statistic: Statistic = "cv", tolerance: float = 0.0,
                 min_lr: float | Sequence[float] = 0.0,
                 max_lr: float | Sequence[float] | None = None, warmup_steps: int = 0,
                 guard: bool | Guard | Mapping[str, Any] = True, last_epoch: int = -1) -> None:
        check_int("window", window, 2)
        check_range("factor", factor, 0.0, 1.0, low_open=True, high_open=True)
        if statistic not in ("cv", "std", "noise_scale"):
            raise ValueError(f"statistic must be 'cv', 'std' or 'noise_scale', got {statistic!r}")
        check_range("tolerance", tolerance, 0.0, 1.0, high_open=True)
        self.window = window
        self.statistic = statistic
        self.rule = GradVarRule(factor, tolerance)
        self.stats = GradientStats(window)
        self.noise = GradientNoiseScale(k=window, smoothing=0.0)
        super().__init__(optimizer, min_lr=min_lr, max_lr=max_lr, warmup_steps=warmup_steps,
                         guard=guard, last_epoch=last_epoch)

    @property
    def can_raise(self) -> bool:  # type: ignore[override]
        """Raises whenever the gradients settle."""
        return True

    def initial_rule_state(self) -> dict[str, Any]:
        return {**self.rule.initial_state(), "seen": 0}

    def _on_gradients(self, optimizer: Optimizer) -> Decision | None:
        params = optimizer_params(optimizer)
        norm = grad_norm(params)
        self.stats.update(norm)
        self.signals = {"grad_norm": norm}
        if self.statistic == "noise_scale":
            self.noise.update([p.grad for p in params], params, norm=norm)  # norm measured above
        seen = self.rule_state["seen"] + 1
        if seen < self.window:
            self.rule_state = {**self.rule_state, "seen": seen}
            return None
        variability = {"cv": self.stats.cv, "std": self.stats.std}.get(self.statistic)
        if variability is None:
            variability = self.noise.value if self.noise.value is not None else math.nan
        self.signals.update(grad_norm_mean=self.stats.mean, grad_norm_std=self.stats.std,
                            grad_norm_cv=self.stats.cv, variability=variability)
        self.stats.window.clear()  # windows do not overlap: the next one starts afresh
        rule_state, decision = self.rule.decide({"previous": self.rule_state["previous"]}, variability)
        self.rule_state = {**rule_state, "seen": 0}
        return decision
