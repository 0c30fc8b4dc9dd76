"""The policy piece alone: a contextual bandit it must solve, exact state, policy files."""

from __future__ import annotations

import math

import pytest
import torch

from helpers import roundtrip
from lrlab.schedulers.meta import FEATURES
from lrlab.schedulers.policy import (
    DEFAULT_MULTIPLIERS,
    FORMAT,
    PolicyLearner,
    build_policy,
    load_policy,
    policy_config,
    read_policy_metadata,
    save_policy,
)

CONFIG = policy_config(FEATURES)


def bandit_reward(action: int, best: int, noise: torch.Generator) -> float:
    """Best multiplier known: the reward falls with the squared log-distance from it, plus noise."""
    log_distance = math.log(DEFAULT_MULTIPLIERS[action]) - math.log(DEFAULT_MULTIPLIERS[best])
    return -log_distance**2 + 0.05 * float(torch.randn(1, generator=noise))


def random_state(generator: torch.Generator) -> list[float]:
    return torch.randn(len(FEATURES), generator=generator).tolist()


@pytest.mark.parametrize("seed, best", [(0, 3), (1, 1), (2, 0)])
def test_learner_converges_to_the_best_multiplier_of_a_contextual_bandit(seed, best):
    """States are random, the best multiplier is the same in all of them: within 500 decisions the
    policy puts >= 90 % of its mass on it on average, and it is the most likely in >= 95 % of states."""
    world = torch.Generator().manual_seed(1000 + seed)
    learner = PolicyLearner(build_policy(CONFIG, seed=seed), lr=1e-2, seed=seed)
    start = [learner.probabilities(random_state(world)) for _ in range(20)]
    assert max(p[best] for p in start) < 0.3  # a fresh policy is close to uniform: nothing is known yet
    for _ in range(500):
        state = random_state(world)
        action, _ = learner.act(state)
        learner.update(state, action, bandit_reward(action, best, world))
    after = [learner.probabilities(random_state(world)) for _ in range(100)]
    assert sum(p[best] for p in after) / len(after) >= 0.9
    assert sum(max(range(len(p)), key=p.__getitem__) == best for p in after) >= 95


def test_baseline_is_the_running_mean_then_an_ema():
    learner = PolicyLearner(build_policy(CONFIG, seed=0), lr=1e-3, baseline_decay=0.5)
    state = [0.0] * len(FEATURES)
    advantages = [learner.update(state, 0, r) for r in (1.0, 3.0, 5.0)]
    assert advantages == [1.0, 2.0, 3.0]  # baseline 0, then mean 1, then mean 2 (n=2 >= 1/(1-0.5))
    assert learner.baseline == pytest.approx(2.0 + (5.0 - 2.0) * 0.5)


def test_greedy_takes_the_most_likely_action_and_draws_nothing():
    learner = PolicyLearner(build_policy(CONFIG, seed=0), seed=0)
    with torch.no_grad():
        learner.net.b2.copy_(torch.tensor([0.0, 0.0, 0.0, 3.0, 0.0]))
    generator_state = learner.generator.get_state()
    assert learner.act([0.0] * len(FEATURES), greedy=True)[0] == 3
    assert torch.equal(learner.generator.get_state(), generator_state)


def test_state_roundtrip_continues_exactly():
    world = torch.Generator().manual_seed(5)
    states = [random_state(world) for _ in range(30)]

    def play(learner: PolicyLearner, span: range) -> list[int]:
        actions = []
        for i in span:
            action, _ = learner.act(states[i])
            learner.update(states[i], action, float(action == 2))
            actions.append(action)
        return actions

    full = PolicyLearner(build_policy(CONFIG, seed=1), lr=1e-2, seed=7)
    full_actions = play(full, range(30))
    first = PolicyLearner(build_policy(CONFIG, seed=1), lr=1e-2, seed=7)
    first_actions = play(first, range(12))
    saved = roundtrip(first.state_dict())
    resumed = PolicyLearner(build_policy(CONFIG, seed=99), lr=1e-2, seed=123)  # all of it comes from the state
    resumed.load_state_dict(saved)
    assert first_actions + play(resumed, range(12, 30)) == full_actions
    for a, b in zip(resumed.net.parameters(), full.net.parameters(), strict=True):
        assert torch.equal(a, b)
    assert torch.equal(resumed.generator.get_state(), full.generator.get_state())
    assert resumed.baseline == full.baseline


def test_fresh_policy_is_seeded_and_leaves_the_global_generator_alone():
    torch.manual_seed(0)
    before = torch.get_rng_state()
    a, b, c = build_policy(CONFIG, seed=4), build_policy(CONFIG, seed=4), build_policy(CONFIG, seed=5)
    assert torch.equal(torch.get_rng_state(), before)
    assert torch.equal(a.w1, b.w1) and not torch.equal(a.w1, c.w1)
    assert torch.count_nonzero(a.w2) == 0  # starts uniform over the multipliers


def test_policy_file_roundtrip(tmp_path):
    net = build_policy(CONFIG, seed=3)
    path = save_policy(tmp_path / "p.safetensors", net.state_dict(), CONFIG, {"tasks": ["wine"], "episodes": 2})
    loaded, metadata = load_policy(path)
    assert metadata["format"] == FORMAT and metadata["config"] == CONFIG
    assert metadata["tasks"] == ["wine"] and metadata["episodes"] == 2
    for name, tensor in net.state_dict().items():
        assert torch.equal(loaded.state_dict()[name], tensor)
    assert read_policy_metadata(path) == metadata


def test_files_that_are_not_policies_are_refused(tmp_path):
    from safetensors.torch import save_file

    with pytest.raises(ValueError, match="no such file"):
        load_policy(tmp_path / "missing.safetensors")
    save_file({"w": torch.zeros(2)}, str(tmp_path / "other.safetensors"), metadata={"format": "pt"})
    with pytest.raises(ValueError, match="not an lrlab MetaLR policy"):
        load_policy(tmp_path / "other.safetensors")
