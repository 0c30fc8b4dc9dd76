"""run_trial on small real tasks: records, determinism, outcomes, what the scheduler is fed."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch.optim.lr_scheduler import LRScheduler

from lrlab.schedulers import SCHEDULES, register
from lrlab.tasks import build_model, get_task
from lrlab.train import Target, TrialResult, TrialSpec, run_trial
from lrlab.train.data import balanced_class_weights, epoch_generator

MakeSpec = Callable[..., TrialSpec]


def without_timing(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k not in ("seconds", "elapsed")} for r in records]


def lrs(result: TrialResult) -> list[float]:
    return [step["lr"][0] for step in result.steps]


# -- records --------------------------------------------------------------------------------


def test_a_completed_trial_records_steps_epochs_test_and_summary(make_spec: MakeSpec, tmp_path: Path) -> None:
    spec = make_spec(epochs=3)
    result = run_trial(spec, tmp_path)
    assert result.status == "completed" and result.error is None
    assert result.trial_id == spec.trial_id and result.resumed_from_epoch is None
    steps_per_epoch = math.ceil(106 / 16)  # wine: 106 training examples
    assert [s["step"] for s in result.steps] == list(range(1, 3 * steps_per_epoch + 1))
    assert [s["epoch"] for s in result.steps] == [e for e in (1, 2, 3) for _ in range(steps_per_epoch)]
    assert set(result.steps[0]) == {"step", "epoch", "lr", "loss", "seconds", "signals"}
    assert result.steps[0]["lr"] == [1e-2] and result.steps[0]["signals"] == {}
    assert [e["epoch"] for e in result.epochs] == [1, 2, 3]
    assert [e["step"] for e in result.epochs] == [7, 14, 21]
    assert set(result.epochs[0]) == {"epoch", "step", "elapsed", "lr", "train", "val"}
    assert set(result.epochs[0]["train"]) == {"loss", "accuracy"}
    assert list(result.epochs[0]["val"]) == ["loss", "accuracy", "macro_f1"]
    assert result.epochs[-1]["train"]["loss"] < result.epochs[0]["train"]["loss"]  # it learns
    assert list(result.test) == ["loss", "accuracy", "macro_f1"]
    assert result.summary["stopped"] == "epochs" and result.summary["steps"] == 21
    assert result.summary["epochs_run"] == 3 and result.summary["final_val"] == result.epochs[-1]["val"]
    assert result.summary["wall_seconds"] > 0 and result.summary["peak_rss_mb"] > 0
    assert result.epochs[-1]["elapsed"] == pytest.approx(sum(s["seconds"] for s in result.steps))
    assert result.summary["seconds_to_target"] is None  # no target
    assert result.summary["test_samples"] == 36 and result.summary["test_batches"] == 1  # wine: 36 test examples
    assert 0 < result.summary["test_seconds"] < result.summary["wall_seconds"]
    assert (tmp_path / "checkpoint.pt").exists()


def test_the_target_metric_is_evaluated_even_when_not_in_the_plan_metrics(make_spec: MakeSpec, tmp_path: Path) -> None:
    spec = make_spec(metrics=("accuracy",), target=Target("macro_f1", 0.5, "max"))
    result = run_trial(spec, tmp_path)
    assert list(result.epochs[0]["val"]) == ["loss", "accuracy", "macro_f1"]
    assert "best_val_macro_f1" in result.summary


def test_first_step_is_the_weighted_cross_entropy_of_the_first_shuffled_batch(make_spec: MakeSpec, tmp_path: Path) -> None:
    """The contract in numbers: model from manual_seed(seed), order from epoch_generator(seed, 1),
    loss cross-entropy with 'balanced' weights from the training split."""
    spec = make_spec(task="breast_cancer", class_balancing=True, epochs=1, seed=5)
    data = get_task("breast_cancer").load()
    torch.manual_seed(5)
    model = build_model("mlp", data.input_shape, data.num_classes)
    index = torch.randperm(len(data.train), generator=epoch_generator(5, 1))[:16]
    weights = balanced_class_weights(data.train.y, 2)
    expected = F.cross_entropy(model(data.train.x[index]), data.train.y[index], weight=weights).item()
    unweighted = F.cross_entropy(model(data.train.x[index]), data.train.y[index]).item()
    result = run_trial(spec, tmp_path)
    assert result.steps[0]["loss"] == expected
    assert expected != unweighted
    plain = run_trial(make_spec(task="breast_cancer", epochs=1, seed=5), tmp_path / "plain")
    assert plain.steps[0]["loss"] == unweighted


# -- determinism ------------------------------------------------------------------------------


def test_the_same_spec_twice_gives_identical_numbers(make_spec: MakeSpec, tmp_path: Path) -> None:
    spec = make_spec(task="digits", dropout=0.2, augmentation=True, schedule="entropy",
                     schedule_args={"interval": 3}, batch_size=128, accumulate=2)
    first, second = run_trial(spec, tmp_path / "a"), run_trial(spec, tmp_path / "b")
    assert without_timing(first.steps) == without_timing(second.steps)
    assert without_timing(first.epochs) == without_timing(second.epochs)
    assert first.test == second.test and first.adjustments == second.adjustments
    other_seed = run_trial(make_spec(**{**spec.identity(), "seed": 1}), tmp_path / "c")
    assert [s["loss"] for s in other_seed.steps] != [s["loss"] for s in first.steps]


# -- outcomes ---------------------------------------------------------------------------------


def test_a_huge_learning_rate_diverges_and_keeps_the_records(make_spec: MakeSpec, tmp_path: Path) -> None:
    result = run_trial(make_spec(task="digits", optimizer="sgd", lr=1e6, epochs=3), tmp_path)
    assert result.status == "diverged"
    assert "loss is nan" in result.error or "loss is inf" in result.error
    assert result.test is None
    assert len(result.steps) >= 1 and all(math.isfinite(s["loss"]) for s in result.steps)
    assert result.summary["stopped"] == "diverged" and result.summary["steps"] == len(result.steps)
    assert result.summary["wall_seconds"] > 0  # the steps before divergence count
    assert result.summary["collapsed"] is None  # diverged is its own failure, not also a collapse
    assert (tmp_path / "checkpoint.pt").exists() == bool(result.epochs)


def test_a_collapse_to_chance_completes_and_is_flagged(make_spec: MakeSpec, tmp_path: Path) -> None:
    """Adam at 0.3 on digits: the loss stays finite, every prediction becomes one class."""
    wrecked = run_trial(make_spec(task="digits", lr=0.3), tmp_path / "a")
    assert wrecked.status == "completed" and wrecked.test is not None  # it stays in the statistics
    assert wrecked.summary["collapsed"] is True and wrecked.summary["chance_metric"] == "accuracy"
    assert wrecked.summary["chance"] == pytest.approx(37 / 360)  # digits' largest class in validation
    assert wrecked.epochs[-1]["val"]["accuracy"] <= 0.15 and math.isfinite(wrecked.epochs[-1]["val"]["loss"])
    healthy = run_trial(make_spec(task="digits", lr=0.003), tmp_path / "b")
    assert healthy.summary["collapsed"] is False and healthy.summary["chance"] == wrecked.summary["chance"]


@pytest.mark.parametrize(("overrides", "message"), [
    ({"model": "no_such_model"}, "unknown model 'no_such_model'"),
    ({"task": "no_such_task"}, "unknown task 'no_such_task'"),
    ({"schedule": "no_such_schedule"}, "unknown schedule 'no_such_schedule'"),
    ({"schedule": "entropy", "schedule_args": {"threshold": 5.0}}, "threshold must be in"),
    ({"schedule": "entropy", "schedule_args": {"bogus": 1}}, "does not take ['bogus']"),
    ({"optimizer_args": {"bogus": 1}}, "does not take ['bogus']"),
    ({"metrics": ("accuracy", "bleu")}, "unknown metric(s) ['bleu']"),
    ({"accumulate": 0}, "accumulate must be an integer >= 1"),
    ({"augmentation": True}, "augmentation is not defined for task 'wine'"),
])
def test_an_invalid_spec_is_a_failed_trial_with_a_clear_error(
        make_spec: MakeSpec, tmp_path: Path, overrides: dict[str, Any], message: str) -> None:
    result = run_trial(make_spec(**overrides), tmp_path)
    assert result.status == "failed"
    assert message in result.error
    assert result.error.splitlines()[0].startswith("ValueError: ")
    assert "  at " in result.error  # the last traceback lines
    assert result.test is None and result.steps == [] and result.summary["stopped"] == "failed"


def test_an_error_inside_the_loop_is_a_failed_trial_keeping_the_records(
        make_spec: MakeSpec, tmp_path: Path) -> None:
    calls = []

    class Boom(LRScheduler):
        needs = frozenset({"loss"})

        def get_lr(self) -> list[float]:
            return [group["lr"] for group in self.optimizer.param_groups]

        def observe(self, **signals: Any) -> None:
            calls.append(signals)
            if len(calls) == 5:
                raise RuntimeError("scheduler blew up")

    with registered("boom", lambda optimizer, *, total_steps=None, warmup_steps=0: Boom(optimizer), {"loss"}):
        result = run_trial(make_spec(schedule="boom"), tmp_path)
    assert result.status == "failed" and "RuntimeError: scheduler blew up" in result.error
    assert len(result.steps) == 4 and result.test is None


def test_cuda_without_a_gpu_raises_instead_of_failing_the_trial(make_spec: MakeSpec, tmp_path: Path) -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ValueError, match="CUDA is not available"):
        run_trial(make_spec(device="cuda"), tmp_path)


# -- targets, early stopping, budget ----------------------------------------------------------


def test_time_to_target_when_reached_and_none_when_not(make_spec: MakeSpec, tmp_path: Path) -> None:
    reached = run_trial(make_spec(epochs=4, target=Target("accuracy", 0.6, "max")), tmp_path / "a")
    first = next(e for e in reached.epochs if e["val"]["accuracy"] >= 0.6)
    assert reached.summary["reached_target"] is True
    assert reached.summary["epochs_to_target"] == first["epoch"]
    assert reached.summary["steps_to_target"] == first["step"]
    assert reached.summary["seconds_to_target"] == first["elapsed"]
    never = run_trial(make_spec(epochs=2, target=Target("loss", 1e-9, "min")), tmp_path / "b")
    assert never.summary["reached_target"] is False
    assert never.summary["epochs_to_target"] is None and never.summary["steps_to_target"] is None


def test_early_stopping_on_a_flat_validation_metric(make_spec: MakeSpec, tmp_path: Path) -> None:
    # SGD at 1e-7 leaves the validation accuracy where it starts: no evaluation improves on the first.
    spec = make_spec(optimizer="sgd", lr=1e-7, epochs=10, early_stopping_patience=2,
                     target=Target("accuracy", 0.99, "max"))
    result = run_trial(spec, tmp_path)
    assert result.status == "completed" and result.test is not None
    assert result.summary["stopped"] == "early_stopping"
    assert len(result.epochs) == 3  # epoch 1 sets the best, epochs 2 and 3 do not beat it
    off = run_trial(make_spec(optimizer="sgd", lr=1e-7, epochs=4), tmp_path / "off")
    assert len(off.epochs) == 4 and off.summary["stopped"] == "epochs"


def test_the_time_budget_ends_training_after_the_epoch_that_passes_it(make_spec: MakeSpec, tmp_path: Path) -> None:
    result = run_trial(make_spec(epochs=5, max_seconds=1e-6), tmp_path)
    assert result.status == "completed" and result.test is not None
    assert len(result.epochs) == 1 and result.summary["stopped"] == "budget"


# -- optimizer, schedule and what the scheduler is fed ----------------------------------------


def test_gradient_accumulation_makes_ceil_batches_over_accumulate_steps(make_spec: MakeSpec, tmp_path: Path) -> None:
    result = run_trial(make_spec(batch_size=16, accumulate=3, epochs=2), tmp_path)
    assert len(result.steps) == 2 * math.ceil(math.ceil(106 / 16) / 3)  # 7 batches -> 3 steps
    assert [s["epoch"] for s in result.steps] == [1, 1, 1, 2, 2, 2]


def test_accumulated_micro_batches_step_like_one_large_batch(make_spec: MakeSpec, tmp_path: Path) -> None:
    # 4 micro-batches of 8 cover the same 32 examples as one batch of 32, with equal weight.
    small = run_trial(make_spec(batch_size=8, accumulate=4, epochs=1), tmp_path / "a")
    large = run_trial(make_spec(batch_size=32, accumulate=1, epochs=1), tmp_path / "b")
    for a, b in zip(small.steps[:3], large.steps[:3], strict=True):
        assert a["loss"] == pytest.approx(b["loss"], rel=1e-5)


def test_an_adaptive_schedule_moves_the_rate_and_logs_why(make_spec: MakeSpec, tmp_path: Path) -> None:
    constant = run_trial(make_spec(task="digits", optimizer="sgd", lr=0.05), tmp_path / "a")
    entropy = run_trial(make_spec(task="digits", optimizer="sgd", lr=0.05, schedule="entropy",
                                  schedule_args={"interval": 2}), tmp_path / "b")
    assert set(lrs(constant)) == {0.05}
    assert len(set(lrs(entropy))) > 1 and lrs(entropy) != lrs(constant)
    assert entropy.adjustments and entropy.summary["n_adjustments"] == len(entropy.adjustments)
    assert entropy.summary["mean_abs_log_lr_change"] > 0
    first = entropy.adjustments[0]
    assert set(first) == {"step", "old_lr", "new_lr", "rule", "signals"} and "entropy" in first["rule"]
    # An adjustment's "step" is the scheduler's count of steps taken when it decided: it was
    # decided during step record first["step"] + 1, and the next step runs at the new rate.
    decided_during = entropy.steps[first["step"]]
    assert decided_during["step"] == first["step"] + 1
    assert decided_during["lr"] == pytest.approx(first["old_lr"])
    assert entropy.steps[first["step"] + 1]["lr"] == pytest.approx(first["new_lr"])
    assert set(entropy.steps[-1]["signals"]) >= {"entropy", "confidence"}


def test_schedule_free_adamw_trains_in_train_mode_and_evaluates_in_eval_mode(
        make_spec: MakeSpec, tmp_path: Path) -> None:
    result = run_trial(make_spec(task="breast_cancer", schedule="schedulefree_adamw", lr=None,
                                 epochs=3), tmp_path)
    assert result.status == "completed"
    assert set(lrs(result)) == {0.0025}  # the package's default; the optimizer tunes itself
    assert result.epochs[-1]["val"]["accuracy"] > 0.9
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert state["optimizer"]["param_groups"][0]["train_mode"] is False  # saved in eval mode


class Spy(LRScheduler):
    """Holds the rate and keeps what ``observe`` received."""

    def __init__(self, optimizer: torch.optim.Optimizer, needs: frozenset[str], calls: list) -> None:
        self.needs, self.calls = needs, calls
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def observe(self, **signals: Any) -> None:
        if "loss_closure" in signals:
            signals["loss_closure"] = signals["loss_closure"]()  # call it while the batch is current
        self.calls.append(signals)


class registered:  # noqa: N801 - used like a function
    """Register a schedule for one test (the registry refuses a name twice)."""

    def __init__(self, name: str, factory: Callable[..., LRScheduler], needs: set[str]) -> None:
        self.name, self.factory, self.needs = name, factory, frozenset(needs)

    def __enter__(self) -> None:
        register(self.name, "adaptive", self.factory, "test spy", needs=self.needs)

    def __exit__(self, *exc: object) -> None:
        SCHEDULES.pop(self.name, None)


@pytest.fixture
def spy() -> Iterator[Callable[[set[str]], tuple[str, list]]]:
    names: list[str] = []

    def make(needs: set[str]) -> tuple[str, list]:
        name, calls = f"spy_{len(names)}_{'_'.join(sorted(needs))}", []
        needs_set = frozenset(needs)
        register(name, "adaptive",
                 lambda optimizer, *, total_steps=None, warmup_steps=0: Spy(optimizer, needs_set, calls),
                 "test spy", needs=needs_set)
        names.append(name)
        return name, calls

    yield make
    for name in names:
        SCHEDULES.pop(name, None)


@pytest.mark.parametrize("needs", [{"logits"}, {"loss"}, {"loss_closure"}, {"logits", "loss"}])
def test_each_step_feeds_exactly_the_signals_the_scheduler_needs(
        make_spec: MakeSpec, tmp_path: Path, spy: Any, needs: set[str]) -> None:
    name, calls = spy(needs)
    result = run_trial(make_spec(schedule=name, accumulate=2), tmp_path)
    assert len(calls) == len(result.steps) == 8  # 7 batches of 16 -> 4 steps per epoch
    assert all(set(call) == needs for call in calls)
    if "logits" in needs:
        logits = calls[0]["logits"]
        assert logits.shape == (16, 3) and not logits.requires_grad  # detached, last micro-batch
        assert calls[3]["logits"].shape == (10, 3)  # the epoch's last, short batch
    if "loss" in needs:
        assert [c["loss"] for c in calls] == [s["loss"] for s in result.steps]
    if "loss_closure" in needs:
        assert all(c["loss_closure"].requires_grad for c in calls)  # a loss with its graph


@pytest.mark.parametrize("needs", [{"val_metrics"}, {"val_metrics", "train_metrics"}])
def test_each_evaluation_feeds_validation_metrics_only_when_needed(
        make_spec: MakeSpec, tmp_path: Path, spy: Any, needs: set[str]) -> None:
    name, calls = spy(needs)
    result = run_trial(make_spec(schedule=name, epochs=3), tmp_path)
    assert [set(call) for call in calls] == [needs] * 3  # once per epoch, nothing per step
    assert [c["val_metrics"] for c in calls] == [e["val"] for e in result.epochs]
    if "train_metrics" in needs:
        assert [c["train_metrics"] for c in calls] == [e["train"] for e in result.epochs]


def test_a_scheduler_that_needs_only_gradients_is_never_called_with_signals(
        make_spec: MakeSpec, tmp_path: Path, spy: Any) -> None:
    name, calls = spy({"grads"})
    run_trial(make_spec(schedule=name), tmp_path)
    assert calls == []


def test_train_metrics_are_accumulated_from_the_training_passes(make_spec: MakeSpec, tmp_path: Path) -> None:
    result = run_trial(make_spec(epochs=1, batch_size=106), tmp_path)  # one full batch: one step
    (step,), (epoch,) = result.steps, result.epochs
    assert epoch["train"]["loss"] == pytest.approx(step["loss"], rel=1e-6)
    assert 0.0 <= epoch["train"]["accuracy"] <= 1.0


# -- on_epoch ----------------------------------------------------------------------------------


def test_on_epoch_gets_a_copy_of_each_epoch_record(make_spec: MakeSpec, tmp_path: Path) -> None:
    seen: list[dict[str, Any]] = []

    def on_epoch(record: dict[str, Any]) -> None:
        seen.append(record)
        record["val"]["loss"] = -1.0  # must not reach the result

    result = run_trial(make_spec(epochs=3), tmp_path, on_epoch=on_epoch)
    assert [r["epoch"] for r in seen] == [1, 2, 3]
    assert all(e["val"]["loss"] > 0 for e in result.epochs)


def test_a_schedulers_own_seed_follows_the_trial_seed(make_spec: MakeSpec, tmp_path: Path) -> None:
    seen: list[int] = []

    class SeededLR(torch.optim.lr_scheduler.ConstantLR):
        def __init__(self, optimizer, seed: int = -1) -> None:
            seen.append(seed)
            super().__init__(optimizer, factor=1.0, total_iters=0)

    register("seeded-test", "baseline", lambda optimizer, *, total_steps=None, warmup_steps=0, seed=-1: SeededLR(optimizer, seed), "test")
    try:
        run_trial(make_spec(schedule="seeded-test", seed=7, epochs=1), tmp_path / "a")
        run_trial(make_spec(schedule="seeded-test", seed=7, epochs=1, schedule_args={"seed": 3}), tmp_path / "b")
    finally:
        SCHEDULES.pop("seeded-test")
    assert seen == [7, 3]  # the trial's seed by default; the plan's own value wins
