"""The shared shell: bounds, proportional groups, warm-up, validation, the adjustment log."""

from __future__ import annotations

import math

import pytest
import torch

from lrlab.schedulers import AdaptiveLR, Decision, EntropyLR, PerformanceLR


class Scripted(AdaptiveLR):
    """A scheduler whose rule is whatever the test says: observe(loss=m) multiplies by m."""

    needs = frozenset({"loss"})

    def _observe(self, loss=None, **_):
        return None if loss is None else Decision(loss, "scripted", {"m": loss})


def two_groups(lr_a: float = 0.1, lr_b: float = 0.01) -> torch.optim.Optimizer:
    a, b = torch.nn.Linear(2, 2), torch.nn.Linear(2, 1)
    return torch.optim.SGD([{"params": a.parameters(), "lr": lr_a}, {"params": b.parameters(), "lr": lr_b}])


def test_multiplier_applies_to_all_groups_in_proportion_at_the_next_step():
    opt = two_groups()
    sched = Scripted(opt)
    sched.observe(loss=0.5)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]  # not before step()
    sched.step()
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
