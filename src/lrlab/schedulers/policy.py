"""MetaLR's policy: a small network from the training state to a choice of multiplier.

Three pieces, each usable alone:

* :class:`PolicyNet` — features -> tanh hidden layer -> one logit per multiplier.
* :class:`PolicyLearner` — REINFORCE with a running-mean baseline (Williams 1992): sample an
  action, and after its reward take one Adam step on ``-(reward - baseline) * log pi(action)``.
  Its state (weights, Adam state, sampling generator, baseline) is explicit, so resume is exact;
  it never draws from torch's global random generator.
* :func:`save_policy` / :func:`load_policy` — a policy file is safetensors: the weights, and in
  its metadata the config (features, hidden size, multipliers) and how it was trained.
"""

from __future__ import annotations

import copy
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

#: The multipliers a policy chooses from unless told otherwise (the issue's categorical action).
DEFAULT_MULTIPLIERS: tuple[float, ...] = (0.5, 0.8, 1.0, 1.25, 2.0)
DEFAULT_HIDDEN = 32
#: The ``format`` metadata entry of every policy file.
FORMAT = "lrlab.metalr.policy/1"
#: The pre-trained policy that ships with the package (MetaLR's default start).
SHIPPED_POLICY = Path(__file__).resolve().parent / "policies" / "default.safetensors"


class PolicyNet(nn.Module):
    """``logits = W2 tanh(W1 x + b1) + b2``: one logit per multiplier.

    The parameters are plain tensors filled by :meth:`reset` from a given generator (``nn.Linear``
    would initialise itself from torch's global generator, shifting the training's randomness).
    A fresh network starts with ``W2 = b2 = 0``: every multiplier equally likely.
    """

    def __init__(self, features: int, hidden: int, actions: int) -> None:
        super().__init__()
        self.w1 = nn.Parameter(torch.zeros(hidden, features))
        self.b1 = nn.Parameter(torch.zeros(hidden))
        self.w2 = nn.Parameter(torch.zeros(actions, hidden))
        self.b2 = nn.Parameter(torch.zeros(actions))

    @torch.no_grad()
    def reset(self, generator: torch.Generator) -> PolicyNet:
        bound = 1.0 / math.sqrt(self.w1.shape[1])  # nn.Linear's default range for the first layer
        self.w1.uniform_(-bound, bound, generator=generator)
        self.b1.uniform_(-bound, bound, generator=generator)
        self.w2.zero_()
        self.b2.zero_()
        return self

    def forward(self, features: Tensor) -> Tensor:
        return F.linear(torch.tanh(F.linear(features, self.w1, self.b1)), self.w2, self.b2)


def policy_config(features: Sequence[str], hidden: int = DEFAULT_HIDDEN,
                  multipliers: Sequence[float] = DEFAULT_MULTIPLIERS) -> dict[str, Any]:
    """The plain description a policy file carries: feature names, hidden size, multipliers."""
    return {"features": list(features), "hidden": int(hidden), "multipliers": [float(m) for m in multipliers]}


def build_policy(config: Mapping[str, Any], seed: int | None = None) -> PolicyNet:
    """A network of the given config; freshly initialised from ``seed`` if one is given."""
    net = PolicyNet(len(config["features"]), config["hidden"], len(config["multipliers"]))
    return net if seed is None else net.reset(torch.Generator().manual_seed(seed))


