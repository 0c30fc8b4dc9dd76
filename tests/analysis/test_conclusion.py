"""The conclusion on crafted stores: clear win, clear loss, no difference, divergence, no target."""

from __future__ import annotations

import json
from pathlib import Path

from lrlab.analysis import analyze as analyze_study
from lrlab.analysis.study import track_view
from lrlab.study.store import STORE_NAME, Store
from lrlab.train.spec import Target, TrialResult, TrialSpec

SEEDS = [0, 1, 2, 3, 4, 5]



def analyze(folder: Path) -> dict:
    """The analysis as the report's sections read it: the shared keys with the deciding track's."""
    return track_view(analyze_study(folder))


def craft(folder: Path, accuracy: dict[str, list[float | None]], *, target: float = 0.9,
          diverged: set[tuple[str, int]] = frozenset()) -> Path:
    """A study of one task ('digits') where each schedule's final validation accuracy per seed is given."""
    plan = {"name": "crafted", "title": "crafted", "tasks": [{"name": "digits", "target": {"metric": "accuracy", "value": target}}],
            "schedules": [{"name": name, "role": "proposed" if name == "entropy" else "baseline"} for name in accuracy],
            "seeds": SEEDS}
    store = Store(folder / STORE_NAME)
    store.bind_plan("crafted", json.dumps(plan), "")
    for name, values in accuracy.items():
        specs = [TrialSpec(task="digits", model="cnn", metrics=("loss", "accuracy"), schedule=name,
                           schedule_label=name, seed=seed, target=Target("accuracy", target, "max")) for seed in SEEDS]
        store.register(specs, {name: "proposed" if name == "entropy" else "baseline"})
        for spec, acc in zip(specs, values, strict=True):
            if (name, spec.seed) in diverged:
                store.write_result(TrialResult(spec.trial_id, spec, "diverged", error="training loss is nan at step 3",
                                               summary={"reached_target": False}))
                continue
            val = {"loss": 1.0 - acc, "accuracy": acc}
            reached = acc >= target
            store.write_result(TrialResult(
                spec.trial_id, spec, "completed",
                epochs=[{"epoch": 1, "step": 10, "elapsed": 1.0, "lr": [0.1], "train": {"loss": 0.5}, "val": val}],
                test={"loss": 1.0 - acc, "accuracy": acc - 0.01},
                summary={"final_val": val, "reached_target": reached, "epochs_to_target": 1 if reached else None,
                         "steps_to_target": 10 if reached else None, "seconds_to_target": 1.0 if reached else None,
                         "epochs_run": 1, "seconds_per_step": 0.01, "test_seconds": 0.1, "test_samples": 100,
                         "test_batches": 1, "n_adjustments": 3}))
    store.close()
    return folder


def lines(folder: Path) -> list[str]:
    return analyze(folder)["conclusion"]["lines"]


def test_clear_win(tmp_path: Path):
    folder = craft(tmp_path, {"entropy": [0.95, 0.96, 0.955, 0.965, 0.95, 0.96],
                              "constant": [0.90, 0.91, 0.905, 0.90, 0.91, 0.905]})
    analysis = analyze(folder)
    text = " ".join(analysis["conclusion"]["lines"])
    assert "digits: entropy is significantly better than the best baseline (constant) in validation accuracy" in text
    assert analysis["conclusion"]["winner"]["schedule"] == "entropy"
    assert "little power" not in text  # 6 seeds


def test_clear_loss(tmp_path: Path):
    folder = craft(tmp_path, {"entropy": [0.80, 0.81, 0.805, 0.80, 0.81, 0.79],
                              "constant": [0.90, 0.91, 0.905, 0.90, 0.91, 0.905]})
    analysis = analyze(folder)
    text = " ".join(analysis["conclusion"]["lines"])
    assert "entropy is significantly worse than the best baseline (constant)" in text
    assert analysis["conclusion"]["winner"] is None and "no change is proposed" in text


def test_no_difference_never_claims_an_improvement(tmp_path: Path):
    folder = craft(tmp_path, {"entropy": [0.91, 0.89, 0.92, 0.88, 0.90, 0.91],
                              "constant": [0.90, 0.90, 0.90, 0.90, 0.91, 0.89]})
    text = " ".join(lines(folder))
    assert "no significant difference between entropy and the best baseline (constant)" in text
    assert "significantly better" not in text and "no change is proposed" in text


def test_best_baseline_is_chosen_on_validation(tmp_path: Path):
    folder = craft(tmp_path, {"entropy": [0.93] * 6, "constant": [0.90] * 6, "cosine": [0.92] * 6})
    analysis = analyze(folder)
    assert analysis["best_baseline"]["digits"]["schedule"] == "cosine"
    assert analysis["best_baseline"]["digits"]["split"] == "val"


def test_diverged_trials_are_reported_and_pairs_dropped(tmp_path: Path):
    folder = craft(tmp_path, {"entropy": [0.95, 0.96, 0.955, 0.965, 0.95, 0.96],
                              "constant": [0.90, 0.91, 0.905, 0.90, 0.91, 0.905]},
                   diverged={("entropy", 0), ("entropy", 1)})
    analysis = analyze(folder)
    assert analysis["counts"]["diverged"] == 2 and len(analysis["missing"]) == 2
    assert {m["status"] for m in analysis["missing"]} == {"diverged"}
    primary = [c for c in analysis["comparisons"] if c["split"] == "val" and c["family"] == "primary"]
    assert primary[0]["n"] == 4 and primary[0]["low_power"]
    text = " ".join(analysis["conclusion"]["lines"])
    assert "2 planned trial(s) did not complete (2 diverged)" in text
    assert "With 4 seeds the test has little power" in text
    conv = analysis["convergence"]["digits"]["entropy"]
    assert conv["ended"] == 6 and len(conv["never_reached"]) == 2  # diverged trials count as not reached


def test_a_task_where_nothing_reaches_the_target(tmp_path: Path):
    folder = craft(tmp_path, {"entropy": [0.80] * 6, "constant": [0.81] * 6}, target=0.99)
    analysis = analyze(folder)
    assert "digits: no trial of any schedule reached the target." in analysis["conclusion"]["lines"]
    conv = analysis["convergence"]["digits"]["constant"]
    assert conv["reached"] == 0 and conv["epochs_to_target"]["median_of_reached"] is None
    assert conv["epochs_to_target"]["values"] == [None] * 6  # shown as never, not dropped


def test_every_figure_lists_its_trials(tmp_path: Path):
    folder = craft(tmp_path, {"entropy": [0.93] * 6, "constant": [0.90] * 6})
    analysis = analyze(folder)
    ids = set(json.loads(json.dumps(analysis))["results"]["digits"]["entropy"]["eval_accuracy"]["trial_ids"])
    assert len(ids) == 6
    assert all(c["trial_ids"] for c in analysis["comparisons"] if c["n"])
