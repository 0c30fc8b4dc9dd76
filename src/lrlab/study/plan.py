"""Experiment plans: a TOML file, validated with pydantic, frozen by its hash.

A plan says, in the words of the experiment reports, what to compare: the idea and objective,
tasks (data set + model + metrics + convergence target), the schedules (proposed ones and
baselines), optimizer and hyperparameters (shared, or per task), seeds and a budget. It
executes no code, except a user's own task or schedule that the plan's author names with
``source = "path/to/file.py:name"`` (or ``"package.module:name"``): a file path is relative to
the plan's folder; the plan's hash covers the file's content (:mod:`lrlab.source`).
:meth:`Plan.trials` expands it into one :class:`~lrlab.train.spec.TrialSpec` per (task,
schedule, seed).

Example plan::

    name = "entropy-digits"
    idea = "Lower the learning rate while predictions are uncertain."
    seeds = [0, 1, 2]

    [defaults]
    optimizer = "adam"
    lr = 0.001
    epochs = 10

    [[tasks]]
    name = "digits"
    model = "cnn"
    target = { metric = "accuracy", value = 0.95 }

    [[schedules]]
    name = "entropy"
    role = "proposed"
    args = { threshold = 0.5 }

    [[schedules]]
    name = "constant"
    role = "baseline"
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

import torch
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from lrlab.schedulers.optimizers import OPTIMIZERS, make_optimizer, optimizer_class
from lrlab.schedulers.registry import (
    SCHEDULES,
    ScheduleInfo,
    get_schedule,
    schedule_arguments,
)
from lrlab.schedulers.user import SourceSchedule, load_source_schedule
from lrlab.source import Source, resolve, split_ref
from lrlab.tasks.metrics import METRICS, lower_is_better
from lrlab.tasks.models import MODELS
from lrlab.tasks.registry import TASKS, Task, get_task
from lrlab.tasks.user import SourceTask, load_source_task
from lrlab.train.spec import Target, TrialSpec


class PlanError(ValueError):
    """A plan that cannot be used; the message is one line naming the file and the field."""


# TOML has types: a number is not a boolean (``lr = true`` is not 1.0), a count is not a float,
# and no number here may be inf or nan.
Real = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Count = Annotated[int, Field(strict=True)]
Flag = Annotated[bool, Field(strict=True)]
Seed = Annotated[int, Field(strict=True, ge=0, lt=2**32)]


def _distinct_seeds(seeds: list[int]) -> list[int]:
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {seeds}")
    return seeds


def _folder_safe(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        raise ValueError("must be a folder-safe name: letters, digits, '-', '_', '.'")
    return name


#: A plan's name, which names its output folder.
FolderName = Annotated[str, AfterValidator(_folder_safe)]

#: A list of seeds, each at most once (its length is each field's own).
Seeds = Annotated[list[Seed], AfterValidator(_distinct_seeds)]

#: What is sane; beyond these a plan is a typo (``epochs = 10**12``), not an experiment.
MAX_LR = 1000.0
MAX_EPOCHS = 100_000
MAX_BATCH = 2**24
MAX_SECONDS = 366 * 24 * 3600.0
MAX_SEEDS = 1000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Hyperparameters(_Strict):
    """Training settings shared by all tasks (``[defaults]``) or overriding them (``hparams``)."""

    optimizer: str = "adam"
    optimizer_args: dict[str, Any] = Field(default_factory=dict)
    lr: Real = Field(1e-3, gt=0, le=MAX_LR)
    batch_size: Count = Field(64, ge=1, le=MAX_BATCH)
    epochs: Count = Field(10, ge=1, le=MAX_EPOCHS)
    weight_decay: Real = Field(0.0, ge=0, le=10)
    dropout: Real = Field(0.0, ge=0, lt=1)
    augmentation: Flag = False
    class_balancing: Flag = False
    warmup_steps: Count = Field(0, ge=0, le=10**9)
    accumulate: Count = Field(1, ge=1, le=4096)
    early_stopping_patience: Count = Field(0, ge=0, le=MAX_EPOCHS)
    max_seconds: Real | None = Field(None, gt=0, le=MAX_SECONDS)

    @field_validator("optimizer")
    @classmethod
    def _known_optimizer(cls, name: str) -> str:
        if name not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {name!r}; known: {sorted(OPTIMIZERS)}")
        return name


class TargetEntry(_Strict):
    """Reach ``metric`` >= ``value`` (``max``) or <= ``value`` (``min``) on the validation split."""

    metric: str
    value: Annotated[float, Field(strict=True)]
    mode: Literal["min", "max"] | None = None  # default: "min" for losses, else "max"

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    def to_target(self) -> Target:
        return Target(self.metric, self.value, self.mode or ("min" if lower_is_better(self.metric) else "max"))


def _task_of(info: ValidationInfo) -> Task | None:
    """The task of the entry being validated, if its name was valid (None for a user's own)."""
    name = info.data.get("name")
    return TASKS.get(name) if isinstance(name, str) and info.data.get("source") is None else None


def _from_source(data: Any) -> Any:
    """An entry with ``source`` is named by it; its label defaults to the function's or class's name."""
    if isinstance(data, dict) and data.get("source") is not None:
        if data.get("name") not in (None, data["source"]):  # (a stored plan has both, equal)
            raise ValueError("give either name (one of lrlab's) or source (your own), not both")
        _, attribute = split_ref(data["source"])
        data = {**data, "name": data["source"], "label": data.get("label") or attribute.rsplit(".", 1)[-1]}
    return data


def _resolve_source(ref: str, info: ValidationInfo) -> Source:
    """Read the file of ``ref`` (relative to the plan's folder, given as context ``base``)."""
    return resolve(ref, (info.context or {}).get("base"))


def _check_metric(name: str, task: Task | None) -> None:
    choices = task.metric_choices if task is not None else tuple(METRICS)
    if name not in choices:
        raise ValueError(f"unknown metric {name!r}" + (f" for task {task.name!r}" if task else "")
                         + f"; known: {list(choices)}")


class TaskEntry(_Strict):
    #: Your own task: ``"path/to/file.py:function"`` or ``"package.module:function"`` (it runs your
    #: code; see :mod:`lrlab.tasks.user`). Then ``name`` is that reference.
    source: str | None = None
    name: str
    label: str | None = None
    model: str | None = None
    metrics: list[str] | None = None
    target: TargetEntry | None = None
    hparams: dict[str, Any] = Field(default_factory=dict)
    #: The smallest difference in the primary metric worth detecting (its units); default 0.02
    #: for metrics in [0, 1] where higher is better (two points of accuracy), else none.
    smallest_effect: Annotated[float, Field(strict=True)] | None = Field(None, gt=0)

    @field_validator("smallest_effect")
    @classmethod
    def _finite_effect(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    _source: Source | None = PrivateAttr(None)
    _task: SourceTask | None = PrivateAttr(None)

    @model_validator(mode="before")
    @classmethod
    def _named_by_source(cls, data: Any) -> Any:
        return _from_source(data)

    @field_validator("name")
    @classmethod
    def _known_task(cls, name: str, info: ValidationInfo) -> str:
        if info.data.get("source") is None and name not in TASKS:
            raise ValueError(f"unknown task {name!r}; known: {sorted(TASKS)} "
                             "(or your own: source = \"my_task.py:make_task\")")
        return name

    # Fields are validated in order: ``source`` and ``name`` (a known task) are in ``info.data``
    # for the others. A user's task is checked once loaded (:meth:`Plan.check_sources`).
    @field_validator("model")
    @classmethod
    def _known_model(cls, name: str | None, info: ValidationInfo) -> str | None:
        task = _task_of(info)
        if info.data.get("source") is not None:
            return name
        if name is not None and name not in MODELS and (task is None or not task.takes_pretrained):
            raise ValueError(f"unknown model {name!r}; known: {sorted(MODELS)}"
                             + ("" if task is None else f" (task {task.name!r} takes no Hugging Face model)"))
        return name

    @field_validator("metrics")
    @classmethod
    def _known_metrics(cls, names: list[str] | None, info: ValidationInfo) -> list[str] | None:
        for name in names or []:
            if info.data.get("source") is None:
                _check_metric(name, _task_of(info))
        return names

    @field_validator("target")
    @classmethod
    def _known_target_metric(cls, target: TargetEntry | None, info: ValidationInfo) -> TargetEntry | None:
        if target is not None and info.data.get("source") is None:
            _check_metric(target.metric, _task_of(info))
        return target

    @model_validator(mode="after")
    def _read_source(self, info: ValidationInfo) -> TaskEntry:
        if self.source is not None:
            self._source = _resolve_source(self.source, info)
        return self

    @property
    def key(self) -> str:
        return self.label or self.name

    @property
    def resolved_source(self) -> Source | None:
        """The user's source as read when the plan was validated (None for a registered task)."""
        return self._source

    def task(self) -> Task | SourceTask:
        """The registered task, or the user's (its function runs once, here, the first time)."""
        if self._source is None:
            return get_task(self.name)
        if self._task is None:
            self._task = load_source_task(self._source)
        return self._task

    def resolved_model(self) -> str:
        return self.model or self.task().default_model

    def resolved_metrics(self) -> tuple[str, ...]:
        task = self.task()
        always = ["loss", "accuracy"] if task.classification else ["loss"]  # accuracy where it applies
        return tuple(dict.fromkeys([*always, *(self.metrics or task.metrics)]))


class ScheduleEntry(_Strict):
    #: Your own schedule: ``"path/to/file.py:MyScheduler"`` or ``"package.module:MyScheduler"``, an
    #: ``LRScheduler`` subclass (it runs your code; see :mod:`lrlab.schedulers.user`).
    source: str | None = None
    name: str
    label: str | None = None
    role: Literal["proposed", "baseline"]
    args: dict[str, Any] = Field(default_factory=dict)

    _source: Source | None = PrivateAttr(None)
    _info: SourceSchedule | None = PrivateAttr(None)

    @model_validator(mode="before")
    @classmethod
    def _named_by_source(cls, data: Any) -> Any:
        return _from_source(data)

    @field_validator("name")
    @classmethod
    def _known_schedule(cls, name: str, info: ValidationInfo) -> str:
        if info.data.get("source") is None and name not in SCHEDULES:
            raise ValueError(f"unknown schedule {name!r}; known: {sorted(SCHEDULES)} "
                             "(or your own: source = \"my_schedule.py:MyScheduler\")")
        return name

    @model_validator(mode="after")
    def _known_args(self, info: ValidationInfo) -> ScheduleEntry:
        if self.source is not None:  # the class's own arguments are checked once it is loaded
            self._source = _resolve_source(self.source, info)
            return self
        unknown = set(self.args) - schedule_arguments(self.name)
        if unknown:
            raise ValueError(f"schedule {self.name!r} does not take {sorted(unknown)}; "
                             f"allowed: {sorted(schedule_arguments(self.name)) or 'none'}")
        return self

    @property
    def key(self) -> str:
        return self.label or self.name

    @property
    def resolved_source(self) -> Source | None:
        """The user's source as read when the plan was validated (None for a registered schedule)."""
        return self._source

    @property
    def is_optimizer(self) -> bool:
        """A self-tuning optimizer entry (never a user's schedule); known without running any code."""
        return self._source is None and get_schedule(self.name).kind == "optimizer"

    def info(self) -> ScheduleInfo | SourceSchedule:
        """The registry's entry, or the user's class (loaded once, here, the first time). Either has
        ``kind``, ``needs``, ``space``, ``arguments()``, ``defaults()`` and ``build(optimizer, ...)``."""
        if self._source is None:
            return get_schedule(self.name)
        if self._info is None:
            self._info = load_source_schedule(self._source)
        return self._info


class Budget(_Strict):
    """Limits: per trial (wall seconds, stops at the end of an epoch) and for the whole study."""

    max_trial_seconds: Real | None = Field(None, gt=0, le=MAX_SECONDS)
    max_study_seconds: Real | None = Field(None, gt=0, le=MAX_SECONDS)


class ExecutorSettings(_Strict):
    """Resources of each trial and where trial folders live (``[executor]``); optional.

    ``cpus_per_trial`` (> 0, default 1): CPUs Ray reserves for a trial; under either executor a
    trial also trains on that many torch threads (whole CPUs, at least one), so both executors
    give the same numbers. ``gpus_per_trial`` (>= 0, default 0): GPUs Ray reserves for a trial (a
    fraction shares one); the local pool ignores it. ``storage``: a filesystem folder that every
    machine running trials can see (a shared mount such as NFS), under which each trial keeps its
    folder and checkpoint (``<storage>/<plan name>-<plan hash>/trials/<trial id>``); default: the
    study folder. Object-store URIs (``s3://``, ``gs://``) are not supported.
    ``precision``: ``auto`` (default: bf16 autocast on a CUDA device, fp32 on the CPU), ``bf16``
    or ``fp32``; an explicit one is part of each trial's identity. ``loader_workers`` (>= 0):
    DataLoader worker processes of the tasks read through a loader (``squad_v2``,
    ``librispeech``); default 4 on CUDA (at most the CPUs less one), 0 on the CPU. Example::

        [executor]
        cpus_per_trial = 2
        gpus_per_trial = 0.5
        storage = "/mnt/shared/lrlab"
        precision = "bf16"
    """

    cpus_per_trial: Real = Field(1.0, gt=0, le=1024)
    gpus_per_trial: Real = Field(0.0, ge=0, le=64)
    storage: str | None = None
    precision: Literal["auto", "bf16", "fp32"] = "auto"
    loader_workers: Count | None = Field(None, ge=0, le=256)

    @field_validator("storage")
    @classmethod
    def _filesystem_path(cls, storage: str | None) -> str | None:
        if storage is not None and (not storage.strip() or "://" in storage):
            raise ValueError("must be a filesystem folder (e.g. a shared mount such as /mnt/shared/lrlab); "
                             "object-store URIs (s3://, gs://) are not supported")
        return storage

    @property
    def threads(self) -> int:
        return max(1, int(self.cpus_per_trial))


class SourceReport(_Strict):
    """The experiment report a plan was read from (``lrlab plan REPORT``), kept for the comparison
    of its claimed results with the measured ones. Informational: it changes no trial."""

    path: str = ""
    title: str = ""
    claimed_results: dict[str, Any] = Field(default_factory=dict)
    claimed_benchmark: dict[str, Any] = Field(default_factory=dict)
    budget: Literal["quick", "full"] | None = None
    notes: list[str] = Field(default_factory=list)  # mapping decisions and what could not be mapped


class Halving(_Strict):
    """Successive halving (``[tuning.halving]``): every configuration trains ``epochs / eta^(rungs-1)``
    epochs first; the best ``1/eta`` (by the tuning objective) go on to ``eta`` times as many, and so
    on; the last rung trains the full budget. Rungs are whole trials, each from scratch."""

    rungs: Count = Field(3, ge=2, le=6)
    eta: Count = Field(2, ge=2, le=8)


class Tuning(_Strict):
    """The tuning protocol (``[tuning]``), AlgoPerf's external tuning as the model.

    Every schedule gets the same budget of ``trials`` configurations on every task, drawn before
    any trial runs from a scrambled Halton sequence (seed ``sequence_seed``): the rate on a log
    range (``lr``; default: each task's plan rate / 10 to x 10) and the schedule's own arguments
    over its default search space (``lrlab schedules --space``), which ``space`` may narrow or
    replace per schedule label. Configurations train on the tuning ``seeds``; the one with the best
    mean ``objective`` (``final``: the validation primary metric at the end; ``time_to_target``:
    epochs to the target, never reached counting last, ties broken by the final metric) is then
    trained on the plan's evaluation ``seeds``, which must be different seeds. Self-tuning
    optimizers are not tuned (AlgoPerf's self-tuning track): both tracks run them as given.

    Example::

        [tuning]
        trials = 8
        seeds = [100]
        lr = [1e-4, 3e-2]
        space = { entropy = { threshold = [0.4, 0.8] }, plateau = {} }   # {}: the rate only
    """

    trials: Count = Field(ge=1, le=1000)
    seeds: Seeds = Field(default_factory=lambda: [1000], min_length=1, max_length=MAX_SEEDS)
    objective: Literal["final", "time_to_target"] = "final"
    sequence_seed: Seed = 0
    lr: tuple[Real, Real] | None = None
    space: dict[str, dict[str, Any]] = Field(default_factory=dict)
    halving: Halving | None = None

    @field_validator("lr")
    @classmethod
    def _rate_range(cls, lr: tuple[float, float] | None) -> tuple[float, float] | None:
        if lr is not None:
            low, high = lr
            if not (math.isfinite(low) and math.isfinite(high) and 0 < low < high <= MAX_LR):
                raise ValueError(f"must be [low, high] with 0 < low < high <= {MAX_LR:g}, got [{low:g}, {high:g}]")
        return lr


class Plan(_Strict):
    name: FolderName
    title: str = ""
    idea: str = ""
    objective: str = ""
    methodology: str = ""
    seeds: Seeds = Field(default_factory=lambda: [0, 1, 2], min_length=1, max_length=MAX_SEEDS)
    defaults: Hyperparameters = Field(default_factory=Hyperparameters)
    tasks: list[TaskEntry] = Field(min_length=1)
    schedules: list[ScheduleEntry] = Field(min_length=2)
    budget: Budget = Field(default_factory=Budget)
    source: SourceReport | None = None
    executor: ExecutorSettings | None = None
    tuning: Tuning | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Plan:
        for what, keys in (("task", [t.key for t in self.tasks]), ("schedule", [s.key for s in self.schedules])):
            duplicates = sorted({k for k in keys if keys.count(k) > 1})
            if duplicates:
                raise ValueError(f"{what} labels must be unique; repeated: {duplicates} (set 'label')")
        roles = {s.role for s in self.schedules}
        if roles != {"proposed", "baseline"}:
            raise ValueError("schedules need at least one role = 'proposed' and one role = 'baseline'")
        for task in self.tasks:
            self.hparams_for(task)  # overrides must validate too
        if self.tuning is not None:
            overlap = sorted(set(self.tuning.seeds) & set(self.seeds))
            if overlap:
                raise ValueError(f"tuning.seeds must be disjoint from the evaluation seeds (seeds); both have "
                                 f"{overlap}: a configuration must be judged on seeds it was not chosen on")
            if self.tuning.objective == "time_to_target":
                untargeted = [t.key for t in self.tasks if t.target is None]
                if untargeted:
                    raise ValueError(f"tuning.objective: 'time_to_target' needs a target on every task; "
                                     f"{untargeted} have none")
            labels = {s.key: s for s in self.schedules}
            for label in self.tuning.space:
                if label not in labels:
                    raise ValueError(f"tuning.space.{label}: no schedule has this label; "
                                     f"labels: {sorted(labels)}")
                if labels[label].is_optimizer:
                    raise ValueError(f"tuning.space.{label}: {labels[label].name!r} is a self-tuning optimizer; "
                                     "it is not tuned (both tracks run it as given)")
        return self

    def hparams_for(self, task: TaskEntry) -> Hyperparameters:
        merged = {**self.defaults.model_dump(), **task.hparams}
        if self.budget.max_trial_seconds is not None and merged.get("max_seconds") is None:
            merged["max_seconds"] = self.budget.max_trial_seconds
        try:
            return Hyperparameters(**merged)
        except ValidationError as error:
            raise ValueError(f"task {task.key!r} hparams: {first_error(error)}") from None

    def role_of(self, schedule_label: str) -> str:
        return next(s.role for s in self.schedules if s.key == schedule_label)

    def trials(self, device: str = "cpu") -> list[TrialSpec]:
        """Every trial of the plan's settings (the *as given* track), task by task, schedule by
        schedule, seed by seed. A plan with ``[tuning]`` has more: see :mod:`lrlab.study.tuning`."""
        return [self.spec(task, schedule, seed, device=device)
                for task in self.tasks for schedule in self.schedules for seed in self.seeds]

    def spec(self, task: TaskEntry, schedule: ScheduleEntry, seed: int, *, device: str = "cpu",
             lr: float | None = None, args: dict[str, Any] | None = None, epochs: int | None = None,
             phase: str = "") -> TrialSpec:
        """One trial: ``task`` x ``schedule`` on ``seed`` with the plan's settings, or with a tuned
        rate ``lr``, schedule ``args`` (merged over the plan's) and ``epochs`` (a halving rung)."""
        hp = self.hparams_for(task)
        self_tuning = schedule.is_optimizer
        merged = {**schedule.args, **(args or {})}
        task_source, schedule_source = task.resolved_source, schedule.resolved_source
        return TrialSpec(
            task=task.name, model=task.resolved_model(), metrics=task.resolved_metrics(),
            schedule=schedule.name, schedule_label=schedule.key, seed=seed,
            # A self-tuning optimizer replaces the plan's optimizer; its args configure it.
            schedule_args={} if self_tuning else merged,
            optimizer=schedule.name if self_tuning else hp.optimizer,
            optimizer_args=merged if self_tuning else dict(hp.optimizer_args),
            lr=None if self_tuning else (lr if lr is not None else hp.lr), batch_size=hp.batch_size,
            epochs=epochs or hp.epochs, weight_decay=hp.weight_decay, dropout=hp.dropout,
            augmentation=hp.augmentation, class_balancing=hp.class_balancing, warmup_steps=hp.warmup_steps,
            accumulate=hp.accumulate, early_stopping_patience=hp.early_stopping_patience,
            target=task.target.to_target() if task.target else None,
            max_seconds=hp.max_seconds, device=device, task_label=task.key,
            precision=self.resources.precision, loader_workers=self.resources.loader_workers, phase=phase,
            task_source=task_source.to_dict() if task_source else None,
            schedule_source=schedule_source.to_dict() if schedule_source else None)

    def task_entry(self, key: str) -> TaskEntry:
        return next(t for t in self.tasks if t.key == key)

    def schedule_entry(self, key: str) -> ScheduleEntry:
        return next(s for s in self.schedules if s.key == key)

    @property
    def resources(self) -> ExecutorSettings:
        """The ``[executor]`` section, or its defaults when the plan has none."""
        return self.executor or ExecutorSettings()

    @property
    def hash(self) -> str:
        """Frozen identity of the study. With ``[tuning]`` it also covers the search spaces as this
        version of lrlab resolves them, so the same plan under changed default spaces is a new study."""
        # A plan without an [executor] or [tuning] section hashes as before those sections existed.
        exclude = {name for name in ("executor", "tuning") if getattr(self, name) is None}
        data = self.model_dump(mode="json", exclude=exclude or None)
        if self.tuning is not None:
            from lrlab.study.tuning import resolved_spaces

            data["resolved_spaces"] = resolved_spaces(self)
        for key in ("tasks", "schedules"):  # entries without a source hash as before sources existed
            for entry in data[key]:
                if entry.get("source") is None:
                    entry.pop("source", None)
        sources = self.sources()
        if sources:  # a changed file is a new study (plans without sources keep their hash)
            data["source_sha256"] = {ref: source.sha256 for ref, source in sources.items()}
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def sources(self) -> dict[str, Source]:
        """The user's sources the plan names (``source = ...``), by reference, as read."""
        entries = [*self.tasks, *self.schedules]
        return {e.source: e.resolved_source for e in entries if e.source is not None and e.resolved_source}

    def check_sources(self) -> None:
        """Run the user's own tasks and schedules once and check them against the plan (the model it
        names, its metrics and target, dropout; a schedule's arguments are built by
        :meth:`check_schedules`): a one-line error naming the file, before any trial runs."""
        for task in self.tasks:
            if task.source is None:
                continue
            loaded = task.task()
            assert isinstance(loaded, SourceTask)
            where = f"tasks[{task.key}]"
            if task.model is not None:
                try:
                    loaded.check_model(task.model)
                except ValueError as error:
                    raise ValueError(f"{where}.model: {error}") from None
            for metric in [*(task.metrics or []), *([task.target.metric] if task.target else [])]:
                if metric not in loaded.metric_choices:
                    raise ValueError(f"{where}: unknown metric {metric!r} for {loaded.source.where}; "
                                     f"known: {list(loaded.metric_choices)}")
            try:
                loaded.check_dropout(self.hparams_for(task).dropout)
            except ValueError as error:
                raise ValueError(f"{where}.hparams: {error}") from None
        for schedule in self.schedules:
            if schedule.source is not None:
                schedule.info()

    def check_schedules(self) -> None:
        """Build every schedule and optimizer once on a throw-away parameter, with each argument
        of the type of its default, so bad values fail before training."""
        for schedule in self.schedules:
            where = f"schedules[{schedule.key}].args"
            if schedule.source is not None:  # a user's class: its defaults' types, and built once
                info = schedule.info()
                warm = [t.key for t in self.tasks if self.hparams_for(t).warmup_steps]
                if warm and not info.takes("warmup_steps"):
                    raise ValueError(f"schedules[{schedule.key}]: {info.source.where} takes no warmup_steps, but "
                                     f"the plan sets them for {warm}; give the class a warmup_steps argument")
                _check_types(where, schedule.args, info.defaults())
                opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=self.defaults.lr, momentum=0.9)
                _try(where, lambda i=info, s=schedule, o=opt: i.build(o, total_steps=100, **s.args))
                continue
            if get_schedule(schedule.name).kind == "optimizer":
                warm = [t.key for t in self.tasks if self.hparams_for(t).warmup_steps]
                if warm:
                    raise ValueError(f"schedules[{schedule.key}]: a self-tuning optimizer takes no plan "
                                     f"warmup_steps (set for {warm}); give it its own in args, if it has one")
                _check_types(where, schedule.args, schedule.info().defaults())
                _try(where, lambda s=schedule: make_optimizer(s.name, [torch.zeros(1, requires_grad=True)], **s.args))
                continue
            _check_types(where, schedule.args, schedule.info().defaults())
            opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=self.defaults.lr, momentum=0.9)
            _try(where, lambda s=schedule, o=opt: s.info().build(o, total_steps=100, **s.args))
        for task in self.tasks:  # the optimizer each task's trials build, with its optimizer_args
            hp = self.hparams_for(task)
            where = "defaults" if hp.optimizer_args == self.defaults.optimizer_args else f"tasks[{task.key}].hparams"
            _check_types(f"{where}.optimizer_args", hp.optimizer_args, _optimizer_defaults(hp.optimizer))
            _try(f"{where}.optimizer_args", lambda h=hp: make_optimizer(
                h.optimizer, [torch.zeros(1, requires_grad=True)], lr=h.lr, weight_decay=h.weight_decay,
                **h.optimizer_args))
        if self.tuning is not None:
            from lrlab.study.tuning import check_spaces

            check_spaces(self)


