"""CompositeLR: the rule on scripted numbers, the base on closed forms, the schedules it
reproduces step for step, every signal's needs, the space end to end, and the idea in words."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import qmc

from helpers import Loop, batches, make_blobs, make_model
from lrlab.schedulers import (
    CompositeLR,
    CompositeRule,
    EntropyLR,
    GradVarLR,
    describe_idea,
    make_scheduler,
)
from lrlab.schedulers.composite import SIGNALS, base_factor
from lrlab.schedulers.space import point_to_config


def run_rule(rule: CompositeRule, stream):
    """Feed ``stream`` (per decision point: {signal: (raw, normalised)}); the multipliers fired."""
    state, fired = rule.initial_state(), []
    for values in stream:
        state, decision = rule.decide(state, values)
        fired.append(None if decision is None else decision.multiplier)
    return fired


def one(values, name="s"):
    return [{name: (v, v)} for v in values]


# -- the rule --------------------------------------------------------------------------------
def test_threshold_rule_cuts_above_and_needs_patience_in_a_row():
    rule = CompositeRule(("s",), "threshold", threshold=0.5, down=0.8, patience=2)
    # above, above (cut), above, below (the count starts again), above, above (cut)
    assert run_rule(rule, one([0.9, 0.9, 0.9, 0.1, 0.9, 0.9])) == [None, 0.8, None, None, None, 0.8]
    assert run_rule(CompositeRule(("s",), "threshold", patience=1), one([0.6, 0.5, 0.4])) == [0.8, None, None]


def test_threshold_rule_reads_the_normalised_value_and_trend_the_raw_one():
    threshold = CompositeRule(("s",), "threshold", threshold=0.5)
    assert run_rule(threshold, [{"s": (100.0, 0.4)}, {"s": (0.1, 0.6)}]) == [None, 0.8]
    trend = CompositeRule(("s",), "trend", history=1)
    assert run_rule(trend, [{"s": (1.0, 0.9)}, {"s": (2.0, 0.1)}]) == [None, 0.8]


def test_trend_rule_against_the_mean_of_its_history_with_a_tolerance():
    rule = CompositeRule(("s",), "trend", history=3, tolerance=0.1)
    # no trend at first; 1.05 is within 10 % of 1.0; 1.3 > mean(1, 1.05) x 1.1
    assert run_rule(rule, one([1.0, 1.05, 1.3])) == [None, None, 0.8]
    # the mean covers the last three values only: 2.1 is within 10 % of mean(2, 2, 2)
    assert run_rule(rule, one([1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.1])) == [None] * 3 + [0.8] * 3 + [None]
    falling = CompositeRule(("s",), "trend", history=1, up=1.25)
    assert run_rule(falling, one([3.0, 2.0, 2.0, 2.5, 1.0])) == [None, 1.25, None, 0.8, 1.25]


def test_trend_tolerance_is_relative_to_the_size_of_a_negative_reference():
    rule = CompositeRule(("s",), "trend", history=1, tolerance=0.5)
    assert run_rule(rule, one([-2.0, -1.5, -0.5])) == [None, None, 0.8]  # -0.5 > -1.5 + 0.75


def test_direction_swaps_the_sides_and_up_1_never_raises():
    low = CompositeRule(("s",), "threshold", direction="cut_when_low", up=1.1)
    assert run_rule(low, one([0.9, 0.1])) == [1.1, 0.8]
    assert run_rule(CompositeRule(("s",), "threshold", up=1.0), one([0.1, 0.1, 0.9])) == [None, None, 0.8]


def test_two_signals_and_or():
    both = CompositeRule(("a", "b"), "threshold", combine="and")
    stream = [{"a": (0.9, 0.9)}, {"b": (0.9, 0.9)}, {"a": (0.9, 0.9), "b": (0.1, 0.1)}, {"a": (0.9, 0.9)}]
    # a high (b unknown); b high while a still stands (cut, both counts reset); b low; a alone
    assert run_rule(both, stream) == [None, 0.8, None, None]
    either = CompositeRule(("a", "b"), "threshold", combine="or", up=1.2)
    assert run_rule(either, [{"a": (0.9, 0.9), "b": (0.1, 0.1)}, {"b": (0.1, 0.1)}]) == [0.8, 1.2]


def test_a_non_finite_value_leaves_the_state_alone():
    rule = CompositeRule(("s",), "trend", history=1, patience=2)
    state = rule.initial_state()
    state, _ = rule.decide(state, {"s": (1.0, 1.0)})
    state, _ = rule.decide(state, {"s": (2.0, 2.0)})
    after_nan, decision = rule.decide(state, {"s": (math.nan, math.nan)})
    assert decision is None and after_nan == state
    _, decision = rule.decide(after_nan, {"s": (3.0, 3.0)})
    assert decision.multiplier == 0.8 and "2 in a row" in decision.rule


# -- the base --------------------------------------------------------------------------------
def sgd(lr: float = 1.0, params=None) -> torch.optim.Optimizer:
    return torch.optim.SGD(params or torch.nn.Linear(2, 1).parameters(), lr=lr)


def rates(sched, steps: int) -> list[float]:
    out = [sched.get_last_lr()[0]]
    for _ in range(steps):
        sched.optimizer.step()
        sched.step()
        out.append(sched.get_last_lr()[0])
    return out


@pytest.mark.parametrize(("base", "warmup"), [("constant", 0), ("constant", 3), ("cosine", 0), ("cosine", 4),
                                              ("linear", 0)])
def test_a_pinned_factor_is_the_baseline_itself(base, warmup):
    """min_factor = max_factor = 1: the rates of lrlab's own baseline of that name."""
    composite = make_scheduler("composite", sgd(), total_steps=20, warmup_steps=warmup, base=base,
                               min_factor=1.0, max_factor=1.0)
    baseline = make_scheduler(base, sgd(), total_steps=20, warmup_steps=warmup)
    assert rates(composite, 20) == pytest.approx(rates(baseline, 20), abs=1e-12)


