"""A trial's summary: pure functions over its records (no model, no clock).

The records are those of :class:`~lrlab.train.spec.TrialResult`: epoch records
``{"epoch", "step", "elapsed", "lr", "train", "val"}``, step records ``{"seconds", ...}`` and the
scheduler's adjustments ``{"old_lr", "new_lr", ...}``. Every value is a plain number, a bool, a
string, a dict of numbers, or None where it is undefined (never reached, no epochs, ...).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any, Literal

from lrlab.train.spec import Target

Record = dict[str, Any]

#: Validation evaluations over which :func:`stability` is measured.
STABILITY_WINDOW = 5
#: How close to chance a final score must be to count as collapsed: within this share of the
#: distance from chance to a perfect score (see :func:`collapsed`).
COLLAPSE_MARGIN = 0.05


def time_to_target(epochs: Sequence[Record], target: Target | None) -> dict[str, Any]:
    """When the validation metrics first reached ``target``.

    Returns ``reached_target`` and, from the first epoch record that reached it, its
    ``epochs_to_target`` (the epoch number, 1-based), ``steps_to_target`` (optimizer steps done)
    and ``seconds_to_target`` (training seconds so far, evaluation excluded); all three None if
    it was never reached or there is no target.

    Example:
        >>> epochs = [{"epoch": 1, "step": 10, "elapsed": 1.5, "val": {"accuracy": 0.7}},
        ...           {"epoch": 2, "step": 20, "elapsed": 3.0, "val": {"accuracy": 0.9}}]
        >>> time_to_target(epochs, Target("accuracy", 0.85, "max"))["steps_to_target"]
        20
    """
    first = next((r for r in epochs if target is not None and target.reached(r["val"])), None)
    return {
        "reached_target": first is not None,
        "epochs_to_target": None if first is None else first["epoch"],
        "steps_to_target": None if first is None else first["step"],
        "seconds_to_target": None if first is None else first["elapsed"],
    }


def best_value(epochs: Sequence[Record], metric: str, mode: Literal["min", "max"]) -> float | None:
    """Best finite validation value of ``metric`` over the epochs (None if there is none)."""
    values = [r["val"][metric] for r in epochs if math.isfinite(r["val"].get(metric, math.nan))]
    if not values:
        return None
    return min(values) if mode == "min" else max(values)


def stability(epochs: Sequence[Record], window: int = STABILITY_WINDOW) -> float | None:
    """Sample standard deviation (ddof=1) of the validation loss over the last ``window`` epochs.

    Lower is steadier. None with fewer than two epochs, or a non-finite loss in the window.

    Example:
        >>> stability([{"val": {"loss": v}} for v in (9.0, 1.0, 2.0, 3.0, 4.0, 5.0)])
        1.5811388300841898
    """
    losses = [r["val"]["loss"] for r in epochs[-window:]]
    if len(losses) < 2 or not all(math.isfinite(v) for v in losses):
        return None
    return statistics.stdev(losses)


def generalization_gap(epochs: Sequence[Record]) -> dict[str, float | None]:
    """At the last epoch: ``gap_loss`` = val loss - train loss, ``gap_accuracy`` = train - val accuracy
    (None for tasks without accuracy).

    Positive gaps mean the model does better on what it was trained on.
    """
    if not epochs:
        return {"gap_loss": None, "gap_accuracy": None}
    last = epochs[-1]
    return {
        "gap_loss": last["val"]["loss"] - last["train"]["loss"],
        "gap_accuracy": (last["train"]["accuracy"] - last["val"]["accuracy"]
                         if "accuracy" in last["train"] and "accuracy" in last["val"] else None),
    }


def mean_abs_log_lr_change(adjustments: Sequence[Record]) -> float | None:
    """Mean of ``|log(new_lr / old_lr)|`` over adjustments and parameter groups (None if none).

    A cut by half and a doubling both count ``log 2``; groups at a zero rate are left out.

    Example:
        >>> mean_abs_log_lr_change([{"old_lr": [0.1], "new_lr": [0.05]},
        ...                         {"old_lr": [0.05], "new_lr": [0.1]}]) == math.log(2)
        True
    """
    changes = [abs(math.log(new / old))
               for adjustment in adjustments
               for old, new in zip(adjustment["old_lr"], adjustment["new_lr"], strict=True)
               if old > 0 and new > 0]
    return statistics.fmean(changes) if changes else None


def primary_metric(target: Target | None, metrics: Sequence[str] | dict[str, float]) -> str:
    """The metric a collapse is judged on: the target's, else accuracy, else the loss."""
    if target is not None:
        return target.metric
    return "accuracy" if "accuracy" in metrics else "loss"


def chance_level(metric: str, class_counts: Sequence[int]) -> float | None:
    """The best score a prediction that ignores the input can get on a split with these class counts.

    * ``accuracy``: the majority class's share (always predicting it);
    * ``loss`` (cross-entropy): the entropy of the class distribution (predicting the class
      prior of the split itself, the lowest loss of any constant prediction);
    * ``macro_f1``: always predicting class c scores F1 = 2 p_c / (1 + p_c) on c and 0 on the
      others, so max_c 2 p_c / (1 + p_c) / C;
    * ``roc_auc``: 0.5 (a constant score ranks nothing).

    None for other metrics, or without examples.

    Example:
        >>> chance_level("accuracy", [60, 30, 10]), round(chance_level("loss", [50, 50]), 4)
        (0.6, 0.6931)
    """
    total = sum(class_counts)
    if total <= 0:
        return None
    shares = [count / total for count in class_counts]
    if metric == "accuracy":
        return max(shares)
    if metric == "loss":
        return -sum(p * math.log(p) for p in shares if p > 0)
    if metric == "macro_f1":
        return max(2 * p / (1 + p) for p in shares) / len(shares)
    if metric == "roc_auc":
        return 0.5
    return None


