"""The tiny study on a local Ray instance (2 CPUs): the local executor's trials and numbers, a worker
killed mid-trial is retried from its checkpoint, and a study started on Ray finishes on the pool."""

from __future__ import annotations

import _thread
import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lrlab.cli import main
from lrlab.errors import EnvironmentFailure, WorkerDied
from lrlab.study.plan import parse_plan
from lrlab.study.ray_executor import RayExecutor, _capacity
from lrlab.study.runner import run_study
from lrlab.study.store import Store
from lrlab.train.checkpoint import CHECKPOINT_NAME, load_checkpoint
from study.test_run import TINY, numbers

ray = pytest.importorskip("ray")

EPOCHS = 3
PLAN = TINY.format(epochs=EPOCHS)


@pytest.fixture(scope="module")
def ray_instance() -> Iterator[None]:
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def local_study(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("local")
    assert run_study(parse_plan(PLAN), out, workers=2).counts == {"completed": 12}
    return out


def busy_workers() -> list[int]:
    """PIDs of the Ray workers running a trial now (Ray titles them ``ray::<task name>``)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                command = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if command.startswith(b"ray::lrlab_trial"):
                pids.append(int(entry))
    return pids


def mid_training(trials: Path) -> bool:
    """Some trial has a checkpoint of an epoch before its last: it is still training."""
    for path in trials.glob(f"*/{CHECKPOINT_NAME}"):
        try:
            if load_checkpoint(path)["epoch"] < EPOCHS:
                return True
        except Exception:  # replaced while we read it
            continue
    return False


def when_mid_training(trials: Path, act: Callable[[list[int]], None]) -> threading.Thread:
    """In the background: freeze the busy workers; once a trial is caught between two epochs'
    checkpoints (so its worker is among the frozen), ``act(frozen)``; else thaw them and look again."""

    def watch() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            frozen = busy_workers()
            for pid in frozen:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGSTOP)
            caught = bool(frozen) and mid_training(trials)
            if caught:
                act(frozen)
            for pid in frozen:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)
            if caught:
                return
            time.sleep(0.01)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def kill(pids: list[int]) -> list[int]:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return pids


def test_same_trial_ids_and_numbers_as_the_local_executor(ray_instance, local_study: Path, tmp_path: Path):
    outcome = run_study(parse_plan(PLAN), tmp_path / "ray", executor="ray")
    assert outcome.counts == {"completed": 12}
    assert numbers(tmp_path / "ray") == numbers(local_study)


def test_a_killed_worker_is_retried_and_resumes_from_its_checkpoint(ray_instance, local_study: Path,
                                                                    tmp_path: Path):
    storage = tmp_path / "shared"
    plan = parse_plan(PLAN + f'\n[executor]\nstorage = "{storage}"\n')
    out = tmp_path / "killed"
    killed: list[int] = []
    watcher = when_mid_training(storage / f"{plan.name}-{plan.hash}" / "trials",
                                lambda frozen: killed.extend(kill(frozen)))
    outcome = run_study(plan, out, executor="ray")
    watcher.join(timeout=5)
    assert killed, "no trial was caught mid-training"
    assert outcome.counts == {"completed": 12}
    assert numbers(out) == numbers(local_study)  # every trial once, every epoch and step once
    store = Store.open_existing(out)
    resumed = [t["resumed_from_epoch"] for t in store.trials() if t["resumed_from_epoch"]]
    store.close()
    assert resumed and all(0 < epoch < EPOCHS for epoch in resumed)
    assert not list(out.glob(f"trials/*/{CHECKPOINT_NAME}"))  # checkpoints live in the storage path


def test_a_study_started_on_ray_finishes_on_the_local_pool(ray_instance, local_study: Path, tmp_path: Path):
    out = tmp_path / "switched"
    watcher = when_mid_training(out / "trials", lambda frozen: _thread.interrupt_main())  # as Ctrl-C
    handler = signal.getsignal(signal.SIGINT)
    try:
        first = run_study(parse_plan(PLAN), out, executor="ray")
    finally:
        signal.signal(signal.SIGINT, handler)  # the runner ignores a second Ctrl-C while it stops
    watcher.join(timeout=5)
    assert first.interrupted and first.counts.get("completed", 0) < 12
    second = run_study(parse_plan(PLAN), out, workers=2)
    assert second.skipped == first.counts.get("completed", 0)
    assert second.counts == {"completed": 12}
    assert numbers(out) == numbers(local_study)


def test_a_trial_whose_retries_are_spent_is_lost_not_failed(ray_instance, tmp_path: Path):
    executor = RayExecutor(1, max_retries=0)
    spec = parse_plan(PLAN).trials()[0]
    watcher = when_mid_training(tmp_path, kill)
    future = executor.submit(spec, tmp_path / spec.trial_id)
    error = future.exception(timeout=120)
    watcher.join(timeout=5)
    executor.shutdown()
    assert isinstance(error, WorkerDied) and spec.trial_id in str(error)
    assert ray.is_initialized()  # an instance it did not start is left running


def test_a_failure_of_the_environment_comes_back_as_such_not_as_a_lost_worker(ray_instance, tmp_path: Path):
    executor = RayExecutor(1)
    spec = parse_plan(PLAN).trials()[0]
    checkpoint = tmp_path / spec.trial_id / CHECKPOINT_NAME
    checkpoint.parent.mkdir()
    checkpoint.write_bytes(b"PK\x03\x04 half a zip file")  # a checkpoint the disk did not keep whole
    error = executor.submit(spec, checkpoint.parent).exception(timeout=120)
    executor.shutdown()
    assert isinstance(error, EnvironmentFailure) and not isinstance(error, WorkerDied)
    assert str(error).startswith(f"{checkpoint} could not be read")


def test_capacity_is_what_the_cluster_holds_per_trial():
    assert _capacity({"CPU": 8.0}, 1, 0) == 8
    assert _capacity({"CPU": 8.0}, 3, 0) == 2
    assert _capacity({"CPU": 8.0, "GPU": 2.0}, 1, 0.5) == 4
    with pytest.raises(ValueError, match="1 GPU"):
        _capacity({"CPU": 8.0}, 1, 1)
    with pytest.raises(ValueError, match="4 CPU"):
        _capacity({"CPU": 2.0}, 4, 0)


@pytest.mark.parametrize(("flags", "message"), [
    (["--address", "auto"], "--address is for --executor ray"),
    (["--executor", "ray", "--address", "head"], "--address must be 'auto', 'ray://host:port'"),
])
def test_executor_flags_are_checked_before_anything_runs(tmp_path: Path, capsys, flags, message):
    plan_file = tmp_path / "tiny.toml"
    plan_file.write_text(PLAN)
    assert main(["run", str(plan_file), "--out", str(tmp_path / "never"), *flags]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "never").exists()
