"""The summary's pure functions, on hand-made records."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lrlab.train import Target
from lrlab.train.summary import (
    best_value,
    chance_level,
    collapse_summary,
    collapsed,
    generalization_gap,
    mean_abs_log_lr_change,
    median_step_seconds,
    stability,
    summarize,
    time_to_target,
)


def epoch(n: int, val_loss: float, val_acc: float, train_loss: float = 0.5,
          train_acc: float = 0.8) -> dict:
    return {"epoch": n, "step": 10 * n, "elapsed": 1.5 * n, "lr": [0.1],
            "train": {"loss": train_loss, "accuracy": train_acc},
            "val": {"loss": val_loss, "accuracy": val_acc}}


EPOCHS = [epoch(1, 1.0, 0.50), epoch(2, 0.7, 0.80), epoch(3, 0.6, 0.92), epoch(4, 0.65, 0.95),
          epoch(5, 0.62, 0.91), epoch(6, 0.64, 0.93, train_loss=0.3, train_acc=0.99)]


def test_time_to_target_is_read_from_the_first_epoch_that_reaches_it() -> None:
    reached = time_to_target(EPOCHS, Target("accuracy", 0.9, "max"))
    assert reached == {"reached_target": True, "epochs_to_target": 3, "steps_to_target": 30,
                       "seconds_to_target": 4.5}
    by_loss = time_to_target(EPOCHS, Target("loss", 0.7, "min"))
    assert by_loss["epochs_to_target"] == 2  # <= counts: 0.7 reaches 0.7


@pytest.mark.parametrize("target", [Target("accuracy", 0.96, "max"), Target("macro_f1", 0.5, "max"), None])
def test_time_to_target_is_none_when_never_reached_or_no_target(target: Target | None) -> None:
    assert time_to_target(EPOCHS, target) == {"reached_target": False, "epochs_to_target": None,
                                              "steps_to_target": None, "seconds_to_target": None}


def test_best_value_by_mode_ignores_non_finite_values() -> None:
    assert best_value(EPOCHS, "loss", "min") == 0.6
    assert best_value(EPOCHS, "accuracy", "max") == 0.95
    assert best_value([epoch(1, math.nan, 0.1), epoch(2, 2.0, 0.2)], "loss", "min") == 2.0
    assert best_value([], "loss", "min") is None
    assert best_value(EPOCHS, "macro_f1", "max") is None


def test_stability_is_the_sample_std_of_the_last_five_val_losses() -> None:
    expected = np.std([0.7, 0.6, 0.65, 0.62, 0.64], ddof=1)
    assert stability(EPOCHS) == pytest.approx(expected, rel=1e-12)
    assert stability(EPOCHS, window=2) == pytest.approx(np.std([0.62, 0.64], ddof=1), rel=1e-12)


def test_stability_is_none_with_fewer_than_two_epochs_or_a_non_finite_loss() -> None:
    assert stability(EPOCHS[:1]) is None
    assert stability([]) is None
    assert stability([epoch(1, 1.0, 0.5), epoch(2, math.inf, 0.5)]) is None


def test_generalization_gap_at_the_last_epoch() -> None:
    gap = generalization_gap(EPOCHS)
    assert gap["gap_loss"] == pytest.approx(0.64 - 0.3)
    assert gap["gap_accuracy"] == pytest.approx(0.99 - 0.93)
    assert generalization_gap([]) == {"gap_loss": None, "gap_accuracy": None}


def test_mean_abs_log_lr_change_over_adjustments_and_groups() -> None:
    adjustments = [{"old_lr": [0.1, 0.01], "new_lr": [0.05, 0.005]},  # halved: log 2 twice
                   {"old_lr": [0.05, 0.005], "new_lr": [0.2, 0.02]},  # x4: log 4 twice
                   {"old_lr": [0.0, 0.02], "new_lr": [0.0, 0.02]}]  # zero rate left out; 0 change kept
    expected = (2 * math.log(2) + 2 * math.log(4) + 0.0) / 5
    assert mean_abs_log_lr_change(adjustments) == pytest.approx(expected, rel=1e-12)
    assert mean_abs_log_lr_change([]) is None


def test_median_step_seconds() -> None:
    assert median_step_seconds([{"seconds": s} for s in (0.3, 0.1, 5.0, 0.2)]) == pytest.approx(0.25)
    assert median_step_seconds([]) is None


def test_summarize_collects_every_key() -> None:
    steps = [{"seconds": s} for s in (0.1, 0.2, 0.3)]
    adjustments = [{"old_lr": [0.1], "new_lr": [0.05]}]
    memory = {"peak_rss_mb": 100.0, "cuda_peak_mb": None, "gpu_util": None}
    summary = summarize(steps, EPOCHS, adjustments, Target("accuracy", 0.9, "max"),
                        stopped="epochs", wall_seconds=12.5, memory=memory)
    assert summary == {
        "reached_target": True, "epochs_to_target": 3, "steps_to_target": 30,
        "seconds_to_target": 4.5, "final_val": {"loss": 0.64, "accuracy": 0.93},
        "best_val_loss": 0.6, "best_val_accuracy": 0.95, "stability": stability(EPOCHS),
        "gap_loss": generalization_gap(EPOCHS)["gap_loss"],
        "gap_accuracy": generalization_gap(EPOCHS)["gap_accuracy"],
        "n_adjustments": 1, "mean_abs_log_lr_change": math.log(2), "wall_seconds": 12.5,
        "seconds_per_step": 0.2, "peak_rss_mb": 100.0, "cuda_peak_mb": None, "gpu_util": None,
        "stopped": "epochs", "steps": 3, "epochs_run": 6,
        "collapsed": None, "chance": None, "chance_metric": "accuracy",  # no class counts given
    }


def test_summarize_of_a_trial_that_failed_before_training() -> None:
    memory = {"peak_rss_mb": 1.0, "cuda_peak_mb": None, "gpu_util": None}
    summary = summarize([], [], [], None, stopped="failed", wall_seconds=0.0, memory=memory)
    assert summary["final_val"] == {} and summary["best_val_loss"] is None
    assert summary["steps"] == 0 and summary["epochs_run"] == 0 and summary["stopped"] == "failed"
    assert summary["seconds_per_step"] is None and summary["stability"] is None


# -- collapsed: a finite run that ended no better than chance ------------------------------------
def test_chance_level_is_the_best_score_of_a_constant_prediction() -> None:
    counts = [60, 30, 10]
    assert chance_level("accuracy", counts) == 0.6
    assert chance_level("loss", counts) == pytest.approx(-(0.6 * math.log(0.6) + 0.3 * math.log(0.3) + 0.1 * math.log(0.1)))
    assert chance_level("macro_f1", counts) == pytest.approx((2 * 0.6 / 1.6) / 3)
    assert chance_level("roc_auc", [5, 5]) == 0.5
    assert chance_level("wer", counts) is None and chance_level("accuracy", [0, 0]) is None


def test_chance_loss_and_f1_agree_with_the_metrics_of_a_constant_model() -> None:
    """The closed forms equal what lrlab's metrics give a model that ignores its input."""
    import torch

    from lrlab.tasks import compute_metrics

    y = torch.tensor([0] * 60 + [1] * 30 + [2] * 10)
    prior = torch.tensor([0.6, 0.3, 0.1]).log().expand(len(y), 3)  # predicts the class prior
    metrics = compute_metrics(prior, y, ["loss", "accuracy", "macro_f1"])
    assert metrics["loss"] == pytest.approx(chance_level("loss", [60, 30, 10]), rel=1e-6)
    assert metrics["accuracy"] == pytest.approx(chance_level("accuracy", [60, 30, 10]))
    assert metrics["macro_f1"] == pytest.approx(chance_level("macro_f1", [60, 30, 10]))


