"""One writer per study folder: a second run (or report) is refused in one line naming the holder,
and a lock left by a killed run is taken over."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lrlab.errors import FOLDER_IN_USE, FolderInUse
from lrlab.study.lock import LOCK_NAME, study_lock
from lrlab.study.store import STORE_NAME, Store

from .conftest import lrlab, run_command
from .test_run import numbers

HOLD = ("import sys, time; from pathlib import Path; from lrlab.study.lock import study_lock\n"
        "with study_lock(Path(sys.argv[1])):\n"
        "    print('held', flush=True); time.sleep(600)\n")


def holder(folder: Path) -> subprocess.Popen[str]:
    """Another process that holds ``folder``'s lock until it is killed."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    return proc


def test_the_lock_is_exclusive_names_its_holder_and_is_reentrant(tmp_path: Path):
    other = holder(tmp_path)
    try:
        with pytest.raises(FolderInUse) as refused, study_lock(tmp_path):
            pass
        message = str(refused.value)
        assert f"pid {other.pid} on " in message and "\n" not in message
        assert refused.value.exit_code == FOLDER_IN_USE
    finally:
        other.kill()
        other.wait()
    with study_lock(tmp_path), study_lock(tmp_path):  # the same process again: fine
        assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == os.getpid()
    assert (tmp_path / LOCK_NAME).read_text() == ""  # released: no note left behind


def _wait_for(proc: subprocess.Popen, ready, what: str) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
        if ready():
            return
    pytest.fail(f"the run ended (or never got there) before {what}")


def _running_with_lock(out: Path, pid: int):
    def ready() -> bool:
        try:
            note = json.loads((out / LOCK_NAME).read_text())
            store = Store(out / STORE_NAME, readonly=True)
        except Exception:  # noqa: BLE001 - not there yet
            return False
        try:
            return note["pid"] == pid and store.counts().get("running", 0) > 0
        finally:
            store.close()
    return ready


def test_a_second_run_into_the_same_folder_is_refused_and_the_store_is_one_runs(
        reference: Path, small_plan: Path, tmp_path: Path):
    out = tmp_path / "shared"
    first = subprocess.Popen(run_command(small_plan, out), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, start_new_session=True)
    _wait_for(first, _running_with_lock(out, first.pid), "it held the lock with trials running")
    os.killpg(first.pid, signal.SIGSTOP)  # hold it there, trials and all, whatever the machine's speed
    try:
        second = subprocess.run(run_command(small_plan, out), capture_output=True, text=True, timeout=300)
        report = lrlab("report", str(out))
    finally:
        os.killpg(first.pid, signal.SIGCONT)
    for refused in (second, report):
        assert refused.returncode == FOLDER_IN_USE, refused.stderr
        assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
        assert f"{out}: in use by `lrlab run " in refused.stderr and f"(pid {first.pid} on " in refused.stderr
    _, stderr = first.communicate(timeout=300)
    assert first.returncode == 0, stderr
    assert numbers(out) == numbers(reference)  # every trial once, as one uninterrupted run has it
    assert "FileNotFoundError" not in stderr and not list(out.glob("trials/*/*.part"))


def test_a_lock_left_by_a_killed_run_is_taken_over(reference: Path, small_plan: Path, tmp_path: Path):
    out = tmp_path / "killed"
    first = subprocess.Popen(run_command(small_plan, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    _wait_for(first, _running_with_lock(out, first.pid), "it held the lock with trials running")
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    time.sleep(0.5)  # the workers die with the driver (PR_SET_PDEATHSIG)
    assert json.loads((out / LOCK_NAME).read_text())["pid"] == first.pid  # the dead run's note is still there
    rerun = subprocess.run(run_command(small_plan, out), capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert "took over the lock left by `lrlab run " in rerun.stderr and f"(pid {first.pid} on " in rerun.stderr
    assert numbers(out) == numbers(reference)
