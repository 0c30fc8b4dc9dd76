"""The store: one row per planned trial, ended once, records written whole, plan bound by hash."""

from __future__ import annotations

import math
import sqlite3

import pytest

from lrlab.study.store import STORE_NAME, PlanChangedError, Store
from lrlab.train.spec import TrialResult, TrialSpec


def spec(seed: int = 0, schedule: str = "constant") -> TrialSpec:
    return TrialSpec(task="wine", model="mlp", metrics=("loss", "accuracy"), schedule=schedule,
                     schedule_label=schedule, seed=seed)


def result(s: TrialSpec, status: str = "completed", n_steps: int = 3) -> TrialResult:
    return TrialResult(
        trial_id=s.trial_id, spec=s, status=status,
        steps=[{"step": i, "epoch": 0, "lr": [0.1, 0.01], "loss": 1.0 / (i + 1), "seconds": 0.01,
                "signals": {"entropy": 0.5, "bad": math.nan}} for i in range(n_steps)],
        epochs=[{"epoch": 0, "step": n_steps, "elapsed": 0.1, "lr": [0.1, 0.01],
                 "train": {"loss": 0.5}, "val": {"loss": 0.6, "accuracy": 0.8}}],
        adjustments=[{"step": 1, "old_lr": [0.1, 0.01], "new_lr": [0.09, 0.009], "rule": "r", "signals": {}}],
        test={"accuracy": 0.75}, summary={"reached_target": False, "epochs_to_target": None})


def test_register_write_and_read_back(tmp_path):
    store = Store(tmp_path / STORE_NAME)
    specs = [spec(0), spec(1)]
    store.register(specs, {"constant": "baseline"})
    store.register(specs, {"constant": "baseline"})  # idempotent
    assert store.counts() == {"pending": 2}
    store.mark_running(specs[0].trial_id, "cpu")
    store.write_result(result(specs[0]))
    assert store.counts() == {"completed": 1, "pending": 1}
    trial = next(t for t in store.trials() if t["trial_id"] == specs[0].trial_id)
    assert trial["test"] == {"accuracy": 0.75} and trial["role"] == "baseline" and trial["device"] == "cpu"
    assert TrialSpec.from_json(__import__("json").dumps(trial["spec"])) == specs[0]
    steps = store.steps(specs[0].trial_id)
    assert [s["step"] for s in steps] == [0, 1, 2] and steps[0]["lr"] == 0.1 and steps[0]["lrs"] == [0.1, 0.01]
    assert steps[0]["signals"] == {"entropy": 0.5, "bad": None}  # NaN stored as null, not as broken JSON
    assert store.epochs(specs[0].trial_id)[0]["val"]["accuracy"] == 0.8
    assert store.adjustments(specs[0].trial_id)[0]["new_lr"] == 0.09
    store.close()


def test_rewriting_a_trial_replaces_its_records_not_duplicates(tmp_path):
    store = Store(tmp_path / STORE_NAME)
    s = spec()
    store.register([s], {"constant": "baseline"})
    store.write_result(result(s, n_steps=5))
    store.write_result(result(s, n_steps=3))
    assert len(store.steps(s.trial_id)) == 3
    store.close()


def test_finished_trial_is_not_marked_running_again(tmp_path):
    store = Store(tmp_path / STORE_NAME)
    s = spec()
    store.register([s], {"constant": "baseline"})
    store.write_result(result(s, status="diverged"))
    store.mark_running(s.trial_id, "cpu")
    assert store.status(s.trial_id) == "diverged"
    store.close()


def test_plan_binding(tmp_path):
    store = Store(tmp_path / STORE_NAME)
    store.bind_plan("aaa", "{}", "")
    store.bind_plan("aaa", "{}", "")  # same plan: fine
    with pytest.raises(PlanChangedError, match="a changed plan is a new study"):
        store.bind_plan("bbb", "{}", "")
    store.close()


def test_wal_mode_and_missing_folder(tmp_path):
    store = Store(tmp_path / STORE_NAME)
    store.close()
    assert sqlite3.connect(tmp_path / STORE_NAME).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with pytest.raises(FileNotFoundError, match="not a study folder"):
        Store.open_existing(tmp_path / "nothing")
