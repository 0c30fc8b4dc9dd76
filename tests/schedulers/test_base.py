"""The shared shell: bounds, proportional groups, warm-up, validation, the adjustment log."""

from __future__ import annotations

import math
import warnings

import pytest
import torch

from lrlab.schedulers import AdaptiveLR, Decision, EntropyLR, PerformanceLR, make_scheduler
from lrlab.schedulers.base import EVALUATION_GRACE, SignalWarning


class Scripted(AdaptiveLR):
    """A scheduler whose rule is whatever the test says: observe(loss=m) multiplies by m."""

    needs = frozenset({"loss"})

    def _observe(self, loss=None, **_):
        return None if loss is None else Decision(loss, "scripted", {"m": loss})


def two_groups(lr_a: float = 0.1, lr_b: float = 0.01) -> torch.optim.Optimizer:
    a, b = torch.nn.Linear(2, 2), torch.nn.Linear(2, 1)
    return torch.optim.SGD([{"params": a.parameters(), "lr": lr_a}, {"params": b.parameters(), "lr": lr_b}])


def test_a_decision_in_observe_applies_to_all_groups_in_proportion_at_once():
    opt = two_groups()
    sched = Scripted(opt)
    sched.observe(loss=0.5)
    # Applied now: a loop that logs the rate right after observe() logs the new one.
    assert sched.get_last_lr() == pytest.approx([0.05, 0.005])
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.05, 0.005])
    sched.step()  # and step() keeps it
    assert sched.get_last_lr() == pytest.approx([0.05, 0.005])
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.05, 0.005])


def test_rates_stay_inside_bounds_and_groups_stay_in_proportion():
    opt = two_groups()
    sched = Scripted(opt, min_lr=0.001, max_lr=0.2)
    for _ in range(10):
        sched.observe(loss=3.0)
        sched.step()
    # Group a hits max_lr=0.2 at scale 2; group b is held in proportion at 0.02.
    assert sched.get_last_lr() == pytest.approx([0.2, 0.02])
    for _ in range(30):
        sched.observe(loss=0.1)
        sched.step()
    # Group b hits min_lr=0.001 at scale 0.1; group a is held at 0.01.
    assert sched.get_last_lr() == pytest.approx([0.01, 0.001])


def test_default_max_lr_is_ten_times_initial():
    opt = two_groups()
    sched = Scripted(opt)
    for _ in range(50):
        sched.observe(loss=2.0)
        sched.step()
    assert sched.get_last_lr() == pytest.approx([1.0, 0.1])


def test_every_change_is_logged_with_step_rates_rule_and_signals():
    opt = two_groups()
    sched = Scripted(opt)
    sched.step()
    sched.observe(loss=0.5)
    sched.observe(loss=1.0)  # no change: not logged
    assert sched.adjustments == [{"step": 1, "old_lr": [0.1, 0.01], "new_lr": [0.05, 0.005],
                                  "rule": "scripted", "signals": {"m": 0.5}}]


@pytest.mark.parametrize("bad", [math.nan, math.inf, -1.0, 0.0])
def test_non_finite_or_non_positive_multipliers_are_ignored(bad):
    opt = two_groups()
    sched = Scripted(opt)
    sched.observe(loss=bad)
    sched.step()
    assert sched.get_last_lr() == [0.1, 0.01]
    assert sched.adjustments == []


def test_warmup_ramps_linearly_and_holds_decisions_back():
    opt = two_groups()
    sched = Scripted(opt, warmup_steps=4)
    seen = [sched.get_last_lr()[0]]
    for _ in range(5):
        sched.observe(loss=0.5)  # ignored during warm-up
        sched.step()
        seen.append(sched.get_last_lr()[0])
    assert seen[:4] == pytest.approx([0.025, 0.05, 0.075, 0.1])
    # The decision at step 4 (first after warm-up) applies at step 5.
    assert seen[4] == pytest.approx(0.1) and seen[5] == pytest.approx(0.05)


def test_unknown_signal_is_rejected_and_unneeded_ones_ignored():
    sched = Scripted(two_groups())
    with pytest.raises(ValueError, match="unknown signal"):
        sched.observe(gradient=1.0)
    sched.observe(logits=torch.zeros(2, 3))  # a known signal this scheduler does not need
    assert sched.adjustments == []


@pytest.mark.parametrize("kwargs, match", [
    ({"min_lr": 0.5, "max_lr": 0.1}, "min_lr"),
    ({"min_lr": -1.0}, "min_lr"),
    ({"max_lr": [0.1]}, "max_lr has 1 values"),
    ({"warmup_steps": -1}, "warmup_steps"),
    ({"min_lr": 0.05, "max_lr": 0.2}, "in proportion"),  # group b (0.01) would need scale >= 5, a <= 2
])
def test_bad_bounds_raise_value_error_naming_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Scripted(two_groups(), **kwargs)


@pytest.mark.parametrize("cls, kwargs, name", [
    (EntropyLR, {"factor": -0.1}, "factor"),
    (EntropyLR, {"factor": 1.5}, "factor"),
    (EntropyLR, {"threshold": 1.5}, "threshold"),
    (EntropyLR, {"interval": 0}, "interval"),
    (EntropyLR, {"mode": "sideways"}, "mode"),
    (EntropyLR, {"increase_factor": 0.5}, "increase_factor"),
    (PerformanceLR, {"decrease": 2.0}, "decrease"),
    (PerformanceLR, {"patience": 0}, "patience"),
])
def test_constructor_rejects_bad_arguments(cls, kwargs, name):
    with pytest.raises(ValueError, match=name):
        cls(two_groups(), **kwargs)


def test_not_an_optimizer_is_a_type_error():
    with pytest.raises(TypeError):
        Scripted("sgd")  # type: ignore[arg-type]


