"""Prediction uncertainty of a batch of logits: normalised entropy and mean confidence."""

from __future__ import annotations

import math

import torch
from torch import Tensor


def _probabilities(logits: Tensor) -> Tensor:
    """Class probabilities, shape ``(N, C)``, from logits of shape ``(N, C)``, ``(..., C)`` or ``(N,)``.

    A single logit per example (shape ``(N,)`` or ``(N, 1)``) is read as a binary sigmoid output.
    """
    logits = logits.detach().float()
    if logits.ndim == 0:
        raise ValueError(f"logits must have at least one dimension, got shape {tuple(logits.shape)}")
    if logits.ndim == 1 or logits.shape[-1] == 1:
        p1 = torch.sigmoid(logits.reshape(-1))
        return torch.stack([1.0 - p1, p1], dim=-1)
    return torch.softmax(logits.reshape(-1, logits.shape[-1]), dim=-1)


def predictive_entropy(logits: Tensor, *, normalize: bool = True) -> float:
    """Mean predictive entropy of a batch, in nats, divided by ``log(C)`` when ``normalize``.

    Normalised entropy lies in ``[0, 1]``: 0 for one-hot predictions, 1 for uniform ones.

    Example:
        >>> round(predictive_entropy(torch.zeros(4, 10)), 4)  # uniform over 10 classes
        1.0
    """
    probs = _probabilities(logits)
    # xlogy gives 0 * log(0) = 0, so saturated softmax outputs do not turn into NaN.
    entropy = -torch.special.xlogy(probs, probs).sum(dim=-1).mean().item()
    if normalize:
        entropy /= math.log(probs.shape[-1])
    return float(entropy)


def mean_confidence(logits: Tensor) -> float:
    """Mean of the largest class probability over the batch, in ``[1/C, 1]``."""
    return float(_probabilities(logits).max(dim=-1).values.mean().item())


def entropy_and_confidence(logits: Tensor) -> tuple[float, float]:
    """Both signals from one softmax: ``(normalised entropy, mean confidence)``."""
    probs = _probabilities(logits)
    # Few kernels and one device sync: this runs every training step.
    per_example = torch.stack([torch.special.entr(probs).sum(dim=-1), probs.amax(dim=-1)])
    entropy, confidence = per_example.mean(dim=-1).tolist()
    return float(entropy) / math.log(probs.shape[-1]), float(confidence)
