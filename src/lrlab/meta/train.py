"""Meta-training: one MetaLR policy, learned over many short training runs of a plan's tasks.

Episode ``e`` is one ordinary trial (:func:`~lrlab.train.run_trial`) of the plan's task
``e mod (number of tasks)``, seeded ``seed * 1_000_000 + e``, scheduled by MetaLR starting from
the policy the episodes before left and learning online as it trains (REINFORCE, one update per
evaluation). What it learned is read back from the trial's checkpoint and carried to the next
episode; only the policy weights carry over (each episode starts a fresh policy optimizer and
reward baseline, as a user's run of MetaLR does). Episodes run without the guard
(:mod:`lrlab.schedulers.guard`) unless the plan's ``meta`` args set ``guard``: the policy learns
what its raises lead to, including a collapse, from its features and rewards.

After every episode the whole meta-training state (weights, episodes done, per-episode summary)
is written atomically to ``out/meta_checkpoint.pt``; running again with the same plan and seed
continues after the last finished episode and ends with the same weights as an uninterrupted
run. The result is ``out/policy.safetensors``: the weights, and in the metadata the config, the
tasks it saw, the episodes, the seed and the lrlab version.
"""

from __future__ import annotations

import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

import torch
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from lrlab import __version__
from lrlab.errors import LrlabError
from lrlab.schedulers.meta import FEATURES
from lrlab.schedulers.policy import (
    DEFAULT_HIDDEN,
    DEFAULT_MULTIPLIERS,
    build_policy,
    load_policy,
    policy_config,
    save_policy,
)
from lrlab.study.plan import Plan, ScheduleEntry, load_plan
from lrlab.train import TrialSpec, run_trial
from lrlab.train.checkpoint import CHECKPOINT_NAME, load_checkpoint, save_checkpoint

CHECKPOINT = "meta_checkpoint.pt"
POLICY = "policy.safetensors"
PLANS_DIR = Path(__file__).resolve().parent.parent / "plans"


class MetaTrainingFailed(LrlabError):
    """An episode's trial failed (not diverged: an error), so meta-training cannot go on."""


def meta_train(plan: str | Path | Plan, out: str | Path, *, episodes: int = 300, seed: int = 0,
               device: str = "cpu", stream: TextIO | None = None) -> Path:
    """Train one MetaLR policy over ``episodes`` short runs of ``plan``'s tasks; returns the policy file.

    Args:
        plan: a :class:`~lrlab.study.plan.Plan`, a plan file, or a shipped plan's name
            (``"meta-train"``). Its tasks (with their hyperparameters) are the episodes' runs;
            its ``meta`` schedule's args configure MetaLR (``policy`` is where training starts:
            ``"random"``, a policy file, or absent for the shipped policy; ``meta_lr`` the
            online rate, ...). Its seeds and baselines are not used here.
        out: folder for the checkpoint, the running episode and ``policy.safetensors``.
        episodes: total episodes, >= 1. Running again with more continues the same training.
        seed: seeds the fresh policy, and each episode's training and action sampling, >= 0.
        device: where episodes train (``"cpu"`` or ``"cuda"``).
        stream: where progress goes (default stderr): a live bar on a terminal, lines otherwise.
    """
    plan = _load(plan)
    if not isinstance(episodes, int) or isinstance(episodes, bool) or episodes < 1:
        raise ValueError(f"episodes must be an integer >= 1, got {episodes!r}")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    entry = _meta_schedule(plan)
    runs = [spec for spec in plan.trials(device)
            if spec.schedule_label == entry.key and spec.seed == plan.seeds[0]]
    state = load_checkpoint(out / CHECKPOINT) or _fresh_state(plan, entry, seed)
    if (state["plan_hash"], state["seed"]) != (plan.hash, seed):
        raise ValueError(f"{out} holds meta-training of plan {state['plan_hash']} with seed {state['seed']}, "
                         f"not plan {plan.hash} with seed {seed}; use an empty folder")
    if state["episodes_done"] > episodes:
        raise ValueError(f"{out} already holds {state['episodes_done']} episodes, more than episodes={episodes}")
    _remove_finished_episodes(out, state["episodes_done"])

    progress = _Progress(episodes, state["episodes_done"], stream or sys.stderr)
    try:
        for episode in range(state["episodes_done"], episodes):
            started = time.perf_counter()
            episode_dir = out / "episodes" / f"{episode:05d}"
            shutil.rmtree(episode_dir, ignore_errors=True)  # an interrupted episode starts over
            start = save_policy(episode_dir / "policy_in.safetensors", state["policy"], state["config"])
            spec = episode_spec(runs[episode % len(runs)], entry, start, seed, episode)
            result = run_trial(spec, episode_dir)
            if result.status == "failed":
                raise MetaTrainingFailed(f"episode {episode} ({spec.task_label or spec.task}) failed: {result.error}")
            policy, summary = _what_it_learned(episode_dir, state["policy"])
            summary.update(episode=episode, task=spec.task, task_label=spec.task_label, seed=spec.seed,
                           status=result.status, epochs=len(result.epochs),
                           val_loss=result.epochs[-1]["val"]["loss"] if result.epochs else None)
            state = {**state, "episodes_done": episode + 1, "policy": policy,
                     "history": [*state["history"], summary],
                     "seconds": state["seconds"] + time.perf_counter() - started}
            save_checkpoint(out / CHECKPOINT, state)
            shutil.rmtree(episode_dir, ignore_errors=True)
            progress.episode_done(summary)
    finally:
        progress.close()
    return _write_policy(out / POLICY, state, plan, entry)


