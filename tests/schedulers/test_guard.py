"""The guard: its rule on numbers, the shell applying it, exact resume, and a real run it saves."""

from __future__ import annotations

import math

import pytest
import torch

from helpers import Loop, batches, evaluate, roundtrip
from lrlab.schedulers import (
    AdaptiveLR,
    CurvatureLR,
    Decision,
    EntropyLR,
    GradVarLR,
    MetaLR,
    PerformanceLR,
    make_scheduler,
)
from lrlab.schedulers.guard import GUARD_NEEDS, Guard
from lrlab.tasks import get_task


# -- the rule, on numbers ------------------------------------------------------------------------
@pytest.mark.parametrize("value, first, best, mode, expected", [
    (2.28, 1.41, 0.79, "min", True),     # the collapse: worse than where it started
    (1.20, 1.41, 0.79, "min", True),     # 66 % of the gain lost, 1.52x the best
    (0.95, 1.41, 0.79, "min", False),    # 26 % lost: noise, not a collapse
    (0.15, 2.00, 0.05, "min", False),    # overfitting: 3x a tiny best, but 5 % of the gain lost
    (2.31, 2.30, 2.28, "min", False),    # early: all the (tiny) gain lost, but only 1.01x the best
    (0.12, 0.40, 0.76, "max", True),     # accuracy at chance after 0.76
    (0.70, 0.40, 0.76, "max", False),
    (0.50, 0.40, 0.76, "max", True),     # 72 % lost and < 0.76 / 1.25
    (math.nan, 1.41, 0.79, "min", True),
    (math.inf, 1.41, 0.79, "min", True),
    (0.79, 1.41, 0.79, "min", False),    # at the best
])
def test_degraded_needs_both_the_lost_gain_and_the_ratio(value, first, best, mode, expected):
    assert Guard().degraded(value, first, best, mode) is expected


def test_a_best_at_or_below_zero_skips_the_ratio():
    assert Guard().degraded(0.5, 2.0, 0.0, "min") is False  # 25 % of the gain lost
    assert Guard().degraded(1.5, 2.0, 0.0, "min") is True


def run_checks(guard: Guard, values_and_scales, kind="val"):
    state, decisions = guard.initial_state(), []
    for value, scale in values_and_scales:
        state, decision = guard.check(state, kind, value, scale)
        decisions.append(decision)
    return state, decisions


def test_fires_once_per_degradation_back_to_the_best_points_rate_and_holds():
    guard = Guard(patience=2)
    #            first      best at scale 2  raised      collapse   still bad   recovering  better
    checks = [(1.4, 1.0), (0.8, 2.0), (0.85, 4.0), (2.3, 8.0), (2.2, 2.0), (0.9, 2.0), (0.88, 2.0), (0.7, 1.5)]
    state, decisions = run_checks(guard, checks)
    fired = [i for i, d in enumerate(decisions) if d is not None]
    assert fired == [3]  # one event: the check at 2.2 only restarts the hold
    assert decisions[3].multiplier == pytest.approx(2.0 / 8.0)  # back to the scale of the best point
    assert decisions[3].rule.startswith("guard: validation loss 2.3 > best 0.8 × 1.25, 250% of the gain")
    assert decisions[3].signals == {"guard_value": 2.3, "guard_best": 0.8, "guard_first": 1.4,
                                    "guard_best_scale": 2.0, "guard_scale": 8.0}
    assert state["events"] == 1 and state["ceiling"] == 2.0
    assert state["val"] == {"first": 1.4, "best": 0.7, "best_scale": 1.5}
    assert state["hold"] == 0  # restarted at 2.2 (2 checks), counted down by 0.9 and 0.88, then 0.7


def test_never_raises_the_rate_itself():
    _, decisions = run_checks(Guard(), [(1.4, 1.0), (0.8, 2.0), (2.3, 0.5)])
    assert decisions[2].multiplier == 1.0  # already below the best point's scale: it only holds


def test_a_degraded_check_after_the_hold_with_a_raised_rate_fires_again():
    guard = Guard(patience=1, ceiling=False)
    checks = [(1.4, 1.0), (0.8, 2.0), (2.3, 8.0), (2.2, 2.0), (2.2, 4.0)]
    _, decisions = run_checks(guard, checks)
    assert [d is not None for d in decisions] == [False, False, True, False, True]


