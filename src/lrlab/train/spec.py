"""What one trial is (:class:`TrialSpec`) and what it leaves behind (:class:`TrialResult`).

This is the contract between :mod:`lrlab.train` (which runs a trial) and :mod:`lrlab.study`
(which expands plans into specs, runs them and stores results). Everything here is plain data:
it pickles to worker processes and serialises to JSON for the store.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["completed", "diverged", "failed"]


@dataclass(frozen=True)
class Target:
    """A convergence target on the *validation* split, e.g. accuracy >= 0.9 or loss <= 0.3."""

    metric: str
    value: float
    mode: Literal["min", "max"]

    def reached(self, metrics: dict[str, float]) -> bool:
        value = metrics.get(self.metric)
        if value is None or value != value:  # missing or NaN
            return False
        return value <= self.value if self.mode == "min" else value >= self.value


@dataclass(frozen=True)
class TrialSpec:
    """One training run. Its id is a hash of every field that can change its numbers.

    ``schedule`` is a registry name; ``schedule_label`` (and ``task_label``) tell two
    configurations of the same schedule (task) apart in a study. For a self-tuning optimizer entry, ``optimizer`` is that
    optimizer and ``lr`` is None (the package's default). ``device`` is not part of the id (see
    :meth:`identity`).
    """

    task: str
    model: str
    metrics: tuple[str, ...]
    schedule: str
    schedule_label: str
    seed: int
    schedule_args: dict[str, Any] = field(default_factory=dict)
    optimizer: str = "adam"
    optimizer_args: dict[str, Any] = field(default_factory=dict)
    lr: float | None = 1e-3
    batch_size: int = 64
    epochs: int = 10
    weight_decay: float = 0.0
    dropout: float = 0.0
    augmentation: bool = False
    class_balancing: bool = False
    warmup_steps: int = 0
    accumulate: int = 1
    early_stopping_patience: int = 0  # evaluations without improvement; 0 = off
    target: Target | None = None
    max_seconds: float | None = None  # wall-clock budget of the trial; None = none
    task_label: str = ""  # tells two entries of the same task apart in a study; "" = task
    device: str = "cpu"
    precision: Literal["auto", "bf16", "fp32"] = "auto"  # auto: bf16 autocast on CUDA, fp32 on CPU
    loader_workers: int | None = None  # DataLoader workers of Examples tasks; None: 4 on CUDA, 0 on CPU
    phase: str = ""  # "" (the plan's settings), "tuning" or "tuned" (evaluation of a tuned configuration)
    #: A user's own task / schedule (``source = ...`` in the plan): :meth:`lrlab.source.Source.to_dict`,
    #: the file's text included, so that a worker anywhere (a Ray node) runs the very code that was
    #: hashed. None: ``task`` / ``schedule`` is a registry name.
    task_source: dict[str, str] | None = None
    schedule_source: dict[str, str] | None = None

    def identity(self) -> dict[str, Any]:
        """The fields that make the trial: not where it runs (``device``, ``loader_workers``), nor
        ``precision`` left to ``auto`` (which follows the device); an explicit precision counts.
        ``phase`` counts when set, so that a tuned configuration that happens to equal the plan's
        is still its own trial (trials of plans without tuning keep their ids). A user's source
        counts by its reference and the SHA-256 of its file (a changed file is a new trial), not
        by where the file lies."""
        data = asdict(self)
        for name in ("device", "loader_workers"):
            data.pop(name)
        for name, default in (("precision", "auto"), ("phase", "")):
            if data[name] == default:
                data.pop(name)
        for name in ("task_source", "schedule_source"):
            source = data.pop(name)
            if source is not None:
                data[name] = {"ref": source["ref"], "sha256": source["sha256"]}
        return data

    @property
    def trial_id(self) -> str:
        canonical = json.dumps(self.identity(), sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> TrialSpec:
        data = json.loads(text)
        data["metrics"] = tuple(data["metrics"])
        if data.get("target") is not None:
            data["target"] = Target(**data["target"])
        return cls(**data)


@dataclass
class TrialResult:
    """Everything a trial recorded. Lists hold plain dicts (JSON-able):

    * ``steps``: one per optimizer step — ``{"step", "epoch", "lr": [per group], "loss",
      "seconds" (wall time of the step), "signals": {name: value}}``.
    * ``epochs``: one per evaluation — ``{"epoch", "step", "elapsed" (training seconds so far),
      "lr", "train": {metric: value}, "val": {metric: value}}``.
    * ``adjustments``: the scheduler's log — ``{"step", "old_lr", "new_lr", "rule", "signals"}``.
    * ``test``: test-split metrics, evaluated once at the end (None if diverged or failed).
    * ``summary``: convergence, stability, gap, adjustments, cost (see :mod:`lrlab.train.summary`).
    """

    trial_id: str
    spec: TrialSpec
    status: Status
    error: str | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)
    epochs: list[dict[str, Any]] = field(default_factory=list)
    adjustments: list[dict[str, Any]] = field(default_factory=list)
    test: dict[str, float] | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    resumed_from_epoch: int | None = None
