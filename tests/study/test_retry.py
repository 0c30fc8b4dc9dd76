"""Failures of the environment heal; failures of a trial stay, unless asked.

A truncated checkpoint or a full disk is not the trial's failure: the trial is stored as ``retry``,
the run says what happened and exits 75, and the next run gives the numbers of an uninterrupted
run. A trial whose code raised stays ``failed`` (exit 1) until ``--retry-failed``.
"""

from __future__ import annotations

import contextlib
import io
import json
import sqlite3
import subprocess
from pathlib import Path

from lrlab.errors import ENVIRONMENT, TRIALS_FAILED
from lrlab.study.plan import load_plan, parse_plan
from lrlab.study.runner import run_study
from lrlab.study.store import RETRY, STORE_NAME, Store
from lrlab.train import run_trial

from .conftest import CHECKPOINT_BYTES, copy_study, lrlab, run_command
from .test_run import numbers
from .test_tuned_run import TUNED


def statuses(study: Path) -> dict[str, str]:
    store = Store.open_existing(study)
    try:
        return {t["trial_id"]: t["status"] for t in store.trials()}
    finally:
        store.close()


def test_a_truncated_checkpoint_is_retried_to_the_uninterrupted_numbers(reference: Path, small_plan: Path,
                                                                         tmp_path: Path):
    out = tmp_path / "truncated"
    spec = load_plan(small_plan).trials(device="cpu")[0]
    checkpoint = out / "trials" / spec.trial_id / "checkpoint.pt"

    def stop_after_first_epoch(record: dict) -> None:
        raise KeyboardInterrupt

    with contextlib.suppress(KeyboardInterrupt):  # an earlier run of this trial that stopped after an epoch ...
        run_trial(spec, checkpoint.parent, on_epoch=stop_after_first_epoch)
    data = checkpoint.read_bytes()
    checkpoint.write_bytes(data[:len(data) // 2])  # ... and a disk that kept half of its checkpoint

    first = subprocess.run(run_command(small_plan, out), capture_output=True, text=True, timeout=300)
    assert first.returncode == ENVIRONMENT, first.stderr
    assert "Traceback" not in first.stderr
    assert f"to retry: wine / entropy / seed 0: {checkpoint} could not be read" in first.stderr
    assert "no report yet" in first.stderr and not (out / "report.md").exists()
    assert statuses(out)[spec.trial_id] == RETRY and list(statuses(out).values()).count("completed") == 3
    assert (checkpoint.parent / "checkpoint.pt.corrupt").read_bytes() == data[:len(data) // 2]  # kept, aside
    status = lrlab("status", str(out))
    assert f"to retry: wine / entropy / seed 0 [{spec.trial_id}]: {checkpoint} could not be read" in status.stdout

    second = subprocess.run(run_command(small_plan, out), capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr
    assert numbers(out) == numbers(reference) and (out / "report.md").is_file()


def test_a_full_disk_while_checkpointing_is_retried_not_failed(reference: Path, small_plan: Path, tmp_path: Path):
    out = tmp_path / "full"
    # No file may grow past 200 kB: every checkpoint (~250 kB) fails to be written, the store does not.
    full = lrlab(*run_command(small_plan, out)[3:], limit_file_size=CHECKPOINT_BYTES * 5 // 6)
    assert full.returncode == ENVIRONMENT, full.stderr
    assert "Traceback" not in full.stderr
    lines = [line for line in full.stderr.splitlines() if line.startswith("to retry: ")]
    assert len(lines) == 4 and all("file size limit exceeded (EFBIG) while writing " in line for line in lines)
    assert "4 trial(s) were stopped by the environment, not by their code" in full.stderr
    assert set(statuses(out).values()) == {RETRY}
    assert not list(out.rglob("*.part")) and not list(out.glob("trials/*/checkpoint.pt"))  # no half file left

    healed = subprocess.run(run_command(small_plan, out), capture_output=True, text=True, timeout=300)
    assert healed.returncode == 0, healed.stderr
    assert numbers(out) == numbers(reference)


def test_failed_trials_stay_failed_until_retry_failed(reference: Path, small_plan: Path, tmp_path: Path):
    out = copy_study(reference, tmp_path / "failed")
    victim = sorted(statuses(out))[0]
    with sqlite3.connect(out / STORE_NAME) as db:  # as an earlier run whose trial raised would have left it
        db.execute("UPDATE trials SET status = 'failed', error = ?, test = NULL, summary = NULL WHERE trial_id = ?",
                   ("RuntimeError: boom\n  at trial.py:170 in run_trial\n  at serialization.py:807 in __init__",
                    victim))
        for table in ("steps", "epochs", "adjustments"):
            db.execute(f"DELETE FROM {table} WHERE trial_id = ?", (victim,))
    db.close()

    again = subprocess.run(run_command(small_plan, out), capture_output=True, text=True, timeout=300)
    assert again.returncode == TRIALS_FAILED, again.stderr
    assert "1 trial(s) failed (their code raised)" in again.stderr and "--retry-failed" in again.stderr
    status = lrlab("status", str(out)).stdout
    assert f"[{victim}]: RuntimeError: boom" in status and "serialization.py" not in status  # the error, not a frame

    retried = subprocess.run(run_command(small_plan, out, "--retry-failed"), capture_output=True, text=True,
                             timeout=300)
    assert retried.returncode == 0, retried.stderr
    assert "--retry-failed: 1 failed trial(s) run again" in retried.stderr
    assert numbers(out) == numbers(reference)
    store = Store.open_existing(out)
    reopened = json.loads(store.meta("reopened") or "[]")
    store.close()
    assert [(r["trial_id"], r["status"], r["error"].splitlines()[0]) for r in reopened] == [
        (victim, "failed", "RuntimeError: boom")]  # the trace stays


def test_retry_failed_keeps_a_tuning_trial_whose_rung_already_chose(tmp_path: Path):
    plan = parse_plan(TUNED.replace("trials = 3", "trials = 2").replace("halving = { rungs = 2, eta = 2 }\n", "")
                      .replace("epochs = 4", "epochs = 1"))
    out = tmp_path / "tuned"
    assert run_study(plan, out, workers=2, stream=io.StringIO()).counts == {"completed": 12}
    store = Store.open_existing(out)
    trials = store.trials()
    store.close()
    chosen = {t["schedule"]: t["config"] for t in trials if t["track"] == "tuned" and t["phase"] == "evaluation"}
    # A configuration that was not chosen: failing it changes no choice, only whether it may run again.
    tuning = next(t for t in trials if t["phase"] == "tuning" and t["config"] != chosen[t["schedule"]])
    evaluation = next(t for t in trials if t["phase"] == "evaluation" and t["track"] == "given")
    with sqlite3.connect(out / STORE_NAME) as db:
        db.executemany("UPDATE trials SET status = 'failed', error = 'RuntimeError: boom' WHERE trial_id = ?",
                       [(tuning["trial_id"],), (evaluation["trial_id"],)])
    db.close()
    said = io.StringIO()
    outcome = run_study(plan, out, workers=1, stream=said, retry_failed=True)
    assert "1 failed trial(s) run again; 1 failed tuning trial(s) stay failed" in said.getvalue()
    assert outcome.counts == {"completed": 11, "failed": 1}
    assert statuses(out)[tuning["trial_id"]] == "failed" and statuses(out)[evaluation["trial_id"]] == "completed"
