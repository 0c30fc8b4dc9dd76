"""A real tiny study end to end: plan -> trials in worker processes -> store; kill and resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lrlab.study.plan import parse_plan
from lrlab.study.runner import run_study
from lrlab.study.store import STORE_NAME, Store

from .conftest import run_command

TINY = """
name = "tiny"
seeds = [0, 1]

[defaults]
optimizer = "adam"
lr = 0.01
batch_size = 32
epochs = {epochs}

[[tasks]]
name = "wine"
model = "mlp"
target = {{ metric = "accuracy", value = 0.9 }}

[[tasks]]
name = "breast_cancer"
model = "fcnn"
target = {{ metric = "roc_auc", value = 0.99 }}

[[schedules]]
name = "entropy"
role = "proposed"
args = {{ threshold = 0.2, interval = 2 }}

[[schedules]]
name = "gradvar"
role = "proposed"

[[schedules]]
name = "constant"
role = "baseline"
"""


def numbers(study: Path) -> dict[str, tuple]:
    """Everything a trial computed except wall-clock times, by trial id."""
    store = Store.open_existing(study)
    try:
        out = {}
        for trial in store.trials():
            tid = trial["trial_id"]
            epochs = [(e["epoch"], e["step"], e["lr"], sorted(e["val"].items()), sorted(e["train"].items()))
                      for e in store.epochs(tid)]
            steps = [(s["step"], s["lrs"], s["loss"]) for s in store.steps(tid)]
            out[tid] = (trial["status"], sorted((trial["test"] or {}).items()), epochs, steps)
        return out
    finally:
        store.close()


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("study")
    plan = parse_plan(TINY.format(epochs=3))
    outcome = run_study(plan, out, workers=2)
    assert outcome.counts == {"completed": 12}
    return out


def test_every_trial_once_with_sane_numbers(finished: Path):
    store = Store.open_existing(finished)
    trials = store.trials()
    assert len(trials) == 12 and len({t["trial_id"] for t in trials}) == 12
    assert {(t["task"], t["schedule"], t["seed"]) for t in trials} == {
        (task, sched, seed) for task in ("wine", "breast_cancer") for sched in ("entropy", "gradvar", "constant")
        for seed in (0, 1)}
    for t in trials:
        assert t["status"] == "completed"
        assert 0.0 <= t["test"]["accuracy"] <= 1.0
        epochs = store.epochs(t["trial_id"])
        assert [e["epoch"] for e in epochs] == [0, 1, 2] or [e["epoch"] for e in epochs] == [1, 2, 3]
        assert all(0.0 < e["val"]["loss"] < 5.0 for e in epochs)
        if t["task"] == "breast_cancer":
            assert 0.5 < t["test"]["roc_auc"] <= 1.0
    store.close()


def test_tensorboard_events_are_exported_from_the_store(finished: Path, tmp_path: Path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from lrlab.study.overview import export_study

    folders = export_study(finished, "tensorboard", tmp_path / "tb")
    assert len(folders) == 12 and not (finished / "tensorboard").exists()  # the run itself writes none
    store = Store.open_existing(finished)
    trial = next(t for t in store.trials() if t["task"] == "wine" and t["schedule"] == "entropy" and t["seed"] == 0)
    steps, epochs = store.steps(trial["trial_id"]), store.epochs(trial["trial_id"])
    store.close()
    events = EventAccumulator(str(tmp_path / "tb" / "wine" / "entropy" / "given" / "seed0"))
    events.Reload()
    assert [e.value for e in events.Scalars("lr/group0")] == pytest.approx([s["lr"] for s in steps])
    assert [e.value for e in events.Scalars("val/accuracy")] == pytest.approx([e["val"]["accuracy"] for e in epochs])
    assert "signals/entropy" in events.Tags()["scalars"]


def test_adaptive_paths_differ_from_constant(finished: Path):
    store = Store.open_existing(finished)
    paths = {(t["task"], t["schedule"], t["seed"]): [s["lr"] for s in store.steps(t["trial_id"])]
             for t in store.trials()}
    for task in ("wine", "breast_cancer"):
        constant = paths[(task, "constant", 0)]
        assert len(set(constant)) == 1
        assert paths[(task, "entropy", 0)] != constant
        assert paths[(task, "gradvar", 0)] != constant
    store.close()


def test_running_again_skips_everything(finished: Path, capsys):
    before = numbers(finished)
    outcome = run_study(parse_plan(TINY.format(epochs=3)), finished, workers=2)
    assert outcome.skipped == 12 and outcome.counts == {"completed": 12}
    assert numbers(finished) == before


def test_a_changed_plan_is_refused_in_the_same_folder(finished: Path, tmp_path: Path):
    plan_file = tmp_path / "changed.toml"
    plan_file.write_text(TINY.format(epochs=4))
    proc = subprocess.run([sys.executable, "-m", "lrlab.cli", "run", str(plan_file), "--out", str(finished)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "a changed plan is a new study" in proc.stderr


def test_malformed_plan_fails_before_any_training(tmp_path: Path):
    plan_file = tmp_path / "bad.toml"
    plan_file.write_text(TINY.format(epochs=-1))
    out = tmp_path / "never"
    proc = subprocess.run([sys.executable, "-m", "lrlab.cli", "run", str(plan_file), "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"lrlab: error: {plan_file}: defaults.epochs: Input should be greater than or equal to 1 (got -1)"
    assert not out.exists()


def test_sigkill_mid_study_then_resume_gives_the_uninterrupted_numbers(finished: Path, tmp_path: Path):
    plan_file = tmp_path / "tiny.toml"
    plan_file.write_text(TINY.format(epochs=3))
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "lrlab.cli", "run", str(plan_file), "--out", str(out), "--workers", "2"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    # Kill once some trials have ended and others have a checkpoint but have not ended.
    while time.monotonic() < deadline:
        time.sleep(0.05)
        if not (out / STORE_NAME).exists():
            continue
        store = Store(out / STORE_NAME, readonly=True)
        ended = {t["trial_id"] for t in store.trials() if t["status"] == "completed"}
        store.close()
        checkpointed = {p.parent.name for p in out.glob("trials/*/checkpoint.pt")}
        if ended and checkpointed - ended:
            break
    assert proc.poll() is None, "the study finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    time.sleep(0.5)  # the workers die with the driver (PR_SET_PDEATHSIG)

    store = Store(out / STORE_NAME, readonly=True)
    assert 0 < store.counts().get("completed", 0) < 12
    store.close()
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert numbers(out) == numbers(finished)


def test_ctrl_c_stops_cleanly_and_the_next_run_finishes_the_study(finished: Path, tmp_path: Path):
    plan_file = tmp_path / "tiny.toml"
    plan_file.write_text(TINY.format(epochs=3))
    out = tmp_path / "interrupted"
    command = [sys.executable, "-m", "lrlab.cli", "run", str(plan_file), "--out", str(out), "--workers", "2"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(out.glob("trials/*/checkpoint.pt")):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends to the whole foreground group
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted: finished trials are stored" in stderr
    assert "Traceback" not in stderr
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert numbers(out) == numbers(finished)


def test_sigterm_stops_cleanly_says_so_and_the_next_run_finishes(reference: Path, small_plan: Path, tmp_path: Path):
    out = tmp_path / "terminated"
    command = run_command(small_plan, out)
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(out.glob("trials/*/checkpoint.pt")):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGTERM)  # what `kill`, systemd or a batch scheduler sends, to the whole group
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143, stderr
    assert "stopped by SIGTERM: finished trials are stored; run the same command again to resume" in stderr
    assert "Traceback" not in stderr and "leaked semaphore" not in stderr
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert numbers(out) == numbers(reference)
