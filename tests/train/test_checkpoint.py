"""Checkpoints: atomic writes, weights_only loads, and resuming exactly where an interrupted run stopped."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from lrlab.errors import EnvironmentFailure
from lrlab.schedulers import SCHEDULES
from lrlab.train import Target, TrialResult, TrialSpec, run_trial
from lrlab.train.checkpoint import (
    CheckpointError,
    load_checkpoint,
    rng_state,
    save_checkpoint,
    set_rng_state,
)

MakeSpec = Callable[..., TrialSpec]


def without_timing(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k not in ("seconds", "elapsed")} for r in records]


class Stop(Exception):  # noqa: N818 - an interruption, not an error
    """What a caller's on_epoch raises to interrupt the trial."""


def interrupt_after(epoch: int, error: type[BaseException] = Stop) -> Callable[[dict[str, Any]], None]:
    def on_epoch(record: dict[str, Any]) -> None:
        if record["epoch"] == epoch:
            raise error(f"interrupted after epoch {epoch}")

    return on_epoch


def weights(trial_dir: Path) -> dict[str, torch.Tensor]:
    return torch.load(trial_dir / "checkpoint.pt", weights_only=True)["model"]


def assert_same_run(resumed: TrialResult, uninterrupted: TrialResult) -> None:
    assert resumed.status == uninterrupted.status == "completed"
    assert without_timing(resumed.steps) == without_timing(uninterrupted.steps)
    assert without_timing(resumed.epochs) == without_timing(uninterrupted.epochs)
    assert resumed.adjustments == uninterrupted.adjustments
    assert resumed.test == uninterrupted.test


# -- the file ----------------------------------------------------------------------------------


