"""GradVarLR: the rule on scripted variability, the hook on a real model."""

from __future__ import annotations

import pytest
import torch

from helpers import Loop, batches, make_model
from lrlab.schedulers import GradVarLR, GradVarRule


def test_rule_lowers_on_rise_raises_on_fall_and_waits_for_a_previous_window():
    rule = GradVarRule(factor=0.1)
    state = rule.initial_state()
    out = []
    for v in (0.5, 0.7, 0.3, 0.3, float("nan"), 0.4):
        state, d = rule.decide(state, v)
        out.append(None if d is None else round(d.multiplier, 6))
    assert out == [None, 0.9, 1.1, None, None, 0.9]


def test_tolerance_ignores_small_changes():
    rule = GradVarRule(factor=0.1, tolerance=0.2)
    state, _ = rule.decide(rule.initial_state(), 1.0)
    state, d = rule.decide(state, 1.1)
    assert d is None
    _, d = rule.decide(state, 1.5)
    assert d is not None and d.multiplier == pytest.approx(0.9)


def scripted_norms(sched: GradVarLR, model: torch.nn.Module, opt, norms):
    """Give the optimizer gradients with exactly these global norms, one per step."""
    for n in norms:
        opt.zero_grad(set_to_none=True)
        params = list(model.parameters())
        for p in params:
            p.grad = torch.zeros_like(p)
        params[0].grad.view(-1)[0] = n
        opt.step()
        sched.step()


def test_hook_reads_gradients_and_compares_non_overlapping_windows():
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = GradVarLR(opt, window=3, factor=0.1)
    # window 1: cv of (1,1,1) = 0; window 2: (1,2,3) cv 0.5 -> rose; window 3: (2,2,2.2) -> fell
    scripted_norms(sched, model, opt, [1, 1, 1, 1, 2, 3, 2, 2, 2.2])
    assert [a["step"] for a in sched.adjustments] == [5, 8]
    assert sched.adjustments[0]["signals"]["variability"] == pytest.approx(0.5)
    assert sched.get_last_lr()[0] == pytest.approx(0.1 * 0.9 * 1.1)
    assert sched.signals["grad_norm"] == pytest.approx(2.2)


def test_std_statistic():
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = GradVarLR(opt, window=2, statistic="std")
    scripted_norms(sched, model, opt, [1, 3, 10, 12, 5, 5])  # std: 1.414, 1.414, 0
    assert [round(a["new_lr"][0], 4) for a in sched.adjustments] == [0.11]


@pytest.mark.parametrize("optim", ["sgd", "adam"])
@pytest.mark.parametrize("statistic", ["cv", "noise_scale"])
def test_real_training_accumulation_and_two_groups(blobs, optim, statistic):
    x, y = blobs
    model = make_model()
    groups = [{"params": model[0].parameters(), "lr": 0.03}, {"params": model[2].parameters(), "lr": 0.01}]
    opt = torch.optim.SGD(groups, momentum=0.9) if optim == "sgd" else torch.optim.Adam(groups)
    sched = GradVarLR(opt, window=5, statistic=statistic)
    loop = Loop(model, opt, sched, accumulate=2).run(batches(x, y, 16) * 3)
    assert loop.steps == 48
    # Windows end at steps 5, 10, ...; the first has nothing to compare with.
    assert sched.adjustments, "real gradients change variability between windows"
    assert all((a["step"] + 1) % 5 == 0 and a["step"] >= 9 for a in sched.adjustments)
    for a in sched.adjustments:
        assert a["new_lr"][0] / a["new_lr"][1] == pytest.approx(3.0)
        ratio = a["new_lr"][0] / a["old_lr"][0]
        assert ratio == pytest.approx(0.9) or ratio == pytest.approx(1.1)