def meta_train_cli(plan: str | Path, out: str | Path | None = None, episodes: int = 300,
                   seed: int = 0, stream: TextIO | None = None) -> int:
    """``lrlab meta-train PLAN``: train, then say where the policy is and what it saw.

    ``out`` defaults to ``runs/meta-train/<plan name>``.
    """
    stream = stream or sys.stderr
    loaded = _load(plan)
    out = Path(out) if out is not None else Path("runs") / "meta-train" / loaded.name
    print(f"meta-training on plan {loaded.name!r} ({loaded.hash}): {episodes} episodes over "
          f"{', '.join(t.key for t in loaded.tasks)} -> {out}", file=stream)
    path = meta_train(loaded, out, episodes=episodes, seed=seed, stream=stream)
    print(f"policy: {path}", file=stream)
    print(f"use it: make_scheduler('meta', optimizer, policy={str(path)!r})  "
          f"or in a plan: args = {{ policy = {str(path)!r} }}", file=stream)
    return 0


def episode_spec(run: TrialSpec, entry: ScheduleEntry, start: Path, seed: int, episode: int) -> TrialSpec:
    """The trial of one episode: the plan's run of its task, with its own seed, from ``start``."""
    episode_seed = seed * 1_000_000 + episode
    # Unguarded unless the plan says otherwise: the policy must see where its raises lead (a
    # collapse and its rewards), or it never learns to avoid one; users' runs keep the guard.
    args = {"guard": False, **entry.args, "policy": str(start), "seed": episode_seed}
    return replace(run, seed=episode_seed, schedule_args=args)


def _load(plan: str | Path | Plan) -> Plan:
    if isinstance(plan, Plan):
        return plan
    path = Path(plan)
    if not path.is_file() and (PLANS_DIR / f"{plan}.toml").is_file():
        path = PLANS_DIR / f"{plan}.toml"
    return load_plan(path)


def _meta_schedule(plan: Plan) -> ScheduleEntry:
    entries = [s for s in plan.schedules if s.name == "meta"]
    if not entries:
        raise ValueError(f"plan {plan.name!r} has no schedule named 'meta' to meta-train")
    entry = next((s for s in entries if s.role == "proposed"), entries[0])
    if entry.args.get("learn", True) is not True or entry.args.get("greedy", False):
        raise ValueError(f"plan {plan.name!r}: meta-training needs the meta schedule to learn (learn=true, greedy=false)")
    return entry


def _fresh_state(plan: Plan, entry: ScheduleEntry, seed: int) -> dict[str, Any]:
    start = entry.args.get("policy")
    if start == "random":
        config = policy_config(FEATURES, entry.args.get("hidden") or DEFAULT_HIDDEN,
                               entry.args.get("multipliers") or DEFAULT_MULTIPLIERS)
        net = build_policy(config, seed)
    else:
        net, metadata = load_policy(start)
        config = metadata["config"]
    return {"format": "lrlab.meta_train/1", "plan_hash": plan.hash, "seed": seed, "config": config,
            "start": start or "shipped", "episodes_done": 0, "history": [], "seconds": 0.0,
            "policy": {name: t.detach().clone() for name, t in net.state_dict().items()}}


