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


def median_step_seconds(steps: Sequence[Record]) -> float | None:
    """Median wall time of an optimizer step (None if there were no steps)."""
    return statistics.median(r["seconds"] for r in steps) if steps else None


def summarize(steps: Sequence[Record], epochs: Sequence[Record], adjustments: Sequence[Record],
              target: Target | None, *, stopped: str, wall_seconds: float,
              memory: dict[str, Any]) -> dict[str, Any]:
    """The summary dict stored with a trial.

    Args:
        steps, epochs, adjustments: the trial's records.
        target: the plan's validation target, or None.
        stopped: why training ended: ``"epochs"``, ``"early_stopping"``, ``"budget"``,
            ``"diverged"`` or ``"failed"``.
        wall_seconds: training plus evaluation time.
        memory: ``peak_rss_mb``, ``cuda_peak_mb``, ``gpu_util`` (see :mod:`lrlab.train.memory`).

    Returns:
        the keys of :func:`time_to_target`; ``final_val`` (last epoch's validation metrics,
        ``{}`` if none); ``best_val_loss`` and ``best_val_<target metric>``; ``stability``;
        ``gap_loss``, ``gap_accuracy``; ``n_adjustments``, ``mean_abs_log_lr_change``;
        ``wall_seconds``, ``seconds_per_step`` (median); the memory keys; ``stopped``;
        ``steps`` (optimizer steps recorded) and ``epochs_run`` (evaluations recorded).
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
    return summary
