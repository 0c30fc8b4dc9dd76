"""A user's own task in a plan: ``[[tasks]] source = "my_task.py:make_task"``.

The function takes no arguments and returns what the built-in tasks are made of: the data splits
(:class:`~lrlab.tasks.data.TaskData`), how to build the model, and the metrics — a
:class:`UserTask`. For a loss that is not classification (regression, a language model, ...)
the data's ``objective`` (:class:`~lrlab.tasks.objective.Objective`) says how the model trains and
is judged. A bare ``TaskData`` is taken too: the plan's ``model`` then names one of lrlab's models.

It is called once in the driver when the plan is checked (before any trial), and once in every
trial, in the worker that runs it; it must return the same data on every call, whatever the
trial's seed (split with a fixed seed). The model builder is called after the trial's seed is
set, so the same seed gives the same initial weights.

Example ``my_task.py``::

    import torch
    from torch import nn
    from lrlab.tasks import Split, TaskData, UserTask

    def make_task() -> UserTask:
        g = torch.Generator().manual_seed(0)                  # the same data on every call
        x = torch.randn(600, 8, generator=g)
        y = (x[:, 0] + x[:, 1] > 0).long()
        splits = [Split(x[i:i + 200], y[i:i + 200]) for i in (0, 200, 400)]
        data = TaskData(*splits, num_classes=2, input_shape=(8,))
        return UserTask(data, model=lambda: nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 2)),
                        metrics=("loss", "accuracy", "roc_auc"))
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from lrlab.source import Source, SourceError, load
from lrlab.tasks.data import Split, TaskData
from lrlab.tasks.metrics import METRICS
from lrlab.tasks.models import MODELS, build_task_model

#: The model name a plan gets for a user task with a builder, when it names none.
OWN_MODEL = "own"


@dataclass(frozen=True)
class UserTask:
    """What a user's task function returns.

    Args:
        data: train, validation and test splits (the validation split decides everything, the
            test split is evaluated once and only reported), with ``num_classes`` and
            ``input_shape``; or :class:`~lrlab.tasks.objective.Examples` splits and an
            ``objective``.
        model: builds a fresh model, ``model()`` (or ``model(dropout=p)`` if it takes
            ``dropout``; the plan's ``dropout`` needs that). For classification it maps a batch
            of ``data.train.x`` to ``(batch, num_classes)`` logits. None: one of lrlab's models,
            named by the plan's ``model`` (default ``mlp``), or the objective's ``build_model``.
        metrics: what is reported and may be a target, from ``loss``, ``accuracy``, ``macro_f1``,
            ``roc_auc`` (classification) or the objective's; default: loss, accuracy, macro-F1
            (and ROC-AUC for two classes), or all of the objective's.
        description: one line for reports (default: the function's docstring's first line).
    """

    data: TaskData
    model: Callable[..., nn.Module] | None = None
    metrics: Sequence[str] | None = None
    description: str = ""


@dataclass(frozen=True)
class SourceTask:
    """A user task as the plan and the trial see it: the interface of
    :class:`~lrlab.tasks.registry.Task`, built from what the user's function returned."""

    name: str
    source: Source
    description: str
    default_model: str
    models: tuple[str, ...]
    metrics: tuple[str, ...]
    metric_choices: tuple[str, ...]
    returned: UserTask = field(repr=False)
    takes_pretrained: bool = False
    model_option: str | None = None
    ensure_available: None = None

    @property
    def classification(self) -> bool:
        return self.returned.data.objective is None

    @property
    def builder_takes_dropout(self) -> bool:
        builder = self.returned.model
        return builder is not None and _accepts(builder, "dropout")

    def check_model(self, model: str) -> None:
        if model not in self.models:
            raise ValueError(f"{self.source.where}: model {model!r} is not this task's; it takes "
                             f"{', '.join(self.models)}")

    def check_dropout(self, dropout: float) -> None:
        if dropout and self.returned.model is not None and not self.builder_takes_dropout:
            raise ValueError(f"{self.source.where}: dropout = {dropout:g} is set, but the task's model builder "
                             "takes no 'dropout' argument; give it one, or leave dropout at 0")

    def ensure_for(self, model: str | None = None) -> None:
        self.check_model(model or self.default_model)

    def load_for(self, model: str) -> TaskData:
        self.check_model(model)
        return self.returned.data

    def build_model(self, model: str, data: TaskData, *, dropout: float = 0.0) -> nn.Module:
        """The user's model (``model`` is :data:`OWN_MODEL`) or one of lrlab's, for ``data``."""
        self.check_model(model)
        builder = self.returned.model
        if model == OWN_MODEL and builder is not None:
            built = builder(dropout=dropout) if self.builder_takes_dropout else builder()
            if not isinstance(built, nn.Module):
                raise ValueError(f"{self.source.where}: the model builder returned {type(built).__name__}, "
                                 "not a torch.nn.Module")
            return built
        return build_task_model(model, data, dropout=dropout)


def load_source_task(source: Source) -> SourceTask:
    """Run the user's function and check what it returned; ``SourceError`` in one line naming the
    file and what is wrong (not callable, wrong signature, wrong return type, a model that does
    not fit the data)."""
    function = load(source)
    where = source.where
    if isinstance(function, type):
        raise SourceError(f"{where}: is a class; a task source names a function that returns "
                          "lrlab.tasks.UserTask (a scheduler class goes in [[schedules]])")
    if not callable(function):
        raise SourceError(f"{where}: is a {type(function).__name__}, not a function that returns the task")
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        signature = None
    if signature is not None:
        required = [p.name for p in signature.parameters.values()
                    if p.default is inspect.Parameter.empty
                    and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)]
        if required:
            raise SourceError(f"{where}: a task function takes no arguments; this one needs {required}")
    try:
        returned = function()
    except Exception as error:  # noqa: BLE001 - the user's code raises what it raises
        raise SourceError(f"{where}: calling it raised {type(error).__name__}: {_first_line(error)}") from None
    if isinstance(returned, TaskData):
        returned = UserTask(returned)
    if not isinstance(returned, UserTask):
        raise SourceError(f"{where}: returned {type(returned).__name__}; a task function returns "
                          "lrlab.tasks.UserTask(data, model=..., metrics=...) or a lrlab.tasks.TaskData")
    return _checked(source, returned, function)