# -- what the loop feeds: shapes, missing signals, and when a decision shows -----------------------
def sgd(lr: float = 0.1) -> torch.optim.Optimizer:
    return torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=lr)


def signal_warnings(caught: list[warnings.WarningMessage]) -> list[warnings.WarningMessage]:
    return [w for w in caught if issubclass(w.category, SignalWarning)]


@pytest.mark.parametrize("make", [PerformanceLR, lambda opt: make_scheduler("plateau", opt)])
def test_metrics_in_the_wrong_shape_are_one_line_saying_what_is_expected(make):
    sched = make(sgd())
    with pytest.raises(TypeError) as error:
        sched.observe(val_metrics=0.5)
    message = str(error.value)
    assert "\n" not in message and "not iterable" not in message
    assert message == ("val_metrics must be a dict of metric name to number, e.g. "
                       "observe(val_metrics={'loss': 0.42, 'accuracy': 0.91}); got float 0.5")
    with pytest.raises(TypeError, match=r"train_metrics must be a dict .* got list"):
        sched.observe(val_metrics={"loss": 0.5}, train_metrics=[0.3])


def test_per_step_signals_in_the_wrong_shape_are_named():
    sched = EntropyLR(sgd())
    with pytest.raises(TypeError, match=r"^logits must be a Tensor of shape \(batch, classes\).*; got list$"):
        sched.observe(logits=[[0.1, 0.9]])
    with pytest.raises(TypeError, match=r"^loss must be a number or a 0-d Tensor.*; got str 'high'$"):
        sched.observe(loss="high")
    with pytest.raises(TypeError, match=r"^loss_closure must be a callable"):
        sched.observe(loss_closure=1.0)


def test_a_per_step_signal_never_fed_is_warned_about_once_naming_it():
    sched = EntropyLR(sgd(), threshold=0.1, interval=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(30):
            sched.optimizer.step()
            sched.step()  # the loop forgot observe(logits=...)
    caught = signal_warnings(caught)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "EntropyLR needs 'logits' but has had none in 10 steps" in message
    assert "scheduler.observe(logits=...) every step" in message
    assert caught[0].filename == __file__  # points at the loop's line, not lrlab's


def test_evaluation_signals_never_fed_are_warned_about_after_the_evaluation_grace():
    sched = PerformanceLR(sgd())
    with warnings.catch_warnings():
        warnings.simplefilter("error", SignalWarning)
        for _ in range(EVALUATION_GRACE - 1):
            sched.optimizer.step()
            sched.step()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sched.step()
    caught = signal_warnings(caught)
    assert sorted(str(w.message).split("'")[1] for w in caught) == ["train_metrics", "val_metrics"]
    assert all("after each evaluation" in str(w.message) for w in caught)


def test_plateau_without_val_metrics_is_warned_about_too():
    sched = make_scheduler("plateau", sgd())
    with pytest.warns(SignalWarning, match="PlateauLR needs 'val_metrics' but has had none in 1000 steps"):
        for _ in range(EVALUATION_GRACE):
            sched.optimizer.step()
            sched.step()


def test_a_call_without_a_signal_the_rule_reads_with_it_is_warned_about_once():
    sched = PerformanceLR(sgd())
    with pytest.warns(SignalWarning, match="PerformanceLR needs 'train_metrics' with val_metrics") as caught:
        sched.observe(val_metrics={"loss": 1.0})
        sched.observe(val_metrics={"loss": 0.9})
    assert len(caught) == 1


def test_a_loop_that_feeds_what_is_needed_hears_nothing():
    x = torch.randn(64, 2)
    model = torch.nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    entropy, performance = EntropyLR(opt, guard=False), PerformanceLR(sgd())
    with warnings.catch_warnings():
        warnings.simplefilter("error", SignalWarning)
        for step in range(EVALUATION_GRACE + 1):
            opt.step()
            entropy.observe(logits=model(x))
            entropy.step()
            performance.optimizer.step()
            performance.step()
            if step % 100 == 0:
                performance.observe(val_metrics={"loss": 1.0}, train_metrics={"loss": 0.9})


def test_a_decision_after_an_evaluation_shows_at_once_and_the_next_step_trains_with_it():
    """The README's validation-driven loop: step() every batch, observe() after each evaluation."""
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = PerformanceLR(opt, patience=1, decrease=0.5, guard=False)
    used: list[float] = []
    opt.register_step_pre_hook(lambda optimizer, args, kwargs: used.append(optimizer.param_groups[0]["lr"]))
    logged = []
    for val_loss in [1.0, 1.0]:  # no improvement at the second evaluation: halve
        for _ in range(3):
            opt.zero_grad()
            model(torch.ones(1, 2)).sum().backward()
            opt.step()
            sched.step()
        sched.observe(val_metrics={"loss": val_loss}, train_metrics={"loss": 0.5})
        logged.append(sched.get_last_lr()[0])  # what a loop logs at the end of the epoch
    assert logged == pytest.approx([0.1, 0.05])
    assert opt.param_groups[0]["lr"] == pytest.approx(0.05)
    opt.step()
    assert used[-1] == pytest.approx(0.05)  # the first step after the evaluation used the new rate
    assert sched.adjustments[0]["step"] == 6 and sched.adjustments[0]["new_lr"] == pytest.approx([0.05])


def test_a_loop_that_evaluates_rarely_raises_the_grace_and_is_not_warned_before_it():
    sched = PerformanceLR(sgd())
    sched.evaluation_grace = 1500  # this loop evaluates every 1499 steps
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(1499):
            sched.optimizer.step()
            sched.step()
        assert signal_warnings(caught) == []
        sched.step()
    assert len(signal_warnings(caught)) == 2 and "every 1500 steps" in str(signal_warnings(caught)[0].message)
