"""MetaLR: a learned controller picks the learning-rate multiplier after every evaluation."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

from torch.optim import Optimizer

from lrlab.schedulers.base import AdaptiveLR, Decision, Guard, check_int, check_range
from lrlab.schedulers.policy import (
    DEFAULT_HIDDEN,
    DEFAULT_MULTIPLIERS,
    PolicyLearner,
    build_policy,
    load_policy,
    policy_config,
)
from lrlab.schedulers.space import Dimension
from lrlab.signals import grad_norm, optimizer_params

#: What the policy sees after each evaluation, in this order. Losses enter as logs of ratios (to
#: the first evaluation's value, or to the previous one), so that the same policy reads tasks
#: whose losses live on different scales.
FEATURES: tuple[str, ...] = (
    "train_loss",           # log(train loss / first train loss)
    "train_loss_change",    # log(train loss / previous train loss)
    "val_loss",             # log(val loss / first val loss)
    "val_loss_change",      # log(val loss / previous val loss)
    "val_accuracy",         # validation accuracy (0 if not reported)
    "val_accuracy_change",  # its change since the previous evaluation
    "gap",                  # log(val loss / train loss): > 0 when the model overfits
    "log_lr",               # log(current rate / initial rate)
    "progress",             # optimizer steps done / total_steps (0 if the budget is unknown)
    "grad_norm",            # log(mean grad norm since the last decision / the first such mean)
    "grad_norm_cv",         # std / mean of the grad norm since the last decision
    "val_loss_from_best",   # log(val loss / best val loss so far): > 0 once the run falls back
    "val_accuracy_from_best",  # val accuracy - best val accuracy so far: < 0 once it falls back
)
#: Every feature is clipped to [-CLIP, CLIP]; a non-finite one reads as 0.
CLIP = 5.0


def _log_ratio(value: float | None, reference: float | None) -> float:
    if value is None or reference is None or not (value > 0 and reference > 0):
        return 0.0
    return math.log(value / reference)


def _finite_or_none(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


@dataclass(frozen=True)
class MetaFeatures:
    """The pure piece: (its state, one evaluation) -> (new state, features, reward).

    The reward is the relative improvement of the monitored validation metric since the previous
    evaluation, ``(previous - current) / |previous|`` for ``mode="min"`` (the sign flipped for
    ``"max"``), clipped to ``[-reward_clip, reward_clip]``; a non-finite current value earns
    ``-reward_clip``; the first evaluation (or one after a non-finite value) earns none.
    """

    monitor: str = "loss"
    mode: Literal["min", "max"] = "min"
    reward_clip: float = 1.0

    def initial_state(self) -> dict[str, Any]:
        return {"first_train": None, "first_val": None, "first_grad": None, "train": None,
                "val": None, "accuracy": None, "monitored": None, "best_val": None, "best_accuracy": None}

    def update(self, state: dict[str, Any], val_metrics: Mapping[str, float],
               train_metrics: Mapping[str, float] | None, *, log_lr: float, progress: float,
               grad_mean: float | None, grad_std: float | None
               ) -> tuple[dict[str, Any], list[float], float | None]:
        val = _finite_or_none(float(val_metrics["loss"])) if "loss" in val_metrics else None
        train = (_finite_or_none(float(train_metrics["loss"]))
                 if train_metrics is not None and "loss" in train_metrics else None)
        accuracy = _finite_or_none(float(val_metrics["accuracy"])) if "accuracy" in val_metrics else None
        grad_mean = _finite_or_none(grad_mean)
        first_train = state["first_train"] if state["first_train"] is not None else train
        first_val = state["first_val"] if state["first_val"] is not None else val
        first_grad = state["first_grad"] if state["first_grad"] is not None else grad_mean
        # The best so far includes this evaluation: 0 while improving, the distance once it falls back.
        best_val = min(v for v in (state["best_val"], val) if v is not None) if val is not None else state["best_val"]
        best_accuracy = (max(a for a in (state["best_accuracy"], accuracy) if a is not None)
                         if accuracy is not None else state["best_accuracy"])
        raw = [
            _log_ratio(train, first_train), _log_ratio(train, state["train"]),
            _log_ratio(val, first_val), _log_ratio(val, state["val"]),
            accuracy if accuracy is not None else 0.0,
            accuracy - state["accuracy"] if accuracy is not None and state["accuracy"] is not None else 0.0,
            _log_ratio(val, train), log_lr, progress,
            _log_ratio(grad_mean, first_grad),
            grad_std / grad_mean if grad_mean and grad_std is not None else 0.0,
            _log_ratio(val, best_val),
            accuracy - best_accuracy if accuracy is not None and best_accuracy is not None else 0.0,
        ]
        features = [min(max(x, -CLIP), CLIP) if math.isfinite(x) else 0.0 for x in raw]
        current = float(val_metrics[self.monitor])
        reward = self.reward(state["monitored"], current)
        state = {"first_train": first_train, "first_val": first_val, "first_grad": first_grad,
                 "train": train, "val": val, "accuracy": accuracy, "monitored": _finite_or_none(current),
                 "best_val": best_val, "best_accuracy": best_accuracy}
        return state, features, reward

    def reward(self, previous: float | None, current: float) -> float | None:
        if previous is None:
            return None
        if not math.isfinite(current):
            return -self.reward_clip
        change = (previous - current) if self.mode == "min" else (current - previous)
        relative = change / max(abs(previous), 1e-12)
        return min(max(relative, -self.reward_clip), self.reward_clip)


class MetaLR(AdaptiveLR):
    """Meta-learned rate: a small policy network chooses a multiplier after every evaluation.

    After each evaluation (``observe(val_metrics=..., train_metrics=...)``) the policy reads the
    training state (:data:`FEATURES`: losses and their changes, validation accuracy, the
    train/validation gap, the current rate, progress through the budget, statistics of the
    global gradient norm read by an optimizer hook since the last decision, and how far the
    validation loss and accuracy have fallen back from their best, which is how a collapse
    looks) and picks one multiplier from a small set. The reward of that choice is the
    improvement of the validation metric by the next evaluation (:class:`MetaFeatures`). With ``learn=True`` the policy keeps
    learning online: one REINFORCE step with a running-mean baseline per decision
    (:class:`~lrlab.schedulers.policy.PolicyLearner`). It starts from the pre-trained policy
    that ships with lrlab (``lrlab.meta.meta_train`` trained it over short runs of embedded
    tasks; see its metadata with :func:`~lrlab.schedulers.policy.read_policy_metadata`). That
    policy got little training — 700 ten-epoch episodes of MLPs on digits, mnist1d and wine,
    about 7 CPU minutes, breast_cancer held out — so it is a start, not a tuned controller.

    The idea of the report "Adaptive Learning Rate Schedulers with Meta-Learning" (a learned
    controller in the spirit of Xu et al. 2017, "Reinforcement learning for learning rate
    control"). Actions are sampled from a generator seeded by ``seed``; torch's global
    generator is never touched, so MetaLR does not change the training's randomness.

    Args:
        optimizer: wrapped optimizer.
        policy: ``None`` (default) for the shipped pre-trained policy, a path to a policy file
            (safetensors, written by ``meta_train``), or ``"random"`` for a fresh one from ``seed``.
        multipliers: the choices, >= 2 positive numbers; default: the policy file's, or
            (0.5, 0.8, 1, 1.25, 2) for ``"random"``. Must match a loaded policy's.
        hidden: hidden units of a ``"random"`` policy, >= 1 (default 32); a loaded policy has its own.
        meta_lr: Adam rate of the online policy update, in (0, 1] (default 1e-4, the report's).
        baseline_decay: weight of the past in the reward baseline, in [0, 1) (default 0.9).
        learn: update the policy online (default True); False freezes it.
        greedy: take the most likely multiplier instead of sampling (default False); needs
            ``learn=False`` (REINFORCE learns from sampled actions).
        seed: seed of action sampling (and of a ``"random"`` policy's weights), >= 0 (default 0).
        monitor: key of ``val_metrics`` the reward follows (default ``"loss"``).
        mode: ``"min"`` or ``"max"``; default ``"min"`` if ``"loss"`` is in ``monitor``, else ``"max"``.
        reward_clip: rewards are clipped to [-reward_clip, reward_clip], > 0 (default 1).
        total_steps: optimizer steps in the run, >= 1, for the progress feature; None (default)
            reads progress as 0. ``make_scheduler("meta", ...)`` passes it on.
        min_lr, max_lr, warmup_steps, guard: see :class:`~lrlab.schedulers.base.AdaptiveLR` (no
            decision is taken during warm-up). The guard is on when this scheduler can raise the
            rate (a multiplier > 1); it reads the validation metrics MetaLR already gets.

    Example:
        >>> import torch
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> sched = MetaLR(opt, policy="random", total_steps=4, seed=0)
        >>> for val_loss in (1.0, 0.9, 0.85, 0.84):  # one evaluation per epoch
        ...     opt.step()  # ... the epoch's training steps, each followed by sched.step()
        ...     sched.observe(val_metrics={"loss": val_loss, "accuracy": 0.5}, train_metrics={"loss": 0.8})
        ...     sched.step()
        >>> [a["rule"] for a in sched.adjustments]
        ['policy: x0.8', 'policy: x0.8']
        >>> sched.learner.rewards  # one policy update per decision after the first
        3
    """

    needs: ClassVar[frozenset[str]] = frozenset({"val_metrics", "train_metrics", "grads"})
    #: Arguments worth tuning, with ranges (the study tunes every schedule's rate besides these).
    search_space: ClassVar[dict[str, Dimension]] = {
        "meta_lr": Dimension(1e-5, 1e-2, log=True),
    }
    _stateful = ("learner",)

    def __init__(self, optimizer: Optimizer, *, policy: str | Path | None = None,
                 multipliers: Sequence[float] | None = None, hidden: int | None = None,
                 meta_lr: float = 1e-4, baseline_decay: float = 0.9, learn: bool = True,
                 greedy: bool = False, seed: int = 0, monitor: str = "loss",
                 mode: Literal["min", "max"] | None = None, reward_clip: float = 1.0,
                 total_steps: int | None = None, min_lr: float | Sequence[float] = 0.0,
                 max_lr: float | Sequence[float] | None = None, warmup_steps: int = 0,
                 guard: bool | Guard | Mapping[str, Any] = True, last_epoch: int = -1) -> None:
        check_range("meta_lr", meta_lr, 0.0, 1.0, low_open=True)
        check_range("baseline_decay", baseline_decay, 0.0, 1.0, high_open=True)
        check_range("reward_clip", reward_clip, 0.0, math.inf, low_open=True, high_open=True)
        check_int("seed", seed, 0)
        for name, flag in (("learn", learn), ("greedy", greedy)):
            if not isinstance(flag, bool):
                raise ValueError(f"{name} must be True or False, got {flag!r}")
        if greedy and learn:
            raise ValueError("greedy=True needs learn=False: REINFORCE learns from sampled actions")
        if total_steps is not None:
            check_int("total_steps", total_steps, 1)
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(f"monitor must be a metric name, got {monitor!r}")
        mode = mode or ("min" if "loss" in monitor else "max")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        if multipliers is not None:
            multipliers = _check_multipliers(multipliers)
        if hidden is not None:
            if policy != "random":
                raise ValueError("hidden sets the size of a 'random' policy; a loaded policy has its own")
            check_int("hidden", hidden, 1)

        if policy == "random":
            config = policy_config(FEATURES, hidden or DEFAULT_HIDDEN, multipliers or DEFAULT_MULTIPLIERS)
            net, self.policy_metadata = build_policy(config, seed), {"config": config}
        elif policy is None or isinstance(policy, str | Path):
            net, self.policy_metadata = load_policy(policy)
            config = self.policy_metadata["config"]
            if tuple(config["features"]) != FEATURES:
                raise ValueError(f"policy {str(policy)!r} reads features {config['features']}, not MetaLR's {list(FEATURES)}")
            if multipliers is not None and tuple(multipliers) != tuple(config["multipliers"]):
                raise ValueError(f"multipliers {list(multipliers)} differ from the policy's {config['multipliers']}")
        else:
            raise ValueError(f"policy must be a policy file, 'random' or None (the shipped one), got {policy!r}")
        self.multipliers = tuple(float(m) for m in config["multipliers"])
        self.learner = PolicyLearner(net, lr=meta_lr, baseline_decay=baseline_decay, seed=seed)
        self.learn, self.greedy, self.monitor, self.total_steps = learn, greedy, monitor, total_steps
        self.features = MetaFeatures(monitor, mode, reward_clip)
        super().__init__(optimizer, min_lr=min_lr, max_lr=max_lr, warmup_steps=warmup_steps,
                         guard=guard, last_epoch=last_epoch)

    @property
    def can_raise(self) -> bool:  # type: ignore[override]
        """Raises if any multiplier is > 1."""
        return max(self.multipliers) > 1.0

    def initial_rule_state(self) -> dict[str, Any]:
        return {**self.features.initial_state(), "pending": None, "grad_count": 0,
                "grad_mean": 0.0, "grad_m2": 0.0, "decisions": 0, "reward_sum": 0.0}

    def _on_gradients(self, optimizer: Optimizer) -> None:
        norm = grad_norm(optimizer_params(optimizer))
        if not math.isfinite(norm):
            return None
        # Welford's running mean and variance of the norm since the last decision.
        state = self.rule_state
        count = state["grad_count"] + 1
        delta = norm - state["grad_mean"]
        mean = state["grad_mean"] + delta / count
        self.rule_state = {**state, "grad_count": count, "grad_mean": mean,
                           "grad_m2": state["grad_m2"] + delta * (norm - mean)}
        return None

    def _observe(self, val_metrics: Mapping[str, float] | None = None,
                 train_metrics: Mapping[str, float] | None = None, **_: Any) -> Decision | None:
        if val_metrics is None:
            return None
        if self.monitor not in val_metrics:
            raise ValueError(f"val_metrics has no {self.monitor!r} (monitor); got {sorted(val_metrics)}")
        state = self.rule_state
        count = state["grad_count"]
        grad_mean = state["grad_mean"] if count else None
        grad_std = math.sqrt(state["grad_m2"] / count) if count else None
        progress = min(1.0, max(0, self.last_epoch) / self.total_steps) if self.total_steps else 0.0
        tracked, features, reward = self.features.update(
            {key: state[key] for key in self.features.initial_state()}, val_metrics, train_metrics,
            log_lr=math.log(self.scale) if self.scale > 0 else -CLIP, progress=progress,
            grad_mean=grad_mean, grad_std=grad_std)
        # This evaluation's reward goes to the previous decision, if there was one.
        pending = state["pending"]
        reward = reward if pending is not None else None
        advantage = None
        if reward is not None and self.learn:
            advantage = self.learner.update(pending["features"], pending["action"], reward)
        state = {**state, **tracked, "grad_count": 0, "grad_mean": 0.0, "grad_m2": 0.0, "pending": None,
                 "reward_sum": state["reward_sum"] + (reward or 0.0)}
        if self.in_warmup:  # no decision, so nothing to credit at the next evaluation
            self.rule_state = state
            return None
        action, probability = self.learner.act(features, greedy=self.greedy)
        multiplier = self.multipliers[action]
        self.rule_state = {**state, "pending": {"features": features, "action": action},
                           "decisions": state["decisions"] + 1}
        self.signals = {**dict(zip(FEATURES, features, strict=True)), "multiplier": multiplier,
                        "probability": probability}
        if reward is not None:  # the first decision (and the first after warm-up) has none to credit
            self.signals["reward"] = reward
        if advantage is not None:  # a frozen policy learns nothing
            self.signals["advantage"] = advantage
        return Decision(multiplier, f"policy: x{multiplier:g}", dict(self.signals))


def _check_multipliers(multipliers: Sequence[float]) -> tuple[float, ...]:
    values = tuple(multipliers) if isinstance(multipliers, Sequence) and not isinstance(multipliers, str) else ()
    if len(values) < 2 or not all(isinstance(m, int | float) and not isinstance(m, bool)
                                  and math.isfinite(m) and m > 0 for m in values):
        raise ValueError(f"multipliers must be >= 2 finite numbers > 0, got {multipliers!r}")
    return tuple(float(m) for m in values)
