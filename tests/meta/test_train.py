"""Meta-training: one policy over short episodes, resumable to the same weights, saved with what it saw."""

from __future__ import annotations

import io

import pytest
import torch

import lrlab.meta.train as meta_train_module
from lrlab.meta import meta_train, meta_train_cli
from lrlab.schedulers import MetaLR
from lrlab.schedulers.policy import load_policy
from lrlab.study.plan import parse_plan

TINY = """
name = "tiny-meta"
seeds = [0, 1, 2]

[defaults]
lr = 0.01
epochs = 2
batch_size = 32

[[tasks]]
name = "wine"

[[schedules]]
name = "meta"
role = "proposed"
args = { policy = "random", meta_lr = 0.01 }

[[schedules]]
name = "constant"
role = "baseline"
"""


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> dict[str, torch.Tensor]:
    out = tmp_path_factory.mktemp("uninterrupted")
    path = meta_train(parse_plan(TINY), out, episodes=3, seed=1, stream=io.StringIO())
    return load_policy(path)[0].state_dict()


def assert_same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        assert torch.equal(a[name], b[name]), name


def test_policy_learns_and_says_what_it_saw(tmp_path, uninterrupted):
    stream = io.StringIO()
    path = meta_train(parse_plan(TINY), tmp_path, episodes=3, seed=1, stream=stream)
    net, metadata = load_policy(path)
    assert_same(net.state_dict(), uninterrupted)  # the same numbers twice
    fresh = MetaLR(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1), policy="random", seed=1)
    assert any(not torch.equal(fresh.learner.net.state_dict()[n], t) for n, t in uninterrupted.items())
    assert metadata["tasks"] == ["wine"] and metadata["episodes"] == 3 and metadata["seed"] == 1
    assert metadata["policy_updates"] == 3 and metadata["start"] == "random"  # 2 epochs: 1 update per episode
    assert metadata["plan"] == "tiny-meta" and metadata["lrlab_version"]
    assert "[3/3] wine: completed" in stream.getvalue()  # progress, one line per episode here
    assert not list((tmp_path / "episodes").iterdir())  # finished episodes leave nothing behind


def test_rerun_with_more_episodes_continues(tmp_path, uninterrupted):
    meta_train(parse_plan(TINY), tmp_path, episodes=2, seed=1, stream=io.StringIO())
    path = meta_train(parse_plan(TINY), tmp_path, episodes=3, seed=1, stream=io.StringIO())
    assert_same(load_policy(path)[0].state_dict(), uninterrupted)


def test_interrupted_episode_is_rerun_from_the_last_checkpoint(tmp_path, monkeypatch, uninterrupted):
    real_run_trial, calls = meta_train_module.run_trial, []

    def interrupted(spec, trial_dir, **kwargs):
        calls.append(spec.seed)
        if len(calls) == 2:  # Ctrl-C in the middle of the second episode, after one epoch
            real_run_trial(spec, trial_dir, on_epoch=lambda record: (_ for _ in ()).throw(KeyboardInterrupt()))
        return real_run_trial(spec, trial_dir, **kwargs)

    monkeypatch.setattr(meta_train_module, "run_trial", interrupted)
    with pytest.raises(KeyboardInterrupt):
        meta_train(parse_plan(TINY), tmp_path, episodes=3, seed=1, stream=io.StringIO())
    assert (tmp_path / "episodes" / "00001").is_dir()  # the half-done episode
    monkeypatch.setattr(meta_train_module, "run_trial", real_run_trial)
    path = meta_train(parse_plan(TINY), tmp_path, episodes=3, seed=1, stream=io.StringIO())
    assert_same(load_policy(path)[0].state_dict(), uninterrupted)


def test_folder_of_another_run_and_bad_arguments_are_refused(tmp_path):
    meta_train(parse_plan(TINY), tmp_path, episodes=1, seed=1, stream=io.StringIO())
    with pytest.raises(ValueError, match="seed 1"):
        meta_train(parse_plan(TINY), tmp_path, episodes=1, seed=2, stream=io.StringIO())
    meta_train(parse_plan(TINY), tmp_path, episodes=1, seed=1, stream=io.StringIO())  # done already: no-op
    meta_train(parse_plan(TINY), tmp_path / "x", episodes=2, seed=1, stream=io.StringIO())
    with pytest.raises(ValueError, match="more than episodes=1"):
        meta_train(parse_plan(TINY), tmp_path / "x", episodes=1, seed=1, stream=io.StringIO())
    with pytest.raises(ValueError, match="episodes"):
        meta_train(parse_plan(TINY), tmp_path / "y", episodes=0)
    no_meta = TINY.replace('name = "meta"', 'name = "performance"').replace(
        'args = { policy = "random", meta_lr = 0.01 }', "")
    with pytest.raises(ValueError, match="no schedule named 'meta'"):
        meta_train(parse_plan(no_meta), tmp_path / "z", episodes=1)
    frozen = TINY.replace("meta_lr = 0.01", "learn = false, greedy = true")
    with pytest.raises(ValueError, match="learn"):
        meta_train(parse_plan(frozen), tmp_path / "w", episodes=1)


def test_cli_entry_takes_a_plan_file(tmp_path):
    plan = tmp_path / "tiny.toml"
    plan.write_text(TINY)
    stream = io.StringIO()
    assert meta_train_cli(str(plan), str(tmp_path / "out"), episodes=1, seed=0, stream=stream) == 0
    assert (tmp_path / "out" / "policy.safetensors").is_file()
    assert "policy:" in stream.getvalue()


def test_episodes_run_unguarded_unless_the_plan_says_otherwise(tmp_path):
    """The policy must see where its raises lead; a plan may still ask for the guard."""
    from lrlab.meta.train import episode_spec

    plan = parse_plan(TINY)
    run, entry = plan.trials()[0], next(s for s in plan.schedules if s.name == "meta")
    spec = episode_spec(run, entry, tmp_path / "p.safetensors", seed=1, episode=4)
    assert spec.schedule_args["guard"] is False and spec.seed == 1_000_004
    guarded = entry.model_copy(update={"args": {**entry.args, "guard": True}})
    assert episode_spec(run, guarded, tmp_path / "p.safetensors", seed=1, episode=4).schedule_args["guard"] is True
