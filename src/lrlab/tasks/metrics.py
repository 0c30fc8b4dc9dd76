"""Classification metrics by name, computed on a whole evaluation split by the libraries made
for them (torch for the loss and accuracy, scikit-learn for F1 and ROC-AUC)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.metrics import f1_score, roc_auc_score
from torch import Tensor


def _loss(logits: Tensor, targets: Tensor) -> float:
    """Mean cross-entropy of the logits over the split."""
    return float(F.cross_entropy(logits, targets))


def _accuracy(logits: Tensor, targets: Tensor) -> float:
    """Share of examples whose largest logit is the target class.

    One torch expression rather than ``sklearn.metrics.accuracy_score``: the same number, without
    its input checks (ten times the cost of the comparison, once per evaluation of every trial);
    a test checks both agree.
    """
    return float((logits.argmax(dim=1) == targets).double().mean())


def _macro_f1(logits: Tensor, targets: Tensor) -> float:
    """Unweighted mean of per-class F1 over the classes present in targets or predictions.

    A class that is predicted but never true scores 0 (``zero_division=0``), and so does
    one that is true but never predicted.
    """
    predictions = logits.argmax(dim=1).numpy()
    return float(f1_score(targets.numpy(), predictions, average="macro", zero_division=0.0))


def _roc_auc(logits: Tensor, targets: Tensor) -> float:
    """Area under the ROC curve of the softmax probabilities.

    Binary (two logits): the probability of class 1 ranks the examples. Multiclass:
    one-vs-rest AUC per class, averaged without weights (macro).

    Returns ``nan`` where the AUC is undefined: the targets hold a single class, a
    multiclass split lacks one of the classes (its one-vs-rest AUC has no positives), or the
    logits are not finite (a diverged model).
    """
    num_classes = logits.shape[1]
    y_true = targets.numpy()
    present = np.unique(y_true)
    if len(present) < 2 or not torch.isfinite(logits).all():
        return float("nan")
    probabilities = torch.softmax(logits, dim=1).numpy()
    if num_classes == 2:
        return float(roc_auc_score(y_true, probabilities[:, 1]))
    if len(present) < num_classes:
        return float("nan")
    return float(
        roc_auc_score(
            y_true, probabilities, multi_class="ovr", average="macro", labels=range(num_classes)
        )
    )


LOWER_IS_BETTER = ("loss", "wer", "cer")
"""Metric names (or parts of names, as in ``eval_loss``) for which smaller is better."""


def lower_is_better(metric: str) -> bool:
    """Whether a smaller value of ``metric`` is better: losses and error rates.

    Example:
        >>> lower_is_better("wer"), lower_is_better("f1")
        (True, False)
    """
    return any(word in metric for word in LOWER_IS_BETTER)


def primary_metric(target_metric: str | None, metrics: Sequence[str]) -> str:
    """What decides on a task: its target's metric, else accuracy, else its first metric that is
    not the loss (``f1`` for SQuAD, ``wer`` for speech), else the loss.

    Example:
        >>> primary_metric(None, ["loss", "exact", "f1"]), primary_metric("loss", ["loss", "accuracy"])
        ('exact', 'loss')
    """
    if target_metric:
        return target_metric
    if "accuracy" in metrics:
        return "accuracy"
    return next((name for name in metrics if name != "loss"), "loss")


#: The values a metric can take (SQuAD's ``exact``/``f1`` are percentages); intervals are kept inside.
METRIC_RANGES: dict[str, tuple[float, float]] = {
    "accuracy": (0.0, 1.0), "macro_f1": (0.0, 1.0), "roc_auc": (0.0, 1.0),
    "exact": (0.0, 100.0), "f1": (0.0, 100.0), "has_ans_f1": (0.0, 100.0), "no_ans_f1": (0.0, 100.0),
}


def metric_range(metric: str) -> tuple[float, float]:
    """``(low, high)`` of a metric's values; losses and error rates are ``(0, inf)``.

    Example:
        >>> metric_range("accuracy"), metric_range("loss")
        ((0.0, 1.0), (0.0, inf))
    """
    return METRIC_RANGES.get(metric, (0.0, math.inf))


METRICS: dict[str, Callable[[Tensor, Tensor], float]] = {
    "loss": _loss,
    "accuracy": _accuracy,
    "macro_f1": _macro_f1,
    "roc_auc": _roc_auc,
}


def compute_metrics(logits: Tensor, targets: Tensor, names: Sequence[str]) -> dict[str, float]:
    """Compute the named metrics of ``logits`` against ``targets``.

    Args:
        logits: ``(n, num_classes)`` unnormalised scores, on any device and dtype.
        targets: ``(n,)`` integer class labels in ``[0, num_classes)``.
        names: which metrics, from ``loss`` (mean cross-entropy), ``accuracy``, ``macro_f1``
            (scikit-learn ``f1_score(average="macro")``) and ``roc_auc`` (scikit-learn
            ``roc_auc_score``; binary on the softmax probability of class 1, multiclass
            one-vs-rest macro). ``roc_auc`` is ``nan`` where it is undefined: targets of a
            single class, a multiclass split lacking a class, or non-finite logits.

    Returns:
        ``{name: value}`` in the order of ``names``.

    Raises:
        ValueError: an unknown metric name, or shapes that do not match.

    Example:
        >>> logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 3.0]])
        >>> compute_metrics(logits, torch.tensor([0, 1, 1, 1]), ["accuracy"])
        {'accuracy': 0.75}
    """
    unknown = [name for name in names if name not in METRICS]
    if unknown:
        raise ValueError(
            f"unknown metric(s) {', '.join(map(repr, unknown))}; "
            f"allowed metrics: {', '.join(METRICS)}"
        )
    if logits.ndim != 2 or targets.ndim != 1 or logits.shape[0] != targets.shape[0]:
        raise ValueError(
            "compute_metrics needs logits (n, num_classes) and targets (n,); "
            f"got {tuple(logits.shape)} and {tuple(targets.shape)}"
        )
    if logits.shape[0] == 0:
        raise ValueError("compute_metrics needs at least one example; got none")
    logits = logits.detach().cpu().double()
    targets = targets.detach().cpu().long()
    return {name: METRICS[name](logits, targets) for name in names}
