"""Optimizers by name: torch's, and the self-tuning ones a user would try instead of a schedule."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from torch.optim import Optimizer


@dataclass(frozen=True)
class OptimizerInfo:
    name: str
    module: str
    cls: str
    default_lr: float | None  # None: the caller must give one
    package: str  # pip name, for the error when it is missing
    self_tuning: bool


OPTIMIZERS: dict[str, OptimizerInfo] = {
    info.name: info for info in (
        OptimizerInfo("sgd", "torch.optim", "SGD", None, "torch", False),
        OptimizerInfo("adam", "torch.optim", "Adam", None, "torch", False),
        OptimizerInfo("adamw", "torch.optim", "AdamW", None, "torch", False),
        OptimizerInfo("schedulefree_adamw", "schedulefree", "AdamWScheduleFree", 0.0025, "schedulefree", True),
        OptimizerInfo("schedulefree_sgd", "schedulefree", "SGDScheduleFree", 1.0, "schedulefree", True),
        OptimizerInfo("prodigy", "prodigyopt", "Prodigy", 1.0, "prodigyopt", True),
        OptimizerInfo("dadapt_adam", "dadaptation", "DAdaptAdam", 1.0, "dadaptation", True),
        OptimizerInfo("dadapt_sgd", "dadaptation", "DAdaptSGD", 1.0, "dadaptation", True),
        OptimizerInfo("dog", "dog", "DoG", 1.0, "dog-optimizer", True),
    )
}


def optimizer_class(name: str) -> type[Optimizer]:
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; known: {sorted(OPTIMIZERS)}")
    info = OPTIMIZERS[name]
    try:
        module = importlib.import_module(info.module)
    except ImportError as error:
        raise ModuleNotFoundError(
            f"optimizer {name!r} needs the package {info.package!r}: pip install 'lrlab[optim]'") from error
    return getattr(module, info.cls)


def optimizer_arguments(name: str) -> set[str]:
    """The keyword arguments optimizer ``name`` takes besides ``params`` and ``lr``."""
    return set(inspect.signature(optimizer_class(name).__init__).parameters) - {"self", "params", "lr"}


def make_optimizer(name: str, params: Iterable[Any], *, lr: float | None = None, **kwargs: Any) -> Optimizer:
    """Build optimizer ``name`` over ``params``.

    ``lr`` defaults to the package's recommended value for self-tuning optimizers (1.0 for
    Prodigy, D-Adaptation and DoG, whose ``lr`` is a multiplier on the rate they find) and is
    required for torch's. Unknown keyword arguments raise ``ValueError`` listing the allowed ones.

    Example:
        >>> import torch
        >>> opt = make_optimizer("adam", torch.nn.Linear(2, 1).parameters(), lr=1e-3, weight_decay=1e-4)
        >>> type(opt).__name__
        'Adam'
    """
    cls = optimizer_class(name)
    info = OPTIMIZERS[name]
    lr = info.default_lr if lr is None else lr
    if lr is None:
        raise ValueError(f"optimizer {name!r} needs lr (a float > 0)")
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr!r}")
    allowed = optimizer_arguments(name)
    unknown = set(kwargs) - allowed
    if unknown:
        raise ValueError(f"optimizer {name!r} does not take {sorted(unknown)}; allowed: {sorted(allowed)}")
    return cls(params, lr=lr, **kwargs)
