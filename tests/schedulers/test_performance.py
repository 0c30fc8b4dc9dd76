"""PerformanceLR: the rule on scripted validation streams, then on a real model."""

from __future__ import annotations

import pytest
import torch

from helpers import Loop, batches, make_model
from lrlab.schedulers import PerformanceLR, PerformanceRule


def drive(sched: PerformanceLR, val_losses, train_losses=None):
    for i, v in enumerate(val_losses):
        train = None if train_losses is None else {"loss": train_losses[i]}
        sched.observe(val_metrics={"loss": v, "accuracy": 0.5}, train_metrics=train)
        sched.step()
    return [a["rule"].split(":")[0] for a in sched.adjustments]


def sgd(lr: float = 0.1) -> torch.optim.Optimizer:
    return torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=lr)


def test_raises_while_improving_and_cuts_after_patience():
    sched = PerformanceLR(sgd(), increase=1.1, decrease=0.5, patience=2)
    rules = drive(sched, [1.0, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8])
    # 1.0 sets the reference; two improvements; then plateau 1, 2, 3, 4: with no cooldown the
    # rule cuts at every evaluation from plateau >= patience on.
    assert rules == ["improving", "improving", "plateau", "plateau", "plateau"]
    assert sched.get_last_lr()[0] == pytest.approx(0.1 * 1.1**2 * 0.5**3)


def test_cooldown_spaces_plateau_cuts():
    sched = PerformanceLR(sgd(), decrease=0.5, patience=1, cooldown=2)
    rules = drive(sched, [1.0] + [1.0] * 6)
    assert rules == ["plateau", "plateau"]  # plateau 1 -> cut, wait 2, plateau 4 -> cut, wait 2


def test_monitor_max_mode_for_accuracy():
    sched = PerformanceLR(sgd(), monitor="accuracy", increase=1.2)
    for acc in (0.5, 0.6, 0.7):
        sched.observe(val_metrics={"accuracy": acc})
        sched.step()
    assert sched.get_last_lr()[0] == pytest.approx(0.1 * 1.2**2)


def test_widening_gap_is_overfitting_even_while_improving():
    sched = PerformanceLR(sgd(), patience=10, gap_patience=2, gap_tolerance=0.05)
    # val improves slowly while train loss drops fast: the gap widens 0.0 -> 0.1 -> 0.2 -> 0.3
    rules = drive(sched, [1.0, 0.99, 0.98, 0.97], train_losses=[1.0, 0.89, 0.78, 0.67])
    assert rules == ["improving", "overfitting", "improving"]


def test_missing_monitor_key_is_a_clear_error():
    sched = PerformanceLR(sgd(), monitor="f1")
    with pytest.raises(ValueError, match="no 'f1'"):
        sched.observe(val_metrics={"loss": 1.0})


def test_rule_alone_on_numbers():
    rule = PerformanceRule(increase=1.05, decrease=0.5, patience=3)
    state = rule.initial_state()
    state, d = rule.decide(state, improved=False, plateau=2, gap=float("nan"))
    assert d is None
    state, d = rule.decide(state, improved=False, plateau=3, gap=float("nan"))
    assert d is not None and d.multiplier == 0.5


@pytest.mark.parametrize("optim", ["sgd", "adam"])
def test_real_training_with_evaluations(blobs, optim):
    x, y = blobs
    model = make_model()
    groups = [{"params": model[0].parameters(), "lr": 0.02}, {"params": model[2].parameters(), "lr": 0.01}]
    opt = torch.optim.SGD(groups) if optim == "sgd" else torch.optim.Adam(groups)
    sched = PerformanceLR(opt, patience=1)
    val = (x[:128], y[:128])
    loop = Loop(model, opt, sched, accumulate=2, eval_every=4, val=val).run(batches(x[128:], y[128:], 16) * 4)
    assert loop.steps == 48
    assert sched.adjustments and sched.adjustments[0]["rule"] == "improving"
    for a in sched.adjustments:
        assert a["new_lr"][0] / a["new_lr"][1] == pytest.approx(2.0)
    # the rate only changes right after an evaluation (every 4 steps), at once: the rate the loop
    # reads after the evaluation that follows step 4k (lrs[4k - 1]) is already the new one
    changes = [i for i in range(1, len(loop.lrs)) if loop.lrs[i] != loop.lrs[i - 1]]
    assert changes and all((i + 1) % 4 == 0 for i in changes)
