"""Studies: plans, trials, executors and the results store. Imports train; only the driver writes the store.

The names below are imported on first use, so that reading a store (``lrlab status``, ``lrlab ls``)
does not import torch.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {"Plan": "plan", "PlanError": "plan", "load_plan": "plan", "parse_plan": "plan",
          "StudyOutcome": "runner", "run_plan_file": "runner", "run_study": "runner", "Store": "store"}
__all__ = ["Plan", "PlanError", "Store", "StudyOutcome", "load_plan", "parse_plan", "run_plan_file", "run_study"]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f"lrlab.study.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'lrlab.study' has no attribute {name!r}")
