"""MetaLR: it learns the best multiplier from scripted evaluations, resumes exactly, keeps its
bounds on any metric stream, never touches the global generator, and ships a policy."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import Loop, batches, make_blobs, make_model, roundtrip
from lrlab.schedulers import MetaLR, make_scheduler
from lrlab.schedulers.meta import FEATURES, MetaFeatures
from lrlab.schedulers.policy import SHIPPED_POLICY, policy_config, read_policy_metadata, save_policy
from lrlab.schedulers.registry import schedule_arguments

HELD_OUT = "breast_cancer"  # plans/meta-transfer.toml evaluates the shipped policy there


def sgd(lr: float = 0.1) -> torch.optim.Optimizer:
    return torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=lr)


# -- the pure piece ----------------------------------------------------------------------------
def test_features_and_reward_by_hand():
    rule = MetaFeatures("loss", "min")
    state, features, reward = rule.update(rule.initial_state(), {"loss": 2.0, "accuracy": 0.5}, {"loss": 1.0},
                                          log_lr=0.0, progress=0.1, grad_mean=4.0, grad_std=1.0)
    assert reward is None  # nothing to compare with yet
    by_name = dict(zip(FEATURES, features, strict=True))
    assert by_name["train_loss"] == by_name["val_loss"] == by_name["val_loss_change"] == 0.0
    assert by_name["gap"] == pytest.approx(math.log(2.0)) and by_name["grad_norm_cv"] == 0.25
    state, features, reward = rule.update(state, {"loss": 1.5, "accuracy": 0.7}, {"loss": 0.5},
                                          log_lr=math.log(2), progress=0.2, grad_mean=2.0, grad_std=0.0)
    assert reward == pytest.approx(0.25)  # (2.0 - 1.5) / 2.0
    by_name = dict(zip(FEATURES, features, strict=True))
    assert by_name["val_loss"] == pytest.approx(math.log(0.75))
    assert by_name["train_loss_change"] == pytest.approx(math.log(0.5))
    assert by_name["val_accuracy_change"] == pytest.approx(0.2)
    assert by_name["grad_norm"] == pytest.approx(math.log(0.5))
    assert by_name["log_lr"] == pytest.approx(math.log(2)) and by_name["progress"] == 0.2
    assert by_name["val_loss_from_best"] == 0.0 and by_name["val_accuracy_from_best"] == 0.0  # improving
    state, features, _ = rule.update(state, {"loss": 3.0, "accuracy": 0.2}, {"loss": 0.5},
                                     log_lr=0.0, progress=0.3, grad_mean=2.0, grad_std=0.0)
    by_name = dict(zip(FEATURES, features, strict=True))  # a collapse: far from the best on both
    assert by_name["val_loss_from_best"] == pytest.approx(math.log(2.0))  # 3.0 / best 1.5
    assert by_name["val_accuracy_from_best"] == pytest.approx(-0.5)  # 0.2 - best 0.7
    assert rule.reward(1.0, math.inf) == -1.0 and rule.reward(1.0, 0.0) == 1.0  # clipped
    assert MetaFeatures("accuracy", "max").reward(0.5, 0.6) == pytest.approx(0.2)


# -- it learns: the contextual bandit through the scheduler ---------------------------------------
@pytest.mark.parametrize("seed, best", [(0, 3), (1, 1), (2, 0)])
def test_scheduler_learns_the_multiplier_that_improves_validation_most(seed, best):
    """Scripted evaluations: the validation loss improves by c - (log m - log m*)^2 (+ noise) after
    the policy chose m, so m* is best whatever the state. Within 500 decisions it is chosen."""
    noise = torch.Generator().manual_seed(seed)
    sched = MetaLR(sgd(), policy="random", meta_lr=1e-2, seed=seed, max_lr=1e9, min_lr=1e-9, total_steps=1000)
    target = math.log(sched.multipliers[best])
    loss, chosen, at_first = 1.0, [], None
    for _ in range(500):
        sched.observe(val_metrics={"loss": loss, "accuracy": 0.5}, train_metrics={"loss": loss * 0.9})
        sched.step()
        at_first = at_first or sched.learner.probabilities(sched.rule_state["pending"]["features"])[best]
        m = sched.signals["multiplier"]
        chosen.append(m)
        improvement = 0.1 - (math.log(m) - target) ** 2 + 0.01 * float(torch.randn(1, generator=noise))
        loss *= 1.0 - improvement
    pending = sched.rule_state["pending"]["features"]
    assert sched.learner.probabilities(pending)[best] >= 0.9
    assert chosen[-50:].count(sched.multipliers[best]) >= 40
    assert at_first < 0.3  # it was not there from the start: a fresh policy is near uniform


# -- exact resume ------------------------------------------------------------------------------
RESUME_CASES = {
    "random-learning": {"policy": "random", "meta_lr": 0.05, "seed": 3},
    "shipped-learning": {"meta_lr": 0.05, "seed": 1},
    "shipped-frozen-greedy": {"learn": False, "greedy": True},
}
TOTAL, SPLIT = 40, 17


def build(case: str):
    model = make_model(seed=1)
    groups = [{"params": model[0].parameters(), "lr": 0.05}, {"params": model[2].parameters(), "lr": 0.02}]
    opt = torch.optim.SGD(groups, momentum=0.9)
    return model, opt, make_scheduler("meta", opt, total_steps=TOTAL, **RESUME_CASES[case])


@pytest.mark.parametrize("case", sorted(RESUME_CASES))
def test_resume_follows_the_uninterrupted_path(case):
    x, y = make_blobs(n=TOTAL * 16 + 64, seed=3)
    data, val = batches(x[64:], y[64:], 16)[:TOTAL], (x[:64], y[:64])

    model, opt, sched = build(case)
    full = Loop(model, opt, sched, eval_every=2, val=val).run(data)

    model, opt, sched = build(case)
    first = Loop(model, opt, sched, eval_every=2, val=val).run(data[:SPLIT])
    checkpoint = roundtrip({"model": model.state_dict(), "optimizer": opt.state_dict(),
                            "scheduler": sched.state_dict()})
    model, opt, sched = build(case)
    model.load_state_dict(checkpoint["model"])
    opt.load_state_dict(checkpoint["optimizer"])
    sched.load_state_dict(checkpoint["scheduler"])
    second = Loop(model, opt, sched, eval_every=2, val=val)
    second.steps, second.train_losses = SPLIT, list(first.train_losses)
    second.run(data[SPLIT:])

    assert first.lrs + second.lrs == full.lrs
    assert sched.adjustments == full.scheduler.adjustments
    assert len({tuple(lr) for lr in full.lrs}) > 1, "the case must exercise a changing rate"
    resumed, uninterrupted = sched.learner.state_dict(), full.scheduler.learner.state_dict()
    for name, tensor in uninterrupted["policy"].items():
        assert torch.equal(resumed["policy"][name], tensor)
    assert torch.equal(resumed["generator"], uninterrupted["generator"])
    assert resumed["baseline"] == uninterrupted["baseline"] and resumed["rewards"] == uninterrupted["rewards"]
    assert str(resumed["optimizer"]) == str(uninterrupted["optimizer"])  # Adam moments and step counts
    for a, b in zip(model.parameters(), full.model.parameters(), strict=True):
        assert torch.equal(a, b)
    if case.endswith("learning"):
        start = build(case)[2].learner.state_dict()["policy"]
        assert any(not torch.equal(start[n], t) for n, t in resumed["policy"].items()), "the policy must learn"


def test_global_generator_is_never_touched():
    x, y = make_blobs(n=20 * 16 + 64, seed=3)
    data, val = batches(x[64:], y[64:], 16)[:20], (x[:64], y[:64])
    model = make_model(seed=1)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    torch.manual_seed(123)
    before = torch.get_rng_state()
    sched = MetaLR(opt, policy="random", meta_lr=0.05, seed=0, total_steps=20)
    Loop(model, opt, sched, eval_every=2, val=val).run(data)
    assert sched.learner.rewards > 0 and sched.adjustments  # it sampled, learned and acted...
    assert torch.equal(torch.get_rng_state(), before)  # ...from its own generator only


def test_warmup_holds_decisions_and_credits_nothing():
    opt = sgd()
    sched = MetaLR(opt, policy="random", warmup_steps=3, seed=0)
    for loss in (1.0, 0.9, 0.8):
        sched.observe(val_metrics={"loss": loss})
        sched.step()
    assert sched.adjustments == [] and sched.learner.rewards == 0 and sched.rule_state["pending"] is None
    sched.observe(val_metrics={"loss": 0.7})  # out of warm-up: the first decision
    assert sched.rule_state["pending"] is not None and sched.learner.rewards == 0


def test_frozen_greedy_policy_is_deterministic_and_does_not_learn():
    def run() -> tuple[list[float], dict]:
        sched = MetaLR(sgd(), learn=False, greedy=True, total_steps=10)
        for loss in (1.0, 0.8, 0.7, 0.9, 0.6):
            sched.observe(val_metrics={"loss": loss, "accuracy": 0.6}, train_metrics={"loss": loss})
            sched.step()
        return sched.get_last_lr(), sched.learner.state_dict()

    (lr_a, state_a), (lr_b, _) = run(), run()
    assert lr_a == lr_b and state_a["rewards"] == 0
    shipped = MetaLR(sgd()).learner.state_dict()["policy"]
    assert all(torch.equal(shipped[n], t) for n, t in state_a["policy"].items())


# -- bounds under any stream -------------------------------------------------------------------
MIN_LR, MAX_LR = 1e-4, 0.5
anything = st.floats(allow_nan=True, allow_infinity=True, width=32)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(anything, anything, anything, anything), min_size=1, max_size=40),
       st.sampled_from(["random", None]))
def test_rates_stay_finite_and_bounded_on_any_stream(stream, policy):
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.SGD([{"params": [model.weight], "lr": 0.1}, {"params": [model.bias], "lr": 0.05}])
    sched = MetaLR(opt, policy=policy, meta_lr=0.5, min_lr=MIN_LR, max_lr=MAX_LR, total_steps=20)
    for val, accuracy, train, grad in stream:
        model.weight.grad = torch.full_like(model.weight, grad)  # the hook reads its norm
        model.bias.grad = torch.zeros_like(model.bias)
        with torch.no_grad():
            opt.step()
            model.weight.nan_to_num_(0.0, 0.0, 0.0)
        sched.observe(val_metrics={"loss": val, "accuracy": accuracy}, train_metrics={"loss": train})
        sched.step()
        for lr in sched.get_last_lr():
            assert math.isfinite(lr) and MIN_LR - 1e-15 <= lr <= MAX_LR + 1e-15
    if sched.rule_state["pending"] is not None:
        probabilities = sched.learner.probabilities(sched.rule_state["pending"]["features"])
        assert all(math.isfinite(p) for p in probabilities)
    assert all(torch.isfinite(p).all() for p in sched.learner.net.parameters())


# -- the shipped policy, files, the registry -----------------------------------------------------
def test_shipped_policy_loads_and_says_what_it_saw():
    metadata = read_policy_metadata()
    assert SHIPPED_POLICY.is_file()
    assert metadata["config"] == policy_config(FEATURES)
    assert metadata["tasks"] and HELD_OUT not in metadata["tasks"]
    assert set(metadata["tasks"]) <= {"digits", "mnist1d", "wine"}
    assert metadata["episodes"] >= 1 and metadata["lrlab_version"]
    assert MetaLR(sgd()).policy_metadata["tasks"] == metadata["tasks"]


def test_a_saved_policy_is_used_and_must_match(tmp_path):
    weights = MetaLR(sgd(), policy="random", seed=9).learner.net.state_dict()
    path = save_policy(tmp_path / "p.safetensors", weights, policy_config(FEATURES), {"tasks": ["wine"]})
    sched = MetaLR(sgd(), policy=path)
    assert all(torch.equal(sched.learner.net.state_dict()[n], t) for n, t in weights.items())
    assert sched.policy_metadata["tasks"] == ["wine"]
    with pytest.raises(ValueError, match="multipliers"):
        MetaLR(sgd(), policy=path, multipliers=[0.5, 2.0])
    odd = save_policy(tmp_path / "odd.safetensors", weights, {**policy_config(FEATURES), "features": ["x"] * len(FEATURES)})
    with pytest.raises(ValueError, match="reads features"):
        MetaLR(sgd(), policy=odd)


def test_registry_passes_total_steps_on():
    sched = make_scheduler("meta", sgd(), total_steps=123, policy="random")
    assert isinstance(sched, MetaLR) and sched.total_steps == 123
    assert make_scheduler("meta", sgd()).total_steps is None
    assert "total_steps" not in schedule_arguments("meta") and "policy" in schedule_arguments("meta")


@pytest.mark.parametrize("kwargs, name", [
    ({"meta_lr": 0.0}, "meta_lr"), ({"meta_lr": 2.0}, "meta_lr"),
    ({"baseline_decay": 1.0}, "baseline_decay"), ({"seed": -1}, "seed"), ({"seed": 1.5}, "seed"),
    ({"greedy": True}, "greedy"), ({"learn": "yes"}, "learn"), ({"total_steps": 0}, "total_steps"),
    ({"monitor": ""}, "monitor"), ({"mode": "up"}, "mode"), ({"reward_clip": 0.0}, "reward_clip"),
    ({"multipliers": [1.0]}, "multipliers"), ({"multipliers": [0.5, -1.0]}, "multipliers"),
    ({"policy": "random", "multipliers": [0.5, math.nan]}, "multipliers"),
    ({"policy": "random", "hidden": 0}, "hidden"), ({"hidden": 8}, "hidden"),
    ({"policy": "no/such/file.safetensors"}, "policy"), ({"policy": 3}, "policy"),
])
def test_bad_arguments_name_themselves(kwargs, name):
    with pytest.raises(ValueError, match=name):
        MetaLR(sgd(), **kwargs)


def test_missing_monitor_is_named():
    with pytest.raises(ValueError, match="monitor"):
        MetaLR(sgd(), policy="random", monitor="accuracy").observe(val_metrics={"loss": 1.0})