def collapsed(value: float | None, chance: float | None, mode: Literal["min", "max"],
              perfect: float, margin: float = COLLAPSE_MARGIN) -> bool | None:
    """Whether a finite final score is no better than chance: within ``margin`` of the way from
    ``chance`` to a ``perfect`` score (1 for accuracy, 0 for the loss), or worse.

    A model that learned and then collapsed (the loss still finite, every prediction the same)
    scores about chance; the margin (5 % of the range by default) absorbs the few examples a
    collapsed model still gets right beyond the majority class. None when it cannot be judged
    (no chance level, no final value, or a non-finite one: that run diverged).

    Example:
        >>> collapsed(0.12, 0.102, "max", 1.0), collapsed(0.90, 0.102, "max", 1.0)
        (True, False)
        >>> collapsed(2.28, 2.303, "min", 0.0)
        True
    """
    if value is None or chance is None or not math.isfinite(value):
        return None
    threshold = chance + margin * (perfect - chance)
    return value <= threshold if mode == "max" else value >= threshold


def collapse_summary(epochs: Sequence[Record], target: Target | None,
                     class_counts: Sequence[int] | None) -> dict[str, Any]:
    """``collapsed``, ``chance`` and ``chance_metric`` of a trial from its last validation record
    and the validation split's class counts (None where it cannot be judged: no epochs, a task
    that is not classification, a metric without a chance level, a diverged run)."""
    final = epochs[-1]["val"] if epochs else {}
    metric = primary_metric(target, final)
    chance = chance_level(metric, class_counts) if class_counts is not None else None
    mode: Literal["min", "max"] = "min" if metric == "loss" else "max"
    if target is not None:
        mode = target.mode
    perfect = 0.0 if mode == "min" else 1.0
    return {"collapsed": collapsed(final.get(metric), chance, mode, perfect),
            "chance": chance, "chance_metric": metric}


def median_step_seconds(steps: Sequence[Record]) -> float | None:
    """Median wall time of an optimizer step (None if there were no steps)."""
    return statistics.median(r["seconds"] for r in steps) if steps else None


def summarize(steps: Sequence[Record], epochs: Sequence[Record], adjustments: Sequence[Record],
              target: Target | None, *, stopped: str, wall_seconds: float,
              memory: dict[str, Any], class_counts: Sequence[int] | None = None) -> dict[str, Any]:
    """The summary dict stored with a trial.

    Args:
        steps, epochs, adjustments: the trial's records.
        target: the plan's validation target, or None.
        stopped: why training ended: ``"epochs"``, ``"early_stopping"``, ``"budget"``,
            ``"diverged"`` or ``"failed"``.
        wall_seconds: training plus evaluation time.
        memory: ``peak_rss_mb``, ``cuda_peak_mb``, ``gpu_util`` (see :mod:`lrlab.train.memory`).
        class_counts: examples per class in the validation split (classification tasks), for
            the chance level; None: no collapse judgement.

    Returns:
        the keys of :func:`time_to_target`; ``final_val`` (last epoch's validation metrics,
        ``{}`` if none); ``best_val_loss`` and ``best_val_<target metric>``; ``stability``;
        ``gap_loss``, ``gap_accuracy``; ``n_adjustments``, ``mean_abs_log_lr_change``;
        ``wall_seconds``, ``seconds_per_step`` (median); the memory keys; ``stopped``;
        ``steps`` (optimizer steps recorded) and ``epochs_run`` (evaluations recorded);
        ``collapsed``, ``chance``, ``chance_metric`` (:func:`collapse_summary`): a run that ended
        with a finite loss but no better than chance — a failure the status ``completed`` hides.
    """
    summary: dict[str, Any] = dict(time_to_target(epochs, target))
    summary["final_val"] = dict(epochs[-1]["val"]) if epochs else {}
    summary["best_val_loss"] = best_value(epochs, "loss", "min")
    if target is not None:
        summary[f"best_val_{target.metric}"] = best_value(epochs, target.metric, target.mode)
    summary["stability"] = stability(epochs)
    summary.update(generalization_gap(epochs))
    summary["n_adjustments"] = len(adjustments)
    summary["mean_abs_log_lr_change"] = mean_abs_log_lr_change(adjustments)
    summary["wall_seconds"] = wall_seconds
    summary["seconds_per_step"] = median_step_seconds(steps)
    summary.update(memory)
    summary["stopped"] = stopped
    summary["steps"] = len(steps)
    summary["epochs_run"] = len(epochs)
    summary.update(collapse_summary(epochs, target, class_counts) if stopped not in ("diverged", "failed")
                   else {"collapsed": None, "chance": None, "chance_metric": None})
    return summary
