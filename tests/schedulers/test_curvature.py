"""CurvatureLR: the rule on numbers, secant and Hessian modes on real problems."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from helpers import Loop, batches, make_model
from lrlab.schedulers import CurvatureLR, CurvatureRule


def test_rule_targets_c_over_curvature_and_stays_below_stability_limit():
    rule = CurvatureRule(c=1.0)
    d = rule.decide(curvature=4.0, current_lr=0.1, initial_lr=0.1)
    assert d.multiplier == pytest.approx(2.5)  # 0.1 -> 1/4
    assert d.signals["target_lr"] < d.signals["stability_limit"] == 0.5
    assert rule.decide(None, 0.1, 0.1) is None
    assert rule.decide(-3.0, 0.1, 0.1) is None
    assert rule.decide(math.nan, 0.1, 0.1) is None


def test_cap_policy_never_exceeds_the_initial_rate():
    rule = CurvatureRule(c=1.0, policy="cap")
    assert rule.decide(curvature=1.0, current_lr=0.05, initial_lr=0.1).multiplier == pytest.approx(2.0)
    assert rule.decide(curvature=100.0, current_lr=0.1, initial_lr=0.1).multiplier == pytest.approx(0.1)


def least_squares(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(64, 6, generator=g)
    y = x @ torch.randn(6, 1, generator=g)
    design = torch.cat([x, torch.ones(64, 1)], 1)
    eigs = torch.linalg.eigvalsh(2 * design.T @ design / 64)
    return x, y, eigs


def test_secant_on_least_squares_lands_between_inverse_extreme_eigenvalues():
    x, y, eigs = least_squares()
    torch.manual_seed(0)
    model = torch.nn.Linear(6, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    sched = CurvatureLR(opt, interval=5, max_lr=10.0, smoothing=0.5)
    for _ in range(40):
        opt.zero_grad(set_to_none=True)
        F.mse_loss(model(x), y).backward()
        opt.step()
        sched.step()
    lam = sched.signals["curvature"]
    assert float(eigs.min()) - 1e-4 <= lam <= float(eigs.max()) + 1e-4
    assert sched.get_last_lr()[0] == pytest.approx(1.0 / lam, rel=0.2)
    assert all(a["rule"].startswith("lr -> 1.0/λ̂") for a in sched.adjustments)


def test_hessian_mode_finds_the_top_eigenvalue_and_keeps_rng_and_grads():
    x, y, eigs = least_squares()
    torch.manual_seed(0)
    model = torch.nn.Linear(6, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    sched = CurvatureLR(opt, mode="hessian", hessian_interval=5, hessian_iters=20, smoothing=0.0, max_lr=10.0)
    assert sched.needs == {"grads", "loss_closure", "val_metrics", "loss"}  # its own, and the guard's
    for step in range(10):
        opt.zero_grad(set_to_none=True)
        F.mse_loss(model(x), y).backward()
        opt.step()
        grads = [p.grad.clone() for p in model.parameters()]
        rng = torch.get_rng_state()
        sched.observe(loss_closure=lambda: F.mse_loss(model(x), y))
        assert torch.equal(torch.get_rng_state(), rng)
        assert all(torch.equal(g, p.grad) for g, p in zip(grads, model.parameters(), strict=True))
        sched.step()
        if step == 0:
            assert sched.signals["hessian_eigenvalue"] == pytest.approx(float(eigs.max()), rel=1e-3)
            assert sched.signals["hessian_trace"] > 0
    # probes at observations 1 and 6 -> two decisions, both setting lr = 1/λ_max
    assert [a["step"] for a in sched.adjustments] == [0, 5]
    assert sched.get_last_lr()[0] == pytest.approx(1.0 / float(eigs.max()), rel=1e-3)


@pytest.mark.parametrize("optim", ["sgd", "adam"])
@pytest.mark.parametrize("mode", ["secant", "hessian"])
def test_real_training_two_groups_accumulation(blobs, optim, mode):
    x, y = blobs
    model = make_model()
    groups = [{"params": model[0].parameters(), "lr": 0.04}, {"params": model[2].parameters(), "lr": 0.01}]
    opt = torch.optim.SGD(groups, momentum=0.9) if optim == "sgd" else torch.optim.Adam(groups)
    sched = CurvatureLR(opt, mode=mode, policy="cap", interval=4, hessian_interval=8)
    loop = Loop(model, opt, sched, accumulate=2).run(batches(x, y, 16) * 3)
    assert loop.steps == 48
    assert math.isfinite(sched.signals["curvature"]) and sched.signals["curvature"] > 0
    assert math.isfinite(sched.signals["grad_norm"])
    for lrs in loop.lrs:  # cap: never above the initial rates; always 4:1
        assert lrs[0] <= 0.04 + 1e-12 and lrs[0] / lrs[1] == pytest.approx(4.0)
    assert sum(loop.train_losses[-16:]) < sum(loop.train_losses[:16])


def test_bad_arguments():
    opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
    for kwargs, name in [({"c": 2.0}, "c"), ({"c": 0.0}, "c"), ({"mode": "exact"}, "mode"),
                         ({"policy": "max"}, "policy"), ({"hessian_iters": 0}, "hessian_iters"),
                         ({"interval": 0}, "interval"), ({"smoothing": 1.0}, "smoothing")]:
        with pytest.raises(ValueError, match=name):
            CurvatureLR(opt, **kwargs)


def train_least_squares(optimizer_factory, steps=60, **kwargs):
    x, y, _ = least_squares()
    torch.manual_seed(0)
    model = torch.nn.Linear(6, 1)
    opt = optimizer_factory(model.parameters())
    sched = CurvatureLR(opt, interval=5, max_lr=10.0, **kwargs)
    losses = []
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        loss = F.mse_loss(model(x), y)
        loss.backward()
        losses.append(loss.item())
        opt.step()
        sched.step()
    return sched, losses


def test_quadratic_step_equals_inverse_curvature_for_plain_gradient_descent():
    plain = lambda p: torch.optim.SGD(p, lr=0.01)  # noqa: E731
    # 20 steps: before the gradient is so small that float32 rounding dominates the secant.
    inverse, _ = train_least_squares(plain, steps=20)
    quadratic, _ = train_least_squares(plain, steps=20, rate_rule="quadratic_step")
    assert len(inverse.adjustments) == len(quadratic.adjustments) == 4
    for a, b in zip(inverse.adjustments, quadratic.adjustments, strict=True):
        assert b["new_lr"][0] == pytest.approx(a["new_lr"][0], rel=1e-4)
    assert quadratic.signals["effective_curvature"] == pytest.approx(quadratic.signals["secant_curvature"], rel=1e-4)


def test_quadratic_step_adapts_adam_and_still_converges():
    sched, losses = train_least_squares(lambda p: torch.optim.Adam(p, lr=0.01), rate_rule="quadratic_step")
    assert sched.adjustments and math.isfinite(sched.signals["effective_curvature"])
    # Adam's steps are ~lr per coordinate: the quadratic model asks for a much larger rate here.
    assert sched.get_last_lr()[0] > 0.01
    assert losses[-1] < 0.05 * losses[0]


def test_quadratic_step_needs_secant_mode():
    opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
    with pytest.raises(ValueError, match="rate_rule"):
        CurvatureLR(opt, mode="hessian", rate_rule="quadratic_step")
    with pytest.raises(ValueError, match="rate_rule"):
        CurvatureLR(opt, rate_rule="newton")
