"""Arbitrary signal streams, NaN and inf included: the rate stays finite and inside its bounds."""

from __future__ import annotations

import math

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lrlab.schedulers import CurvatureLR, EntropyLR, GradVarLR, PerformanceLR

MIN_LR, MAX_LR = 1e-4, 0.5
anything = st.floats(allow_nan=True, allow_infinity=True, width=32)
bounds = {"min_lr": MIN_LR, "max_lr": MAX_LR}


def setup():
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.SGD([{"params": [model.weight], "lr": 0.1}, {"params": [model.bias], "lr": 0.05}])
    return model, opt


def check(lrs: list[float]) -> None:
    for lr in lrs:
        assert math.isfinite(lr)
        assert MIN_LR - 1e-15 <= lr <= MAX_LR + 1e-15


def push_gradients(model: torch.nn.Module, opt: torch.optim.Optimizer, values: list[float]) -> None:
    """Hand the optimizer gradients holding the given (possibly non-finite) values."""
    opt.zero_grad(set_to_none=True)
    model.weight.grad = torch.tensor(values[:6] + [0.0] * (6 - len(values[:6]))).reshape(2, 3)
    model.bias.grad = torch.tensor((values[6:8] + [1.0, 1.0])[:2])
    with torch.no_grad():  # keep parameters finite so the stream, not the weights, is arbitrary
        opt.step()
        model.weight.nan_to_num_(0.0, 0.0, 0.0)
        model.bias.nan_to_num_(0.0, 0.0, 0.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(anything, min_size=3, max_size=3), min_size=1, max_size=60),
       st.sampled_from(["absolute", "relative"]), st.sampled_from([None, 1.5]))
def test_entropy(stream, mode, increase):
    _, opt = setup()
    sched = EntropyLR(opt, interval=1, mode=mode, increase_factor=increase, smoothing=0.5, **bounds)
    for logits in stream:
        sched.observe(logits=torch.tensor([logits]))
        sched.step()
        check(sched.get_last_lr())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(anything, anything), min_size=1, max_size=60))
def test_performance(stream):
    _, opt = setup()
    sched = PerformanceLR(opt, patience=1, increase=2.0, **bounds)
    for val, train in stream:
        sched.observe(val_metrics={"loss": val}, train_metrics={"loss": train})
        sched.step()
        check(sched.get_last_lr())


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(anything, min_size=8, max_size=8), min_size=1, max_size=40),
       st.sampled_from(["cv", "std", "noise_scale"]))
def test_gradvar(stream, statistic):
    model, opt = setup()
    sched = GradVarLR(opt, window=2, factor=0.9, statistic=statistic, **bounds)
    for values in stream:
        push_gradients(model, opt, values)
        sched.step()
        check(sched.get_last_lr())


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(anything, min_size=8, max_size=8), min_size=1, max_size=40),
       st.sampled_from(["set", "cap"]), st.sampled_from(["inverse_curvature", "quadratic_step"]))
def test_curvature_secant(stream, policy, rate_rule):
    model, opt = setup()
    sched = CurvatureLR(opt, interval=1, smoothing=0.0, policy=policy, rate_rule=rate_rule, **bounds)
    for values in stream:
        push_gradients(model, opt, values)
        sched.step()
        check(sched.get_last_lr())


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(anything, min_size=3, max_size=3), min_size=1, max_size=8))
def test_curvature_hessian(stream):
    model, opt = setup()
    sched = CurvatureLR(opt, mode="hessian", hessian_interval=1, smoothing=0.0, **bounds)
    for scales in stream:
        weights = torch.tensor(scales)
        sched.observe(loss_closure=lambda w=weights: (w * model(torch.ones(1, 3)).sum(0).repeat(2)[:3] ** 2).sum())
        sched.step()
        check(sched.get_last_lr())