def _checked(source: Source, task: UserTask, function: Any) -> SourceTask:
    where = source.where
    data = task.data
    if not isinstance(data, TaskData):
        raise SourceError(f"{where}: UserTask.data is {type(data).__name__}, not a lrlab.tasks.TaskData")
    if task.model is not None and not callable(task.model):
        raise SourceError(f"{where}: UserTask.model is {type(task.model).__name__}, not a function that "
                          "builds the model")
    objective = data.objective
    if objective is None:
        for name in ("train", "val", "test"):
            split = getattr(data, name)
            if not isinstance(split, Split) or len(split) == 0:
                raise SourceError(f"{where}: TaskData.{name} must be a non-empty lrlab.tasks.Split "
                                  f"(tensors x and y), got {type(split).__name__}")
            if split.y.dtype != torch.int64:
                raise SourceError(f"{where}: TaskData.{name}.y must hold int64 class labels, got {split.y.dtype}")
        if not (isinstance(data.num_classes, int) and data.num_classes >= 2):
            raise SourceError(f"{where}: TaskData.num_classes must be an integer >= 2, got {data.num_classes!r}")
        for name in ("train", "val", "test"):
            labels = getattr(data, name).y
            if int(labels.min()) < 0 or int(labels.max()) >= data.num_classes:
                raise SourceError(f"{where}: TaskData.{name}.y has labels outside [0, {data.num_classes}) "
                                  f"(num_classes = {data.num_classes})")
        choices = tuple(METRICS)
        default_metrics = ("loss", "accuracy", "macro_f1") + (("roc_auc",) if data.num_classes == 2 else ())
    else:
        choices = tuple(getattr(objective, "metrics", ()))
        if not choices or choices[0] != "loss":
            raise SourceError(f"{where}: the objective's metrics must list 'loss' first, got {choices}")
        default_metrics = choices
    metrics = tuple(task.metrics) if task.metrics is not None else default_metrics
    unknown = [m for m in metrics if m not in choices]
    if unknown:
        raise SourceError(f"{where}: unknown metric(s) {unknown}; this task may report {list(choices)}")
    if task.model is not None:
        default_model = OWN_MODEL
        models: tuple[str, ...] = (OWN_MODEL,) + (tuple(MODELS) if objective is None else ())
    elif objective is not None:
        default_model = getattr(objective, "default_model", "")
        if not default_model:
            raise SourceError(f"{where}: give UserTask a model builder, or the objective a default_model")
        models = (default_model,)
    else:
        default_model, models = "mlp", tuple(MODELS)
    doc = (inspect.getdoc(function) or "").strip().splitlines()
    description = task.description or (doc[0] if doc else f"a user task ({source.ref})")
    checked = SourceTask(source.ref, source, description, default_model, models, metrics, choices, task)
    if task.model is not None:
        _try_model(checked)
    return checked


def _try_model(task: SourceTask) -> None:
    """Build the user's model once and, for classification, run it on two training examples:
    logits of shape (2, num_classes), or a one-line error naming the file."""
    where = task.source.where
    state = torch.random.get_rng_state()
    try:
        model = task.build_model(OWN_MODEL, task.returned.data)
        data = task.returned.data
        if data.objective is None:
            with torch.no_grad():
                model.eval()
                logits = model(data.train.x[:2])
            if not isinstance(logits, torch.Tensor) or tuple(logits.shape) != (min(2, len(data.train)), data.num_classes):
                shape = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
                raise SourceError(f"{where}: the model maps a batch of 2 training examples to {shape}; "
                                  f"expected logits of shape (2, {data.num_classes})")
    except SourceError:
        raise
    except Exception as error:  # noqa: BLE001 - the user's model raises what it raises
        raise SourceError(f"{where}: building the model or running it on two training examples raised "
                          f"{type(error).__name__}: {_first_line(error)}") from None
    finally:
        torch.random.set_rng_state(state)  # checking must not move anyone's random numbers


def _accepts(function: Callable[..., Any], name: str) -> bool:
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return name in parameters or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else ""