def _optimizer_defaults(name: str) -> dict[str, Any]:
    signature = inspect.signature(optimizer_class(name).__init__)
    return {p.name: p.default for p in signature.parameters.values() if p.default is not inspect.Parameter.empty}


def _check_types(where: str, args: dict[str, Any], defaults: dict[str, Any]) -> None:
    """Each argument of the kind of its default: a number (finite, not a boolean) where the default
    is a number, true/false where it is a flag, text where it is text, a list of numbers for a pair."""
    for name, value in args.items():
        default = defaults.get(name)
        if isinstance(default, bool):
            ok, expected = isinstance(value, bool), "true or false"
        elif isinstance(default, int | float):
            infinite_default = isinstance(default, float) and math.isinf(default)  # growth_rate = inf: no limit
            ok = _is_number(value) and (math.isfinite(value) or infinite_default)
            expected = "a finite number" if not infinite_default else "a number"
        elif isinstance(default, str):
            ok, expected = isinstance(value, str), "a string"
        elif isinstance(default, tuple | list):
            ok = isinstance(value, list) and len(value) == len(default) and all(
                _is_number(v) and math.isfinite(v) for v in value)
            expected = f"a list of {len(default)} finite numbers"
        else:  # no default to go by: the constructor judges; only non-finite numbers and tables are out
            ok = not isinstance(value, dict) and not (_is_number(value) and not math.isfinite(value))
            expected = "a finite number, a string or a list"
        if not ok:
            raise ValueError(f"{where}.{name}: must be {expected}, got {value!r}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _try(where: str, build: Any) -> None:
    """Build a schedule or optimizer; whatever its constructor raises is one line naming ``where``."""
    try:
        build()
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where}: {error}") from None
    except Exception as error:  # noqa: BLE001 - a constructor's own checks raise what they raise
        raise ValueError(f"{where}: {type(error).__name__}: {error}") from None