def test_limit_blocks_raises_during_the_hold_and_above_the_ceiling():
    guard = Guard()
    state = {**guard.initial_state(), "hold": 2, "ceiling": 2.0}
    assert guard.limit(state, 1.0, 1.5) == 1.0   # held
    assert guard.limit(state, 1.0, 0.5) == 0.5   # cuts always pass
    state["hold"] = 0
    assert guard.limit(state, 1.0, 1.5) == 1.5
    assert guard.limit(state, 1.5, 3.0) == 2.0   # up to the ceiling only
    assert guard.limit(state, 2.5, 3.0) == 2.5   # above it (it was already): no higher
    assert guard.limit(guard.initial_state(), 1.0, 10.0) == 10.0


def test_first_value_non_finite_is_not_a_reference():
    state, decisions = run_checks(Guard(), [(math.nan, 1.0), (1.4, 1.0)])
    assert decisions == [None, None] and state["val"]["first"] == 1.4


@pytest.mark.parametrize("argument, expected", [
    (True, Guard()), (False, None), (None, None), ({"patience": 5}, Guard(patience=5)),
    (Guard(ratio=2.0), Guard(ratio=2.0)),
])
def test_from_argument(argument, expected):
    assert Guard.from_argument(argument) == expected


def test_mode_follows_the_monitor():
    assert Guard().mode_of("loss") == "min" and Guard().mode_of("accuracy") == "max"
    assert Guard().mode_of("wer") == "min" and Guard(mode="max").mode_of("loss") == "max"


def test_accuracy_is_watched_where_the_evaluation_reports_it_else_the_loss():
    guard = Guard()
    state, value = guard.watch(guard.initial_state(), {"loss": 0.5, "accuracy": 0.8})
    assert (state["monitor"], value) == ("accuracy", 0.8)
    assert guard.watch(state, {"loss": 0.4}) == (state, None)  # kept for the run: not a check
    assert guard.watch(guard.initial_state(), {"loss": 0.5})[0]["monitor"] == "loss"
    assert Guard(monitor="f1").watch(guard.initial_state(), {"f1": 0.3, "accuracy": 0.9})[1] == 0.3
    state = {**guard.initial_state(), "monitor": "accuracy"}
    for value, scale in ((0.4, 1.0), (0.76, 2.0)):
        state, _ = guard.check(state, "val", value, scale)
    state, decision = guard.check(state, "val", 0.12, 4.0)
    assert decision.rule.startswith("guard: validation accuracy 0.12 < best 0.76 / 1.25, 178% of the gain")


@pytest.mark.parametrize("argument, name", [
    ({"tolerance": 0.0}, "guard.tolerance"), ({"ratio": 0.9}, "guard.ratio"),
    ({"patience": 0}, "guard.patience"), ({"loss_window": 0}, "guard.loss_window"),
    ({"mode": "up"}, "guard.mode"), ({"monitor": ""}, "guard.monitor"), ({"ceiling": 1}, "guard.ceiling"),
    ({"tolerance": True}, "guard.tolerance"), ({"pateince": 3}, "does not take"), ("yes", "guard must be"),
])
def test_bad_arguments_raise_value_error_naming_them(argument, name):
    with pytest.raises(ValueError, match=name):
        Guard.from_argument(argument)
    with pytest.raises(ValueError, match=name):  # at the scheduler's door too
        GradVarLR(torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1), guard=argument)


# -- the shell -----------------------------------------------------------------------------------
class Raiser(AdaptiveLR):
    """A scripted rule that can raise and reads no validation metric (as GradVarLR):
    observe(train_metrics={"m": m}) multiplies the rate by m."""

    needs = frozenset({"train_metrics"})
    can_raise = True

    def _observe(self, train_metrics=None, **_):
        return None if train_metrics is None else Decision(train_metrics["m"], "scripted")


def sgd(lr: float = 0.1) -> torch.optim.Optimizer:
    return torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=lr)


def feed(sched: AdaptiveLR, evaluations) -> list[float]:
    rates = []
    for loss, m in evaluations:
        sched.observe(val_metrics={"loss": loss}, train_metrics={"m": m})
        sched.step()
        rates.append(sched.get_last_lr()[0])
    return rates


EVALUATIONS = [(1.4, 2.0), (0.8, 2.0), (0.85, 2.0), (2.3, 2.0), (2.2, 2.0), (1.0, 2.0), (0.9, 2.0),
               (0.85, 2.0), (0.8, 2.0)]


def test_shell_rolls_back_logs_holds_and_caps():
    sched = Raiser(sgd(), max_lr=100.0, guard={"patience": 2})
    rates = feed(sched, EVALUATIONS)
    # 0.2, 0.4 (best 0.8 was measured at 0.2), 0.8; the collapse at 0.8 -> back to 0.2 (the raise
    # of that same evaluation is held); held for two checks (2.2 restarts the count), then capped at 0.2.
    assert rates == pytest.approx([0.2, 0.4, 0.8, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2])
    guard_events = [a for a in sched.adjustments if a["rule"].startswith("guard:")]
    assert len(guard_events) == 1
    assert guard_events[0]["old_lr"] == pytest.approx([0.8]) and guard_events[0]["new_lr"] == pytest.approx([0.2])
    assert "validation loss 2.3 > best 0.8 × 1.25" in guard_events[0]["rule"]
    assert sched.guard_state["blocked"] == 6


