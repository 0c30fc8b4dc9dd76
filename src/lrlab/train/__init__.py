"""One trial: the training loop, checkpoints, and what it records. Imports tasks and schedulers; never writes the store.

The names below are imported on first use: :mod:`lrlab.train.spec` (plain data) is read by the
store without importing torch.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {"Target": "spec", "TrialResult": "spec", "TrialSpec": "spec", "run_trial": "trial"}
__all__ = ["Target", "TrialResult", "TrialSpec", "run_trial"]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f"lrlab.train.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'lrlab.train' has no attribute {name!r}")
