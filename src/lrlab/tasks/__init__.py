"""Workloads for the harness: data with fixed splits, models by name, metrics by name.

This package knows nothing of schedulers, studies or stores.

Example:
    >>> from lrlab.tasks import build_model, compute_metrics, get_task
    >>> task = get_task("digits")
    >>> data = task.load()
    >>> model = build_model(task.default_model, data.input_shape, data.num_classes)
    >>> metrics = compute_metrics(model(data.val.x), data.val.y, task.metrics)
    >>> sorted(metrics)
    ['accuracy', 'loss', 'macro_f1']
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# Imported on first use: listing the tasks (``lrlab tasks``) needs no torch.
_WHERE = {"Split": "data", "TaskData": "data", "compute_metrics": "metrics", "build_model": "models",
          "build_task_model": "models", "list_models": "models", "Task": "registry",
          "ensure_tasks_available": "registry", "get_task": "registry", "list_tasks": "registry",
          "UserTask": "user"}

__all__ = [
    "Split",
    "Task",
    "TaskData",
    "UserTask",
    "build_model",
    "build_task_model",
    "compute_metrics",
    "ensure_tasks_available",
    "get_task",
    "list_models",
    "list_tasks",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f"lrlab.tasks.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'lrlab.tasks' has no attribute {name!r}")