def _what_it_learned(episode_dir: Path, before: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The policy weights after an episode, from its last checkpoint, and what its decisions earned.

    A run that diverged in its first epoch left no checkpoint: the policy is unchanged.
    """
    checkpoint = load_checkpoint(episode_dir / CHECKPOINT_NAME)
    if checkpoint is None:
        return before, {"decisions": 0, "mean_reward": None, "lr_scale": None}
    scheduler = checkpoint["scheduler"]
    rule = scheduler["rule_state"]
    updates = scheduler["trackers"]["learner"]["rewards"]
    return scheduler["trackers"]["learner"]["policy"], {
        "decisions": rule["decisions"], "updates": updates,
        "mean_reward": rule["reward_sum"] / updates if updates else None, "lr_scale": scheduler["scale"]}


def _remove_finished_episodes(out: Path, done: int) -> None:
    """Episode folders are kept only while they run; a crash after the checkpoint can leave one."""
    for folder in sorted((out / "episodes").glob("[0-9]*")):
        if folder.name.isdigit() and int(folder.name) < done:
            shutil.rmtree(folder, ignore_errors=True)


def _write_policy(path: Path, state: dict[str, Any], plan: Plan, entry: ScheduleEntry) -> Path:
    history = state["history"]
    runs = {(h["task_label"] or h["task"]) for h in history}
    rewards = [h["mean_reward"] for h in history if h["mean_reward"] is not None]
    tenth = max(1, len(rewards) // 10)
    epochs = {task.key: plan.hparams_for(task).epochs for task in plan.tasks}
    metadata = {
        "tasks": sorted({h["task"] for h in history}),
        "task_labels": sorted(runs),
        "episodes": state["episodes_done"],
        "policy_updates": sum(h.get("updates", 0) for h in history),
        "epochs_per_episode": epochs,
        "seed": state["seed"],
        "start": state["start"],
        "schedule_args": {k: v for k, v in entry.args.items() if k not in ("policy", "seed")},
        "plan": plan.name,
        "plan_hash": plan.hash,
        "lrlab_version": __version__,
        "seconds": round(state["seconds"], 1),
        "diverged_episodes": sum(h["status"] == "diverged" for h in history),
        "mean_reward_first_tenth": sum(rewards[:tenth]) / tenth if rewards else None,
        "mean_reward_last_tenth": sum(rewards[-tenth:]) / tenth if rewards else None,
    }
    return save_policy(path, state["policy"], state["config"], metadata)


class _Progress:
    """A rich bar on a terminal; a plain line every few episodes elsewhere (CI, logs)."""

    def __init__(self, total: int, done: int, stream: TextIO) -> None:
        self.total, self.done, self.stream = total, done, stream
        self.every = max(1, total // 50)
        self.rewards: list[float] = []
        self.bar: Progress | None = None
        if stream.isatty():
            self.bar = Progress(TextColumn("[bold]episodes"), BarColumn(), MofNCompleteColumn(),
                                TextColumn("{task.fields[status]}"), TimeRemainingColumn(),
                                console=Console(file=stream))
            self.task = self.bar.add_task("meta-train", total=total, completed=done, status="")
            self.bar.start()

    def episode_done(self, summary: dict[str, Any]) -> None:
        self.done += 1
        if summary["mean_reward"] is not None:
            self.rewards = [*self.rewards[-19:], summary["mean_reward"]]
        recent = sum(self.rewards) / len(self.rewards) if self.rewards else float("nan")
        status = (f"{summary['task_label'] or summary['task']}: {summary['status']}, "
                  f"mean reward (last {len(self.rewards)}) {recent:+.4f}")
        if self.bar is not None:
            self.bar.update(self.task, completed=self.done, status=status)
        elif self.done % self.every == 0 or self.done == self.total:
            print(f"[{self.done}/{self.total}] {status}", file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
