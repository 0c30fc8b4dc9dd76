"""The tasks by name: what data, which models make sense, which metrics to report.

Adding a task is a loader function in its own file and one entry in ``TASKS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lrlab.tasks.data import TaskData
from lrlab.tasks.metrics import METRICS
from lrlab.tasks.mnist1d import load_mnist1d
from lrlab.tasks.models import MODELS
from lrlab.tasks.sklearn_sets import load_breast_cancer_task, load_digits_task, load_wine_task


@dataclass(frozen=True)
class Task:
    """A workload: a data set with deterministic splits, the models that fit it, its metrics.

    Args:
        name: registry name, e.g. ``"digits"``.
        description: one line saying what the data are.
        default_model: the model a plan gets when it names none; one of ``models``.
        models: names of registered models that make sense on this data.
        metrics: names of the metrics reported for it (``roc_auc`` for binary tasks).
        load: returns the :class:`TaskData`; the same tensors on every call, whatever the
            training seed.

    Example:
        >>> task = get_task("wine")
        >>> data = task.load()
        >>> data.num_classes, data.input_shape
        (3, (13,))
    """

    name: str
    description: str
    default_model: str
    models: tuple[str, ...]
    metrics: tuple[str, ...]
    load: Callable[[], TaskData]

    def __post_init__(self) -> None:
        unknown_models = [m for m in self.models if m not in MODELS]
        if unknown_models or self.default_model not in self.models:
            raise ValueError(
                f"task {self.name!r}: models {self.models} must be registered models and "
                f"include default_model {self.default_model!r}; known models: {sorted(MODELS)}"
            )
        unknown_metrics = [m for m in self.metrics if m not in METRICS]
        if unknown_metrics:
            raise ValueError(
                f"task {self.name!r}: unknown metrics {unknown_metrics}; allowed: {list(METRICS)}"
            )


TASKS: dict[str, Task] = {
    task.name: task
    for task in (
        Task(
            name="mnist1d",
            description="MNIST-1D: 40-sample 1-D signals of 10 digits (Greydanus 2020), "
            "3200 train / 800 val / 1000 test",
            default_model="cnn1d",
            models=("cnn1d", "mlp", "gru_attention", "lstm_attention"),
            metrics=("loss", "accuracy", "macro_f1"),
            load=load_mnist1d,
        ),
        Task(
            name="digits",
            description="scikit-learn digits: 8x8 grey images of 10 digits, 1797 examples, "
            "stratified 60/20/20",
            default_model="cnn",
            models=("cnn", "resnet_small", "mlp", "resnet18"),
            metrics=("loss", "accuracy", "macro_f1"),
            load=load_digits_task,
        ),
        Task(
            name="breast_cancer",
            description="scikit-learn breast cancer (Wisconsin): 30 features, 2 classes, "
            "569 examples, stratified 60/20/20, standardised on train",
            default_model="fcnn",
            models=("fcnn", "mlp"),
            metrics=("loss", "accuracy", "macro_f1", "roc_auc"),
            load=load_breast_cancer_task,
        ),
        Task(
            name="wine",
            description="scikit-learn wine: 13 features, 3 classes, 178 examples, "
            "stratified 60/20/20, standardised on train",
            default_model="fcnn",
            models=("fcnn", "mlp"),
            metrics=("loss", "accuracy", "macro_f1"),
            load=load_wine_task,
        ),
    )
}


def list_tasks() -> list[str]:
    """Names of all registered tasks, sorted."""
    return sorted(TASKS)


def get_task(name: str) -> Task:
    """The task registered as ``name``; ``ValueError`` naming the known tasks otherwise."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; known tasks: {', '.join(list_tasks())}")
    return TASKS[name]