def test_base_closed_forms_and_the_warm_up():
    assert [base_factor("linear", t, 12, 2) for t in (0, 1, 2, 7, 12, 20)] == [1.0, 1.0, 1.0, 0.5, 0.0, 0.0]
    composite = CompositeLR(sgd(), base="linear", total_steps=12, warmup_steps=2, min_factor=1.0)
    assert rates(composite, 12)[:4] == pytest.approx([0.5, 1.0, 1.0, 0.9])


def test_the_factor_multiplies_the_base_and_stays_in_its_bounds():
    opt = sgd()
    sched = CompositeLR(opt, base="cosine", total_steps=10, signal="loss_trend", rule="threshold",
                        threshold=0.5, interval=1, down=0.5, min_factor=0.25)
    for step in range(10):
        opt.step()
        sched.observe(loss=1.0)  # always above half of its first value: cut every step
        sched.step()
        expected = base_factor("cosine", step + 1, 10) * max(0.25, 0.5 ** (step + 1))
        assert sched.get_last_lr()[0] == pytest.approx(expected)
    assert len(sched.adjustments) == 2  # down to the floor, then nothing more to change


# -- the schedules it reproduces ---------------------------------------------------------------
def twin_runs(make_a, make_b, *, steps: int = 40, eval_every: int = 0, lr: float = 0.05):
    """The same model, data and optimizer under two schedulers; both loops feed their needs."""
    x, y = make_blobs(n=steps * 16 + 64, seed=5)
    data = batches(x[64:], y[64:], 16)[:steps]
    loops = []
    for make in (make_a, make_b):
        model = make_model(seed=2)
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        loops.append(Loop(model, opt, make(opt), eval_every=eval_every, val=(x[:64], y[:64])).run(data))
    return loops


def same_path(a, b):
    assert a.lrs == b.lrs
    steps = [(d["step"], d["new_lr"]) for d in a.scheduler.adjustments]
    assert steps == [(d["step"], d["new_lr"]) for d in b.scheduler.adjustments]
    assert steps, "the comparison must exercise a changing rate"


def test_entropylr_absolute_is_a_point():
    a, b = twin_runs(lambda o: EntropyLR(o, threshold=0.4, factor=0.7, interval=3),
                     lambda o: CompositeLR(o, signal="entropy", rule="threshold", threshold=0.4, down=0.7,
                                           interval=3, min_factor=0.0))
    same_path(a, b)


def test_entropylr_relative_is_a_point():
    # (a high rate, so that the entropy rises now and then)
    a, b = twin_runs(lambda o: EntropyLR(o, mode="relative", window=2, tolerance=0.0, factor=0.8, interval=1),
                     lambda o: CompositeLR(o, signal="entropy", rule="trend", history=2, tolerance=0.0,
                                           down=0.8, interval=1, min_factor=0.0), steps=60, lr=0.5)
    same_path(a, b)


