"""Gradient statistics read through an optimizer step pre-hook.

The hook sees the gradients the optimizer is about to apply: after gradient accumulation,
after ``GradScaler`` unscaling, once per real optimizer step. Nothing is asked of the user.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import Tensor
from torch.optim import Optimizer
from torch.utils.hooks import RemovableHandle

from lrlab.signals.window import EMA, Window


def optimizer_params(optimizer: Optimizer) -> list[Tensor]:
    """Every parameter the optimizer updates, in param-group order."""
    return [p for group in optimizer.param_groups for p in group["params"]]


def grad_norm(params: Iterable[Tensor]) -> float:
    """Global L2 norm of the gradients present (parameters without ``.grad`` are skipped)."""
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return 0.0
    # torch._foreach_norm is the fused kernel clip_grad_norm_ uses; one launch per dtype/device.
    norms = torch._foreach_norm(grads)
    return float(torch.linalg.vector_norm(torch.stack([n.float() for n in norms])).item())


def register_gradient_hook(
    optimizer: Optimizer, callback: Callable[[Optimizer], None]
) -> RemovableHandle:
    """Call ``callback(optimizer)`` right before every ``optimizer.step()``.

    Returns the handle; ``handle.remove()`` detaches it.
    """

    def hook(opt: Optimizer, args: Any, kwargs: Any) -> None:
        callback(opt)

    return optimizer.register_step_pre_hook(hook)


class GradientStats:
    """Global gradient norm over a sliding window of the last ``window`` steps: mean, std, CV.

    Example:
        >>> stats = GradientStats(window=3)
        >>> for n in (1.0, 2.0, 3.0):
        ...     stats.update(n)
        >>> round(stats.cv, 3)
        0.5
    """

    def __init__(self, window: int = 5) -> None:
        self.window = Window(window)
        self.last_norm = math.nan

    def update(self, norm: float) -> None:
        self.last_norm = float(norm)
        self.window.update(norm)

    @property
    def mean(self) -> float:
        return self.window.mean

    @property
    def std(self) -> float:
        return self.window.std

    @property
    def cv(self) -> float:
        return self.window.cv

    def state_dict(self) -> dict[str, Any]:
        return {"window": self.window.state_dict(), "last_norm": self.last_norm}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.window.load_state_dict(state["window"])
        self.last_norm = float(state["last_norm"])


class GradientNoiseScale:
    """Cheap estimate of the simple gradient noise scale B_simple = tr(Σ) / |G|².

    McCandlish et al. (2018), "An Empirical Model of Large-Batch Training", appendix A.1: compare
    the squared norm of single-batch gradients with that of their mean over ``k`` consecutive
    batches (a k-times larger batch). Both unbiased estimates are smoothed with an EMA before
    the ratio is taken, as the paper recommends. The result is in units of *batches*; multiply by
    the batch size for samples. Costs one running sum of the gradients (one parameter-sized buffer).

    Args:
        k: batches per estimate, >= 2 (default 5).
        smoothing: EMA weight of the past for the two estimates, in [0, 1) (default 0.9).
    """

    def __init__(self, k: int = 5, smoothing: float = 0.9) -> None:
        if k < 2:
            raise ValueError(f"k must be >= 2, got {k}")
        self.k = k
        self._sum: list[Tensor] | None = None
        self._small_sq = 0.0
        self._count = 0
        self._g2 = EMA(smoothing)
        self._trace = EMA(smoothing)

    def update(self, grads: list[Tensor | None], params: list[Tensor], norm: float | None = None) -> float | None:
        """Add one step's gradients; returns the current estimate (None until one exists).

        ``norm``: their global norm, when the caller has measured it already (saves a pass).
        """
        dense = [g.detach() if g is not None else torch.zeros_like(p) for g, p in zip(grads, params, strict=True)]
        if norm is not None:
            small_sq = float(norm) ** 2
        else:
            small_sq = sum(float(n.float() ** 2) for n in torch._foreach_norm(dense)) if dense else 0.0
        if not math.isfinite(small_sq):
            return self.value
        if self._sum is None:
            self._sum = [g.clone() for g in dense]
        else:
            torch._foreach_add_(self._sum, dense)
        self._small_sq += small_sq
        self._count += 1
        if self._count == self.k:
            big_sq = sum(float(n.float() ** 2) for n in torch._foreach_norm(self._sum)) / self.k**2
            small = self._small_sq / self.k
            self._g2.update((self.k * big_sq - small) / (self.k - 1))
            self._trace.update((small - big_sq) / (1.0 - 1.0 / self.k))
            self._sum, self._small_sq, self._count = None, 0.0, 0
        return self.value

    @property
    def value(self) -> float | None:
        g2, trace = self._g2.value, self._trace.value
        if g2 is None or trace is None or g2 <= 0.0:
            return None
        return trace / g2

    def state_dict(self) -> dict[str, Any]:
        return {
            "sum": None if self._sum is None else [t.clone() for t in self._sum],
            "small_sq": self._small_sq,
            "count": self._count,
            "g2": self._g2.state_dict(),
            "trace": self._trace.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._sum = None if state["sum"] is None else [t.clone() for t in state["sum"]]
        self._small_sq = float(state["small_sq"])
        self._count = int(state["count"])
        self._g2.load_state_dict(state["g2"])
        self._trace.load_state_dict(state["trace"])