@pytest.mark.parametrize("value, chance, mode, perfect, expected", [
    (0.12, 0.102, "max", 1.0, True),    # the collapse: 0.12 with 10 classes
    (0.146, 0.102, "max", 1.0, True),   # within 5 % of the way to a perfect score (0.1469)
    (0.16, 0.102, "max", 1.0, False),
    (0.05, 0.102, "max", 1.0, True),    # below chance
    (2.28, 2.303, "min", 0.0, True),    # loss of a collapsed model
    (2.10, 2.303, "min", 0.0, False),
    (9.0, 2.303, "min", 0.0, True),     # worse than chance, still finite
    (math.nan, 2.303, "min", 0.0, None),  # diverged: not judged here
    (0.12, None, "max", 1.0, None),
    (None, 0.1, "max", 1.0, None),
])
def test_collapsed(value, chance, mode, perfect, expected) -> None:
    assert collapsed(value, chance, mode, perfect) is expected


def test_collapse_summary_judges_the_primary_metric() -> None:
    counts = [50, 50]
    epochs = [epoch(1, 0.3, 0.9), epoch(2, 0.69, 0.5)]  # learned, then fell to chance
    by_accuracy = collapse_summary(epochs, None, counts)  # no target: accuracy
    assert by_accuracy == {"collapsed": True, "chance": 0.5, "chance_metric": "accuracy"}
    by_loss = collapse_summary(epochs, Target("loss", 0.1, "min"), counts)  # the target's metric
    assert by_loss["chance_metric"] == "loss" and by_loss["chance"] == pytest.approx(math.log(2))
    assert by_loss["collapsed"] is True  # 0.69 >= 0.95 x 0.693
    healthy = collapse_summary(EPOCHS, Target("accuracy", 0.9, "max"), counts)
    assert healthy["collapsed"] is False
    no_accuracy = collapse_summary([{"val": {"loss": 0.2}}], None, counts)
    assert no_accuracy["chance_metric"] == "loss" and no_accuracy["collapsed"] is False
    assert collapse_summary([], None, counts)["collapsed"] is None
    assert collapse_summary(epochs, None, None) == {"collapsed": None, "chance": None, "chance_metric": "accuracy"}


def test_a_diverged_run_is_not_also_collapsed() -> None:
    memory = {"peak_rss_mb": 1.0, "cuda_peak_mb": None, "gpu_util": None}
    epochs = [epoch(1, 0.7, 0.5)]
    diverged = summarize([], epochs, [], None, stopped="diverged", wall_seconds=0.0, memory=memory,
                         class_counts=[50, 50])
    assert diverged["collapsed"] is None and diverged["chance"] is None
    completed = summarize([], epochs, [], None, stopped="epochs", wall_seconds=0.0, memory=memory,
                          class_counts=[50, 50])
    assert completed["collapsed"] is True and completed["chance"] == 0.5