def first_error(error: ValidationError) -> str:
    """A pydantic error as one line: the field's path, the message, and what was given."""
    first = error.errors()[0]
    loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"]).lstrip(".")
    message = first["msg"].removeprefix("Value error, ")
    got = first.get("input")
    shown = "" if isinstance(got, dict | list) or first["type"] == "missing" else f" (got {got!r})"
    return f"{loc}: {message}{shown}" if loc else f"{message}{shown}"


def parse_plan(text: str, source: str = "<plan>", base: str | Path | None = None) -> Plan:
    """Validate TOML text as a plan; errors are :class:`PlanError` naming ``source`` and the field.

    ``base``: the folder that a user's ``source = "file.py:name"`` is relative to (default: the
    plan file's folder where ``source`` is a file, else the working directory). The user's own
    tasks and schedules are run and checked here, before any trial.
    """
    if base is None:
        base = Path(source).parent if Path(source).is_file() else Path.cwd()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PlanError(f"{source}: not valid TOML: {error}") from None
    except RecursionError:
        raise PlanError(f"{source}: nested too deeply (arrays or tables inside each other beyond what a "
                        "plan needs)") from None
    try:
        plan = Plan.model_validate(data, context={"base": Path(base).resolve()})
        plan.check_sources()
        plan.check_schedules()
    except ValidationError as error:
        raise PlanError(f"{source}: {first_error(error)}") from None
    except ValueError as error:
        raise PlanError(f"{source}: {error}") from None
    return plan


def load_plan(path: str | Path) -> Plan:
    """Read and validate a plan file."""
    path = Path(path)
    if not path.is_file():
        raise PlanError(f"{path}: no such plan file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise PlanError(f"{path}: not UTF-8 text (byte 0x{error.object[error.start]:02x} at offset {error.start}); "
                        "a plan is a TOML file, which is UTF-8") from None
    except OSError as error:
        raise PlanError(f"{path}: cannot be read ({error.strerror})") from None
    return parse_plan(text, str(path))