def test_save_is_atomic_and_load_uses_weights_only(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.pt"
    assert load_checkpoint(path) is None
    save_checkpoint(path, {"epoch": 1, "records": [{"loss": 0.5, "lr": [0.1]}], "w": torch.ones(3)})
    save_checkpoint(path, {"epoch": 2, "records": [], "w": torch.zeros(3)})
    state = load_checkpoint(path)
    assert state["epoch"] == 2 and torch.equal(state["w"], torch.zeros(3))
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"]  # no temporary file left
    save_checkpoint(path, {"code": torch.nn.Linear(1, 1)})  # a pickled object, not weights
    with pytest.raises(Exception, match="[Ww]eights only load failed"):
        load_checkpoint(path)


def test_a_checkpoint_that_does_not_read_back_is_moved_aside_and_said(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.pt"
    save_checkpoint(path, {"epoch": 1, "w": torch.ones(1000)})
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])  # a disk that kept half of it
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(path)
    assert str(error.value).startswith(f"{path} could not be read (")
    assert "moved to checkpoint.pt.corrupt, the trial starts again from scratch" in str(error.value)
    assert isinstance(error.value, EnvironmentFailure)  # the environment's failure, not the trial's
    assert not path.exists() and (tmp_path / "checkpoint.pt.corrupt").read_bytes() == data[:len(data) // 2]
    assert load_checkpoint(path) is None  # the next attempt starts from scratch


def test_a_full_disk_while_saving_keeps_the_last_good_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.pt"
    save_checkpoint(path, {"epoch": 1, "w": torch.zeros(10)})
    good = path.read_bytes()
    # A real subprocess whose files may not grow past 100 kB (RLIMIT_FSIZE): the kernel refuses the write.
    script = ("import resource, sys, torch\n"
              "from pathlib import Path\n"
              "from lrlab.train.checkpoint import CheckpointError, save_checkpoint\n"
              "resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))\n"
              "try:\n"
              "    save_checkpoint(Path(sys.argv[1]), {'epoch': 2, 'w': torch.zeros(1_000_000)})\n"
              "except CheckpointError as error:\n"
              "    print(error)\n")
    proc = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (f"file size limit exceeded (EFBIG) while writing {path}; the trial resumes from its "
                           "last good checkpoint (or from scratch) on the next run\n")
    assert path.read_bytes() == good and [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"]


def test_rng_state_round_trip() -> None:
    cpu = torch.device("cpu")
    state = rng_state(cpu)
    first = torch.rand(5)
    set_rng_state(state, cpu)
    assert torch.equal(torch.rand(5), first)


# -- resume --------------------------------------------------------------------------------------


RESUMABLE = {
    # dropout (global RNG), augmentation (epoch generator), accumulation, a stateful adaptive rule
    "entropy-digits": {"task": "digits", "schedule": "entropy", "epochs": 4, "dropout": 0.2,
                       "augmentation": True, "accumulate": 2, "batch_size": 64,
                       "schedule_args": {"interval": 3, "threshold": 0.3}},
    # schedule-free: two iterates, checkpointed in eval mode
    "schedulefree-wine": {"schedule": "schedulefree_adamw", "lr": None, "epochs": 4},
    # validation-driven: observes after each evaluation; warm-up; weight decay; class weights
    "performance-cancer": {"task": "breast_cancer", "schedule": "performance", "optimizer": "sgd",
                           "lr": 0.05, "epochs": 4, "warmup_steps": 3, "weight_decay": 1e-3,
                           "class_balancing": True, "schedule_args": {"patience": 1}},
    # a torch baseline chained with a warm-up (SequentialLR state)
    "cosine-wine": {"schedule": "cosine", "warmup_steps": 4, "epochs": 4, "dropout": 0.1},
    # gradients read through the optimizer hook
    "gradvar-wine": {"schedule": "gradvar", "optimizer": "sgd", "lr": 0.05, "epochs": 4},
}


@pytest.mark.parametrize("overrides", RESUMABLE.values(), ids=RESUMABLE.keys())
def test_a_resumed_run_equals_an_uninterrupted_one(
        make_spec: MakeSpec, tmp_path: Path, overrides: dict[str, Any]) -> None:
    spec = make_spec(**overrides)
    uninterrupted = run_trial(spec, tmp_path / "whole")
    seen: list[int] = []
    with pytest.raises(Stop, match="interrupted after epoch 2"):
        run_trial(spec, tmp_path / "broken",
                  on_epoch=lambda r: (seen.append(r["epoch"]), interrupt_after(2)(r)))
    assert seen == [1, 2]
    assert load_checkpoint(tmp_path / "broken" / "checkpoint.pt")["epoch"] == 2
    resumed = run_trial(spec, tmp_path / "broken", on_epoch=lambda r: seen.append(r["epoch"]))
    assert seen == [1, 2, 3, 4]
    assert resumed.resumed_from_epoch == 2
    assert_same_run(resumed, uninterrupted)
    final, expected = weights(tmp_path / "broken"), weights(tmp_path / "whole")
    assert final.keys() == expected.keys()
    assert all(torch.equal(final[name], expected[name]) for name in final)


@pytest.mark.parametrize("schedule", sorted(SCHEDULES))
def test_every_registered_schedule_trains_and_resumes_exactly(
        make_spec: MakeSpec, tmp_path: Path, schedule: str) -> None:
    """Each entry's optimizer and scheduler state goes through a weights_only checkpoint intact."""
    self_tuning = SCHEDULES[schedule].kind == "optimizer"
    spec = make_spec(schedule=schedule, lr=None if self_tuning else 1e-2, epochs=3, dropout=0.1)
    uninterrupted = run_trial(spec, tmp_path / "whole")
    if uninterrupted.status == "failed" and "ModuleNotFoundError" in uninterrupted.error:
        pytest.skip(uninterrupted.error.splitlines()[0])  # an optional package is not installed
    with pytest.raises(Stop):
        run_trial(spec, tmp_path / "broken", on_epoch=interrupt_after(1))
    resumed = run_trial(spec, tmp_path / "broken")
    assert resumed.resumed_from_epoch == 1
    assert_same_run(resumed, uninterrupted)


def test_keyboard_interrupt_from_on_epoch_propagates_and_the_run_resumes(
        make_spec: MakeSpec, tmp_path: Path) -> None:
    spec = make_spec(epochs=3, dropout=0.1)
    with pytest.raises(KeyboardInterrupt):
        run_trial(spec, tmp_path / "a", on_epoch=interrupt_after(1, KeyboardInterrupt))
    resumed = run_trial(spec, tmp_path / "a")
    assert resumed.resumed_from_epoch == 1
    assert_same_run(resumed, run_trial(spec, tmp_path / "b"))


def test_running_a_finished_trial_again_gives_the_same_result(make_spec: MakeSpec, tmp_path: Path) -> None:
    spec = make_spec(dropout=0.2)
    first = run_trial(spec, tmp_path)
    again = run_trial(spec, tmp_path)
    assert again.resumed_from_epoch == spec.epochs
    assert_same_run(again, first)  # the test split is evaluated in eval mode after a reload too


def test_an_early_stopped_trial_stays_stopped_when_run_again(make_spec: MakeSpec, tmp_path: Path) -> None:
    spec = make_spec(optimizer="sgd", lr=1e-7, epochs=10, early_stopping_patience=1,
                     target=Target("accuracy", 0.99, "max"))
    first = run_trial(spec, tmp_path)
    again = run_trial(spec, tmp_path)
    assert first.summary["stopped"] == again.summary["stopped"] == "early_stopping"
    assert len(again.epochs) == len(first.epochs) == 2


def test_a_checkpoint_of_another_trial_is_refused(make_spec: MakeSpec, tmp_path: Path) -> None:
    run_trial(make_spec(seed=0), tmp_path)
    other = run_trial(make_spec(seed=1), tmp_path)
    assert other.status == "failed"
    assert "belongs to trial" in other.error and make_spec(seed=0).trial_id in other.error
