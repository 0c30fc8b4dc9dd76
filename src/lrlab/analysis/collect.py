"""Read a study's store into plain per-trial rows: what the analysis works on."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrlab.study.store import Store


@dataclass
class TrialRow:
    """One planned trial as the analysis sees it (completed or not)."""

    trial_id: str
    task: str
    schedule: str
    role: str
    seed: int
    status: str
    error: str | None
    spec: dict[str, Any]
    test: dict[str, float]
    summary: dict[str, Any]
    epochs: list[dict[str, Any]] = field(default_factory=list)
    track: str = "given"  # "given" (the plan's settings) or "tuned"
    phase: str = "evaluation"  # "tuning" or "evaluation"
    config: int | None = None  # the tuning configuration's index
    rung: int | None = None  # successive halving's rung

    @property
    def completed(self) -> bool:
        return self.status == "completed"

    @property
    def final_val(self) -> dict[str, float]:
        return dict(self.summary.get("final_val") or (self.epochs[-1]["val"] if self.epochs else {}))


@dataclass
class StudyData:
    plan: dict[str, Any]
    plan_hash: str
    plan_toml: str
    trials: list[TrialRow]
    store_path: Path
    configs: list[dict[str, Any]] = field(default_factory=list)  # drawn tuning configurations
    tuning_trials: list[TrialRow] = field(default_factory=list)

    @property
    def tuned(self) -> bool:
        """Whether the study has a tuned track (its plan had ``[tuning]``)."""
        return bool(self.plan.get("tuning"))

    def track(self, name: str) -> StudyData:
        """The evaluation trials of one track, as a study of their own. The tuned track reads the
        as-given trials of the schedules it does not tune (self-tuning optimizers)."""
        tuned_labels = {t.schedule for t in self.trials if t.track == "tuned"} | {
            c["schedule"] for c in self.configs}
        rows = [t for t in self.trials if t.phase == "evaluation" and (
            t.track == name or (name == "tuned" and t.track == "given" and t.schedule not in tuned_labels))]
        return StudyData(self.plan, self.plan_hash, self.plan_toml, rows, self.store_path, self.configs,
                         self.tuning_trials)

    def tasks(self) -> list[str]:
        """Task labels in plan order."""
        labels = [t.get("label") or t["name"] for t in self.plan.get("tasks", [])]
        seen = {t.task for t in self.trials}
        return [label for label in labels if label in seen] or sorted(seen)

    def schedules(self, role: str | None = None) -> list[str]:
        """Schedule labels in plan order, optionally only ``proposed`` or ``baseline`` ones."""
        out = []
        for s in self.plan.get("schedules", []):
            if role is None or s["role"] == role:
                out.append(s.get("label") or s["name"])
        return out

    def schedule_name(self, label: str) -> str:
        return next((s["name"] for s in self.plan.get("schedules", []) if (s.get("label") or s["name"]) == label), label)

    def schedule_args(self, label: str) -> dict[str, Any]:
        return next((dict(s.get("args") or {}) for s in self.plan.get("schedules", [])
                     if (s.get("label") or s["name"]) == label), {})

    def rows(self, task: str, schedule: str) -> list[TrialRow]:
        """The trials of one (task, schedule), by seed."""
        return sorted((t for t in self.trials if t.task == task and t.schedule == schedule), key=lambda t: t.seed)

    def task_entry(self, task: str) -> dict[str, Any]:
        return next((t for t in self.plan.get("tasks", []) if (t.get("label") or t["name"]) == task), {})


def _finite_or_none(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def load_study(study_dir: str | Path, *, with_epochs: bool = True) -> StudyData:
    """Everything the analysis needs from ``study_dir``'s store, as plain Python values."""
    store = Store.open_existing(study_dir)
    try:
        plan = json.loads(store.meta("plan") or "{}")
        rows = []
        for t in store.trials():
            tuning = t["phase"] == "tuning"  # tuning trials are read without their epochs (not plotted)
            rows.append(TrialRow(
                trial_id=t["trial_id"], task=t["task"], schedule=t["schedule"], role=t["role"],
                seed=int(t["seed"]), status=t["status"], error=t["error"], spec=t["spec"],
                test=dict(t["test"] or {}), summary=dict(t["summary"] or {}),
                epochs=store.epochs(t["trial_id"]) if with_epochs and not tuning else [],
                track=t["track"], phase=t["phase"], config=t["config"], rung=t["rung"]))
        return StudyData(plan=plan, plan_hash=store.meta("plan_hash") or "", plan_toml=store.meta("plan_toml") or "",
                         trials=[r for r in rows if r.phase == "evaluation"], store_path=store.path,
                         configs=store.configs(), tuning_trials=[r for r in rows if r.phase == "tuning"])
    finally:
        store.close()


def lr_paths(study_dir: str | Path, trial_ids: list[str]) -> dict[str, dict[str, list[Any]]]:
    """Per trial: step numbers, the first group's rate, and the scheduler's signals per step."""
    store = Store.open_existing(study_dir)
    try:
        out = {}
        for tid in trial_ids:
            steps = store.steps(tid)
            names = sorted({k for s in steps for k in (s["signals"] or {})})
            out[tid] = {"step": [s["step"] for s in steps], "lr": [s["lr"] for s in steps],
                        "loss": [_finite_or_none(s["loss"]) for s in steps],
                        "signals": {n: [(s["signals"] or {}).get(n) for s in steps] for n in names}}
        return out
    finally:
        store.close()


def rate_changed(study_dir: str | Path, trials: list[TrialRow]) -> dict[str, bool]:
    """Per trial: whether its first group's rate ever changed after warm-up (one query per
    warm-up length; a relative change under 1e-9 is float noise, not a change)."""
    by_warmup: dict[int, list[str]] = {}
    for t in trials:
        by_warmup.setdefault(int(t.spec.get("warmup_steps") or 0), []).append(t.trial_id)
    out = {t.trial_id: False for t in trials}
    store = Store.open_existing(study_dir)
    try:
        for warmup, ids in by_warmup.items():
            for start in range(0, len(ids), 500):  # SQLite's limit on bound parameters
                chunk = ids[start:start + 500]
                marks = ",".join("?" * len(chunk))
                rows = store.db.execute(
                    f"SELECT trial_id, MIN(lr) AS low, MAX(lr) AS high FROM steps WHERE step > ? AND "
                    f"trial_id IN ({marks}) GROUP BY trial_id", (warmup, *chunk)).fetchall()
                for row in rows:
                    low, high = row["low"], row["high"]
                    out[row["trial_id"]] = bool(low is not None and high is not None and high > low * (1 + 1e-9))
        return out
    finally:
        store.close()
