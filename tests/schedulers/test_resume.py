"""Save at step k, load into a fresh model + optimizer + scheduler, continue: the same path."""

from __future__ import annotations

import pytest
import torch

from helpers import Loop, batches, make_blobs, make_model, roundtrip
from lrlab.schedulers import make_optimizer, make_scheduler

CASES = {
    "entropy": {"threshold": 0.3, "interval": 3, "mode": "relative", "increase_factor": 1.2},
    "entropy-absolute": {"threshold": 0.3, "interval": 3},
    "performance": {"patience": 1, "increase": 1.1},
    "gradvar": {"window": 3},
    "gradvar-noise": {"window": 3, "statistic": "noise_scale"},
    "curvature": {"interval": 2},
    "curvature-quadratic": {"interval": 3, "rate_rule": "quadratic_step"},
    "curvature-hessian": {"mode": "hessian", "hessian_interval": 3},
    "composite": {"signal": "entropy", "rule": "threshold", "threshold": 0.2, "interval": 3, "patience": 2},
    "composite-cosine-noise-raise": {"base": "cosine", "signal": "grad_noise", "history": 1, "interval": 3,
                                     "up": 1.1, "max_factor": 2.0, "min_factor": 0.01},
    "composite-val-or-loss": {"signal": "val_loss", "signal2": "loss_trend", "combine": "or", "history": 2,
                              "direction": "cut_when_low", "interval": 3, "patience": 2},
    "composite-linear-curvature-cv": {"base": "linear", "signal": "curvature", "signal2": "grad_cv",
                                      "combine": "and", "rule": "threshold", "threshold": 0.01, "interval": 2,
                                      "up": 1.2, "max_factor": 4.0, "direction": "cut_when_low"},
    "constant": {},
    "step": {"step_size": 7},
    "cosine": {},
    "linear": {},
    "plateau": {"patience": 0},
    "onecycle": {},
    "prodigy": {},
    "schedulefree_adamw": {},
}
TOTAL, SPLIT = 30, 13


def build(case: str):
    model = make_model(seed=1)
    name = case.split("-")[0]
    if name in ("prodigy", "schedulefree_adamw"):
        opt = make_optimizer(name, model.parameters())
    else:
        groups = [{"params": model[0].parameters(), "lr": 0.05}, {"params": model[2].parameters(), "lr": 0.02}]
        opt = torch.optim.SGD(groups, momentum=0.9)
    sched = make_scheduler(name, opt, total_steps=TOTAL, warmup_steps=2 if name in ("entropy", "composite") else 0, **CASES[case])
    return model, opt, sched


@pytest.mark.parametrize("case", sorted(CASES))
def test_resume_follows_the_uninterrupted_path(case):
    x, y = make_blobs(n=TOTAL * 16, seed=3)
    data = batches(x[64:], y[64:], 16)[:TOTAL]
    val = (x[:64], y[:64])

    model, opt, sched = build(case)
    full = Loop(model, opt, sched, eval_every=2, val=val).run(data)

    model, opt, sched = build(case)
    first = Loop(model, opt, sched, eval_every=2, val=val).run(data[:SPLIT])
    checkpoint = roundtrip({"model": model.state_dict(), "optimizer": opt.state_dict(),
                            "scheduler": sched.state_dict()})

    model, opt, sched = build(case)  # fresh objects, as in a new process
    model.load_state_dict(checkpoint["model"])
    opt.load_state_dict(checkpoint["optimizer"])
    sched.load_state_dict(checkpoint["scheduler"])
    second = Loop(model, opt, sched, eval_every=2, val=val)
    second.steps = SPLIT
    second.train_losses = list(first.train_losses)
    second.run(data[SPLIT:])

    assert first.lrs + second.lrs == full.lrs
    for a, b in zip(model.parameters(), full.model.parameters(), strict=True):
        assert torch.equal(a, b)
    if case.split("-")[0] in ("entropy", "performance", "gradvar", "curvature", "composite"):
        assert sched.adjustments == full.scheduler.adjustments
        assert len({tuple(lr) for lr in full.lrs}) > 1, "the case must exercise a changing rate"
    if case.startswith("composite"):  # its base changes the rate anyway: the factor must change too
        assert full.scheduler.adjustments, "the case must exercise the adaptive factor"