class PolicyLearner:
    """Acts with a :class:`PolicyNet` and learns it online by REINFORCE with a baseline.

    Args:
        net: the policy.
        lr: Adam learning rate of the policy (the meta-learner rate), > 0 (default 1e-4).
        baseline_decay: the baseline is the mean of the rewards so far, then (once
            ``1/(1 - decay)`` rewards are in) their exponential moving average, in [0, 1)
            (default 0.9).
        seed: seed of the generator actions are sampled from.

    Example:
        >>> learner = PolicyLearner(build_policy(policy_config(["x"], 8, (0.5, 2.0)), seed=0), lr=0.05)
        >>> for _ in range(200):  # a one-armed choice: the second multiplier always pays
        ...     action, _ = learner.act([1.0])
        ...     _ = learner.update([1.0], action, reward=float(action == 1))
        >>> learner.probabilities([1.0])[1] > 0.9
        True
    """

    def __init__(self, net: PolicyNet, *, lr: float = 1e-4, baseline_decay: float = 0.9,
                 seed: int = 0) -> None:
        self.net = net
        self.baseline_decay = baseline_decay
        self.optimizer = torch.optim.Adam(net.parameters(), lr=lr)
        self.generator = torch.Generator().manual_seed(seed)
        self.baseline = 0.0
        self.rewards = 0  # rewards seen (and updates taken)

    def probabilities(self, features: Sequence[float]) -> list[float]:
        with torch.no_grad():
            return F.softmax(self.net(_tensor(features)), dim=-1).tolist()

    def act(self, features: Sequence[float], greedy: bool = False) -> tuple[int, float]:
        """An action index (sampled, or the most likely one) and its probability."""
        with torch.no_grad():
            probs = F.softmax(self.net(_tensor(features)), dim=-1)
        if greedy:
            action = int(probs.argmax())
        else:
            action = int(torch.multinomial(probs, 1, generator=self.generator))
        return action, float(probs[action])

    def update(self, features: Sequence[float], action: int, reward: float) -> float:
        """One REINFORCE step for ``action`` taken in ``features``; returns the advantage used."""
        advantage = reward - self.baseline
        self.rewards += 1
        self.baseline += (reward - self.baseline) * max(1.0 / self.rewards, 1.0 - self.baseline_decay)
        log_prob = F.log_softmax(self.net(_tensor(features)), dim=-1)[action]
        self.optimizer.zero_grad(set_to_none=True)
        (-advantage * log_prob).backward()
        self.optimizer.step()
        return advantage

    def state_dict(self) -> dict[str, Any]:
        return {
            "policy": {name: t.detach().clone() for name, t in self.net.state_dict().items()},
            "optimizer": copy.deepcopy(self.optimizer.state_dict()),
            "generator": self.generator.get_state(),
            "baseline": self.baseline,
            "rewards": self.rewards,
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.net.load_state_dict(state["policy"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.generator.set_state(state["generator"])
        self.baseline = float(state["baseline"])
        self.rewards = int(state["rewards"])


def _tensor(features: Sequence[float]) -> Tensor:
    return torch.as_tensor(features, dtype=torch.float32)


def save_policy(path: str | Path, weights: Mapping[str, Tensor], config: Mapping[str, Any],
                metadata: Mapping[str, Any] | None = None) -> Path:
    """Write a policy file (atomically): ``weights`` as tensors; ``config`` and ``metadata`` as
    JSON strings in the safetensors metadata."""
    from safetensors.torch import save_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = {"format": FORMAT, "config": json.dumps(dict(config), sort_keys=True)}
    header.update({key: json.dumps(value) for key, value in (metadata or {}).items()})
    temporary = path.with_name(path.name + ".tmp")
    save_file({name: t.detach().contiguous() for name, t in weights.items()}, str(temporary), metadata=header)
    os.replace(temporary, path)
    return path


def read_policy_metadata(path: str | Path | None = None) -> dict[str, Any]:
    """A policy file's metadata, decoded (``config``, ``tasks``, ``episodes``, ...); default: the shipped one."""
    from safetensors import safe_open

    path = _existing(path)
    with safe_open(str(path), framework="pt") as handle:
        raw = handle.metadata() or {}
    if raw.get("format") != FORMAT:
        raise ValueError(f"policy {str(path)!r} is not an lrlab MetaLR policy (format {raw.get('format')!r}, expected {FORMAT!r})")
    return {key: value if key == "format" else json.loads(value) for key, value in raw.items()}


def load_policy(path: str | Path | None = None) -> tuple[PolicyNet, dict[str, Any]]:
    """The network stored in a policy file and its decoded metadata; default: the shipped policy."""
    from safetensors.torch import load_file

    metadata = read_policy_metadata(path)
    net = build_policy(metadata["config"])
    net.load_state_dict(load_file(str(_existing(path))))
    return net, metadata


def _existing(path: str | Path | None) -> Path:
    path = SHIPPED_POLICY if path is None else Path(path)
    if not path.is_file():
        raise ValueError(f"policy must be a policy file, 'random' or None (the shipped one); no such file: {str(path)!r}")
    return path