def test_guard_false_is_todays_behaviour():
    sched = Raiser(sgd(), max_lr=100.0, guard=False)
    assert sched.needs == {"train_metrics"}
    assert feed(sched, EVALUATIONS) == pytest.approx([0.1 * 2 ** k for k in range(1, 10)])
    assert all(not a["rule"].startswith("guard") for a in sched.adjustments)


def test_without_the_ceiling_raises_resume_after_the_hold():
    sched = Raiser(sgd(), max_lr=100.0, guard={"patience": 1, "ceiling": False})
    rates = feed(sched, EVALUATIONS)
    assert rates[3:6] == pytest.approx([0.2, 0.2, 0.2])  # rolled back, held at 2.2, and at 1.0
    assert rates[6] == pytest.approx(0.4)                 # free again


def test_a_firing_at_the_best_points_rate_is_still_logged():
    sched = Raiser(sgd(), guard=True)
    feed(sched, [(1.4, 1.0), (0.8, 1.0), (2.3, 1.0)])
    assert [a["rule"].split(":")[0] for a in sched.adjustments] == ["guard"]
    assert sched.adjustments[0]["old_lr"] == sched.adjustments[0]["new_lr"]


def test_no_check_during_warmup():
    sched = Raiser(sgd(), warmup_steps=3, guard=True)
    feed(sched, [(1.4, 1.0), (0.8, 1.0), (2.3, 1.0)])
    assert sched.adjustments == [] and sched.guard_state["val"] is None


def test_training_loss_fallback_without_evaluations():
    sched = Raiser(sgd(), max_lr=100.0, guard={"loss_window": 4})
    for step in range(40):
        loss = 2.0 - 0.1 * step if step < 16 else 3.0  # learns, then collapses at step 16
        sched.observe(loss=torch.tensor(loss))  # a tensor, as the HF and Lightning callbacks pass it
        if step % 4 == 3 and step < 16:
            sched.observe(train_metrics={"m": 2.0})  # a raise
        sched.step()
    events = [a for a in sched.adjustments if a["rule"].startswith("guard:")]
    assert len(events) == 1 and events[0]["rule"].startswith("guard: training loss (mean of 4 steps) 3 > best")
    assert events[0]["signals"]["guard_best"] == pytest.approx(0.65)  # mean of 0.8, 0.7, 0.6, 0.5
    assert events[0]["step"] == 19 and sched.get_last_lr()[0] == pytest.approx(0.8)  # the 4th window's scale


def test_validation_checks_take_over_from_the_training_loss():
    sched = Raiser(sgd(), guard={"loss_window": 2})
    sched.observe(loss=1.0)
    sched.observe(val_metrics={"loss": 0.5})
    for _ in range(10):
        sched.observe(loss=100.0)  # ignored once validation is watched
    assert sched.guard_state["train"] is None and sched.guard_state["val"]["first"] == 0.5
    assert sched.guard_state["loss_count"] == 1 and sched.adjustments == []


@pytest.mark.parametrize("build", [
    lambda opt: EntropyLR(opt),                       # only cuts
    lambda opt: EntropyLR(opt, mode="relative"),
    lambda opt: PerformanceLR(opt, increase=1.0),
    lambda opt: CurvatureLR(opt, policy="cap"),
])
def test_schedulers_that_cannot_raise_are_never_guarded(build):
    sched = build(sgd())
    assert not sched.can_raise and sched.guard is None and not (sched.needs & {"loss"} - type(sched).needs)
    assert "guard_state" not in sched.state_dict() or sched.state_dict()["guard_state"] == {}


@pytest.mark.parametrize("build, extra", [
    (lambda opt: EntropyLR(opt, increase_factor=1.2), GUARD_NEEDS),
    (lambda opt: GradVarLR(opt), GUARD_NEEDS),
    (lambda opt: CurvatureLR(opt), GUARD_NEEDS),
    (lambda opt: PerformanceLR(opt), frozenset()),  # reads validation metrics already
    (lambda opt: MetaLR(opt), frozenset()),
])
def test_schedulers_that_can_raise_are_guarded_by_default(build, extra):
    sched = build(sgd())
    assert sched.can_raise and sched.guard == Guard()
    assert sched.needs == type(sched).needs | {"grads"} & sched.needs | extra


