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

from lrlab.tasks.data import Split, TaskData
from lrlab.tasks.metrics import compute_metrics
from lrlab.tasks.models import build_model, build_task_model, list_models
from lrlab.tasks.registry import Task, ensure_tasks_available, get_task, list_tasks
from lrlab.tasks.user import UserTask

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