@pytest.mark.parametrize(("statistic", "signal"), [("cv", "grad_cv"), ("noise_scale", "grad_noise")])
def test_gradvarlr_is_a_point(statistic, signal):
    factor = 0.1
    a, b = twin_runs(lambda o: GradVarLR(o, window=4, factor=factor, statistic=statistic, tolerance=0.05),
                     lambda o: CompositeLR(o, signal=signal, rule="trend", history=1, tolerance=0.05, interval=4,
                                           down=1 - factor, up=1 + factor, min_factor=0.0, max_factor=10.0),
                     eval_every=8)
    same_path(a, b)


# -- needs -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("signal", "needs"), [
    ("entropy", {"logits"}), ("val_loss", {"val_metrics"}), ("grad_cv", {"grads"}), ("grad_noise", {"grads"}),
    ("curvature", {"grads"}), ("loss_trend", {"loss"}),
])
def test_needs_are_exactly_the_signals(signal, needs):
    sched = CompositeLR(sgd(), signal=signal)
    assert sched.needs == needs
    assert (sched._hook is not None) == ("grads" in needs)  # a gradient hook only where gradients are read


def test_needs_of_two_signals_and_of_the_guard():
    assert CompositeLR(sgd(), signal="entropy", signal2="loss_trend").needs == {"logits", "loss"}
    assert CompositeLR(sgd(), signal="entropy", signal2="entropy").needs == {"logits"}
    raising = CompositeLR(sgd(), signal="entropy", up=1.1, max_factor=2.0)
    assert raising.can_raise and raising.needs == {"logits", "val_metrics", "loss"}
    assert raising.rule_needs == {"logits"}
    assert not CompositeLR(sgd(), signal="entropy", up=1.1).can_raise  # back to the base, never above it
    assert CompositeLR(sgd(), signal="entropy", up=1.1, max_factor=2.0, guard=False).needs == {"logits"}


def test_a_missing_signal_is_warned_about():
    from lrlab.schedulers.base import SignalWarning

    sched = CompositeLR(sgd(), signal="loss_trend")
    with pytest.warns(SignalWarning, match="'loss'"):
        rates(sched, 10)


# -- validation ------------------------------------------------------------------------------
@pytest.mark.parametrize(("args", "match"), [
    ({"base": "step"}, "base must be one of 'constant', 'cosine', 'linear', got 'step'"),
    ({"signal": "accuracy"}, "signal must be one of"),
    ({"signal2": "loss"}, "signal2 must be one of None, 'entropy'"),
    ({"combine": "xor"}, "combine must be one of 'and', 'or'"),
    ({"rule": "relative"}, "rule must be one of 'threshold', 'trend'"),
    ({"direction": "up"}, "direction must be one of 'cut_when_high', 'cut_when_low'"),
    ({"threshold": 0.0}, r"threshold must be in \(0.0, 10.0\]"),
    ({"history": 0}, "history must be an integer >= 1"),
    ({"tolerance": 1.0}, r"tolerance must be in \[0.0, 1.0\)"),
    ({"down": 1.0}, r"down must be in \(0.0, 1.0\)"),
    ({"up": 0.9}, r"up must be in \[1.0, 2.0\]"),
    ({"interval": 0}, "interval must be an integer >= 1"),
    ({"interval": 2.5}, "interval must be an integer"),
    ({"signal": "grad_cv", "interval": 1}, "interval must be an integer >= 2 with signal 'grad_cv'"),
    ({"patience": 0}, "patience must be an integer >= 1"),
    ({"min_factor": 1.5}, r"min_factor must be in \[0.0, 1.0\]"),
    ({"max_factor": 0.5}, r"max_factor must be in \[1.0, 100.0\]"),
    ({"base": "cosine"}, "total_steps must be an integer >= 1 with base 'cosine'"),
    ({"base": "linear", "total_steps": 5, "warmup_steps": 5}, r"warmup_steps \(5\) must be < total_steps \(5\)"),
    ({"min_factor": 0.5, "max_lr": 0.01}, "min_factor/max_factor"),
])
def test_bad_arguments_name_themselves(args, match):
    with pytest.raises(ValueError, match=match):
        CompositeLR(sgd(), **args)


# -- the space -------------------------------------------------------------------------------
def drive(args: dict, steps: int = 12) -> CompositeLR:
    """Build ``args`` on a real model and train ``steps`` steps, feeding what it needs."""
    x, y = make_blobs(n=steps * 16 + 64, seed=1)
    model = make_model(seed=0)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    sched = make_scheduler("composite", opt, total_steps=steps, warmup_steps=1, **args)
    Loop(model, opt, sched, eval_every=3, val=(x[:64], y[:64])).run(batches(x[64:], y[64:], 16)[:steps])
    for lr in sched.get_last_lr():
        assert math.isfinite(lr) and 0.0 <= lr <= 0.05 * max(1.0, args.get("max_factor", 1.0)) + 1e-12
    return sched