def test_the_guards_own_signals_are_not_observations_of_the_rule():
    sched = GradVarLR(sgd())
    sched.observe(loss=1.0)
    sched.observe(val_metrics={"loss": 1.0})
    assert sched.observations == 0 and sched.guard_state["val"]["first"] == 1.0


def test_make_scheduler_passes_guard_on():
    sched = make_scheduler("gradvar", sgd(), guard={"patience": 7})
    assert sched.guard == Guard(patience=7)
    assert make_scheduler("meta", sgd(), guard=False).guard is None


def test_resume_after_a_guard_event_follows_the_same_path():
    def build():
        return Raiser(sgd(), max_lr=100.0, guard={"patience": 2})

    full = build()
    full_rates = feed(full, EVALUATIONS)
    first = build()
    first_rates = feed(first, EVALUATIONS[:5])  # stopped while holding
    resumed = build()
    resumed.load_state_dict(roundtrip(first.state_dict()))
    assert first_rates + feed(resumed, EVALUATIONS[5:]) == full_rates
    assert resumed.adjustments == full.adjustments and resumed.guard_state == full.guard_state


def test_a_checkpoint_from_before_the_guard_loads():
    sched = Raiser(sgd(), guard=True)
    feed(sched, EVALUATIONS[:2])
    old = sched.state_dict()
    del old["guard_state"]
    fresh = Raiser(sgd(), guard=True)
    fresh.load_state_dict(old)
    assert fresh.guard_state == Guard().initial_state()


@pytest.mark.parametrize("name, args", [
    ("gradvar", {"window": 3}), ("performance", {"patience": 1, "increase": 1.1}),
    ("curvature", {"interval": 3, "rate_rule": "quadratic_step"}),
])
def test_until_it_fires_the_guard_changes_nothing(name, args):
    """A healthy run: the guarded scheduler follows the unguarded one's path exactly."""
    from helpers import make_blobs, make_model

    x, y = make_blobs(n=64 + 40 * 16, seed=3)
    data, val = batches(x[64:], y[64:], 16), (x[:64], y[:64])
    runs = []
    for guard in (True, False):
        model = make_model(seed=1)
        opt = torch.optim.Adam(model.parameters(), lr=0.01)
        sched = make_scheduler(name, opt, guard=guard, **args)
        runs.append((Loop(model, opt, sched, eval_every=4, val=val).run(data), sched))
    (guarded, with_guard), (unguarded, _) = runs
    assert with_guard.guard is not None and with_guard.guard_state["events"] == 0
    assert with_guard.guard_state["val"] is not None  # it was watching
    assert guarded.lrs == unguarded.lrs and len({tuple(r) for r in guarded.lrs}) > 1
    for a, b in zip(guarded.model.parameters(), unguarded.model.parameters(), strict=True):
        assert torch.equal(a, b)


# -- a real run: the guard saves what a scripted rate explosion wrecks ---------------------------
class Explosion(AdaptiveLR):
    """Doubles the rate after every evaluation, whatever happens: a rule gone wrong."""

    needs = frozenset({"val_metrics"})
    can_raise = True

    def _observe(self, val_metrics=None, **_):
        return None if val_metrics is None else Decision(2.0, "scripted explosion: x2")


def train_digits(guard: bool) -> tuple[dict[str, float], Explosion]:
    data = get_task("digits").load()
    x, y = data.train.x.flatten(1), data.train.y
    val = (data.val.x.flatten(1), data.val.y)
    order = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.003)
    scheduler = Explosion(optimizer, max_lr=3.0, guard=guard)
    epochs = []
    for _ in range(12):
        permutation = torch.randperm(len(x), generator=order)
        epochs += batches(x[permutation], y[permutation], 64)
    Loop(model, optimizer, scheduler, eval_every=17, val=val).run(epochs)  # 17 steps: one epoch
    return evaluate(model, *val), scheduler


def test_guard_restores_a_run_that_a_rate_explosion_wrecks():
    wrecked, unguarded = train_digits(guard=False)
    saved, guarded = train_digits(guard=True)
    chance = 0.103  # the majority class's share of digits' validation split
    assert wrecked["accuracy"] < chance + 0.05 and math.isfinite(wrecked["loss"])  # collapsed, finite
    assert unguarded.get_last_lr()[0] == pytest.approx(3.0)  # the explosion ran to its cap
    assert saved["accuracy"] > 0.9
    events = [a for a in guarded.adjustments if a["rule"].startswith("guard:")]
    assert len(events) == 1 and events[0]["new_lr"][0] < events[0]["old_lr"][0]
    assert guarded.get_last_lr()[0] <= events[0]["new_lr"][0]  # never above the best point's rate again
