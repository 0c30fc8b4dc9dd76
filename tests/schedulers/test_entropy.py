"""EntropyLR: the rule on scripted entropy values, then on a real model."""

from __future__ import annotations

import pytest
import torch

from helpers import Loop, batches, make_model
from lrlab.schedulers import EntropyLR, EntropyRule


def run_rule(rule: EntropyRule, entropies, confidences=None):
    state = rule.initial_state()
    fired = []
    for i, h in enumerate(entropies):
        c = confidences[i] if confidences else 0.5
        state, decision = rule.decide(state, h, c)
        fired.append(None if decision is None else decision.multiplier)
    return fired


def test_absolute_rule_fires_every_interval_only_above_threshold():
    rule = EntropyRule(threshold=0.5, factor=0.9, interval=10)
    fired = run_rule(rule, [0.8] * 20 + [0.3] * 10)
    assert [i for i, m in enumerate(fired) if m is not None] == [9, 19]
    assert fired[9] == fired[19] == 0.9
    assert fired[29] is None  # below the threshold at the third decision point


def test_relative_rule_cuts_only_when_entropy_rises_above_its_trend():
    rule = EntropyRule(mode="relative", interval=1, window=3, tolerance=0.01)
    # High but falling entropy (a fresh model): the absolute rule would cut every time.
    falling = [0.95, 0.9, 0.85, 0.8, 0.75]
    assert run_rule(rule, falling) == [None] * 5
    # Rising back above the mean of the last three values (+ tolerance) cuts.
    fired = run_rule(rule, [0.5, 0.5, 0.5, 0.6])
    assert fired == [None, None, None, rule.factor]


def test_increase_when_confidently_improving():
    rule = EntropyRule(threshold=0.5, interval=1, increase_factor=1.1, confidence_threshold=0.9)
    fired = run_rule(rule, [0.3, 0.2, 0.25, 0.1], confidences=[0.95, 0.95, 0.95, 0.8])
    # first: no previous decision point; second: confident and falling; third: rising; fourth: not confident
    assert fired == [None, 1.1, None, None]


def test_uncertain_model_rate_falls_by_factor_every_interval(blobs):
    x, y = blobs
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.001)
    sched = EntropyLR(opt, threshold=0.99, interval=5, smoothing=0.0)
    # A zero-initialised output layer predicts uniformly: entropy 1 > 0.99 at every decision,
    # until training makes the model confident.
    torch.nn.init.zeros_(model[2].weight)
    torch.nn.init.zeros_(model[2].bias)
    loop = Loop(model, opt, sched).run(batches(x, y)[:10])
    assert [a["step"] for a in sched.adjustments] == [4, 9]  # observed after steps 5 and 10
    assert loop.lrs[4] == pytest.approx([0.0009]) and loop.lrs[3] == pytest.approx([0.001])
    assert loop.lrs[-1] == pytest.approx([0.001 * 0.9**2])


@pytest.mark.parametrize("optim", ["sgd", "adam"])
def test_real_training_two_groups_accumulation(blobs, optim):
    x, y = blobs
    model = make_model()
    groups = [{"params": model[0].parameters(), "lr": 0.05}, {"params": model[2].parameters(), "lr": 0.01}]
    opt = torch.optim.SGD(groups, momentum=0.9) if optim == "sgd" else torch.optim.Adam(groups)
    sched = EntropyLR(opt, threshold=0.3, interval=4)
    loop = Loop(model, opt, sched, accumulate=2).run(batches(x, y, 16) * 3)
    assert loop.steps == 48
    assert sched.adjustments, "an uncertain model at threshold 0.3 must trigger cuts"
    # Every adjustment fired at a decision point, and both groups kept their 5:1 ratio.
    for a in sched.adjustments:
        assert a["new_lr"][0] / a["new_lr"][1] == pytest.approx(5.0)
        assert a["signals"]["entropy"] > 0.3
    assert loop.lrs[-1][0] < 0.05
    assert sum(loop.train_losses[-16:]) < sum(loop.train_losses[:16])  # it still learns