def space_points() -> list[dict]:
    space = CompositeLR.search_space
    corners = [{name: value} for name, dim in space.items() for value in dim.corners()]
    halton = qmc.Halton(d=len(space), scramble=True, seed=7).random(24)
    drawn = [point_to_config(space, point) for point in halton]
    # the extremes of every range together
    ends = [{name: dim.corners()[i % len(dim.corners())] for name, dim in space.items()} for i in (0, 1)]
    return corners + drawn + ends


@pytest.mark.parametrize("args", space_points(), ids=lambda a: ",".join(f"{k}={v}" for k, v in a.items())[:80])
def test_every_point_of_the_space_builds_steps_and_reads_as_a_sentence(args):
    sched = drive({**args, "interval": min(args.get("interval", 3), 3)})
    assert sched.rule_state["grad_steps"] == (12 if "grads" in sched.needs else 0)
    sentence = describe_idea(args)
    assert sentence.startswith("on a ") and "\n" not in sentence and sentence == describe_idea(dict(args))


def test_the_space_covers_every_signal_and_base():
    space = CompositeLR.search_space
    assert set(space["signal"].choices) == set(SIGNALS) and None in space["signal2"].choices
    assert set(space["base"].choices) == {"constant", "cosine", "linear"}
    assert space["threshold"].when == (("rule", "threshold"),) and space["history"].when == (("rule", "trend"),)
    assert 1.0 in space["up"].choices and 1.0 in space["max_factor"].choices  # "never raise", "never above"


# -- a real run ------------------------------------------------------------------------------
def test_validation_trend_on_a_cosine_base_with_a_real_model():
    x, y = make_blobs(n=1024 + 64, seed=4)
    model = make_model(seed=3)
    opt = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
    sched = CompositeLR(opt, base="cosine", total_steps=64, signal="val_loss", rule="trend", history=1,
                        direction="cut_when_low", down=0.5, patience=2)
    loop = Loop(model, opt, sched, eval_every=4, val=(x[:64], y[:64])).run(batches(x[64:], y[64:], 16))
    assert sched.needs == {"val_metrics"}
    # the validation loss fell at evaluations 2 and 3 (cut), 4 and 5 (cut), ...: halving each time,
    # down to the floor
    cuts = [a for a in sched.adjustments if a["rule"].startswith("cut")]
    assert len(cuts) >= 2 and all(a["signals"]["val_loss"] < a["signals"]["val_loss_reference"] for a in cuts)
    assert [a["step"] for a in cuts] == [12, 20, 28, 36]  # every second evaluation, never between
    assert sched.scale == pytest.approx(max(0.1, 0.5 ** len(cuts)))
    assert loop.lrs[-1][0] == pytest.approx(0.0, abs=1e-12)  # the cosine ends at 0
    assert sum(loop.train_losses[-8:]) < sum(loop.train_losses[:8])  # it learns


def test_two_gradient_signals_read_the_gradients_once_per_step():
    x, y = make_blobs(n=40 * 16, seed=6)
    model = make_model(seed=1)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    sched = CompositeLR(opt, signal="grad_cv", signal2="curvature", combine="or", rule="threshold",
                        threshold=0.01, interval=4)
    assert len(opt._optimizer_step_pre_hooks) == 1
    Loop(model, opt, sched).run(batches(x, y, 16))
    assert sched.rule_state["grad_steps"] == 40
    assert {"grad_norm", "grad_cv", "curvature", "grad_cv_level", "curvature_level"} <= set(sched.signals)
    assert sched.adjustments and all(a["new_lr"][0] < a["old_lr"][0] for a in sched.adjustments)


# -- arbitrary streams -----------------------------------------------------------------------
anything = st.floats(allow_nan=True, allow_infinity=True, width=32)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(anything, anything), min_size=1, max_size=40), st.sampled_from(["threshold", "trend"]),
       st.sampled_from(["cut_when_high", "cut_when_low"]))
def test_rates_stay_finite_and_in_bounds_whatever_comes(stream, rule, direction):
    opt = sgd(0.1)
    sched = CompositeLR(opt, base="linear", total_steps=50, signal="loss_trend", signal2="val_loss", combine="or",
                        rule=rule, direction=direction, interval=1, up=1.5, max_factor=3.0, min_factor=0.01,
                        history=1, min_lr=1e-4, max_lr=0.2)
    for loss, val in stream:
        sched.observe(loss=loss, val_metrics={"loss": val})
        sched.step()
        assert all(math.isfinite(lr) and 1e-4 - 1e-15 <= lr <= 0.2 + 1e-15 for lr in sched.get_last_lr())
        assert 0.01 - 1e-12 <= sched.scale <= 3.0 + 1e-12


# -- the idea in words -----------------------------------------------------------------------
@pytest.mark.parametrize(("args", "sentence"), [
    ({}, "on a constant base, every 10 steps, cut ×0.8 when the gradient-noise scale has risen above the mean "
         "of its last 3 values (the factor between 0.1 and 1: never above the base rate)"),
    ({"base": "cosine", "history": 1, "patience": 3},
     "on a cosine base, every 10 steps, cut ×0.8 when the gradient-noise scale has risen above its previous "
     "value at 3 checks in a row (the factor between 0.1 and 1: never above the base rate)"),
    ({"signal": "entropy", "rule": "threshold", "threshold": 0.5, "down": 0.9, "min_factor": 0.0},
     "on a constant base, every 10 steps, cut ×0.9 when the normalised predictive entropy is above 0.5 "
     "(never above the base rate)"),
    ({"base": "linear", "warmup_steps": 100, "signal": "val_loss", "interval": 7, "rule": "trend", "history": 2,
      "tolerance": 0.02, "up": 1.1, "max_factor": 2.0},
     "on a linear base after 100 warm-up steps, after each evaluation, cut ×0.8 when the validation loss has "
     "risen by more than 2% above the mean of its last 2 values, raise ×1.1 when the validation loss has fallen "
     "by more than 2% below the mean of its last 2 values (the factor between 0.1 and 2: at most ×2 the base rate)"),
    ({"signal": "curvature", "signal2": "val_loss", "combine": "or", "rule": "threshold", "threshold": 0.8,
      "direction": "cut_when_high", "interval": 20, "up": 1.25, "max_factor": 4.0, "guard": False},
     "on a constant base, every 20 steps and after each evaluation, cut ×0.8 when the rate is above 0.8 of the "
     "stability limit 2/λ̂ or the validation loss is above 0.8 of its first value, raise ×1.25 when the rate is "
     "below 0.8 of the stability limit 2/λ̂ or the validation loss is below 0.8 of its first value (the factor "
     "between 0.1 and 4: at most ×4 the base rate); no guard"),
    ({"signal": "loss_trend", "rule": "threshold", "direction": "cut_when_low", "threshold": 0.3, "down": 0.5},
     "on a constant base, every 10 steps, cut ×0.5 when the training loss is below 0.3 of its first value "
     "(the factor between 0.1 and 1: never above the base rate)"),
    ({"base": "cosine", "min_factor": 1.0, "max_factor": 1.0},
     "on a cosine base, every 10 steps, cut ×0.8 when the gradient-noise scale has risen above the mean of its "
     "last 3 values (the factor pinned at 1: the base schedule itself)"),
    ({"signal": "grad_cv", "signal2": "grad_cv", "combine": "or", "rule": "threshold", "threshold": 0.2},
     "on a constant base, every 10 steps, cut ×0.8 when the gradient-norm variability CV/(1+CV) is above 0.2 "
     "(the factor between 0.1 and 1: never above the base rate)"),
])
def test_describe_idea(args, sentence):
    assert describe_idea(args) == sentence


def test_describe_idea_shows_only_what_changes_the_behaviour():
    assert describe_idea({"rule": "trend", "threshold": 0.9}) == describe_idea({})  # threshold: not read
    assert describe_idea({"signal": "val_loss", "interval": 5}) == describe_idea({"signal": "val_loss"})
    assert describe_idea({"combine": "or"}) == describe_idea({})  # one signal: nothing to combine
    assert describe_idea({"guard": False}) == describe_idea({})  # nothing to guard
    assert describe_idea({"total_steps": 500}) == describe_idea({})  # the run's, not the idea's
    assert describe_idea({"down": 0.7}) != describe_idea({})


def test_describe_idea_refuses_what_the_schedule_refuses():
    with pytest.raises(ValueError, match=r"composite does not take \['window'\]"):
        describe_idea({"window": 3})
    with pytest.raises(ValueError, match="down must be in"):
        describe_idea({"down": 1.2})
