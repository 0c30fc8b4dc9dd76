"""The verdict on crafted stores: better, worse, ties, schedules that never acted, the design's
reach, intervals inside a metric's range."""

from __future__ import annotations

import json
from pathlib import Path

from lrlab.analysis import analyze
from lrlab.study.store import STORE_NAME, Store
from lrlab.train.spec import Target, TrialResult, TrialSpec

SEEDS = list(range(6))
ROLES = {"entropy": "proposed", "gradvar": "proposed"}


def craft(folder: Path, accuracy: dict[str, list[float]], *, moving: frozenset[str] = frozenset({"entropy", "gradvar"}),
          plan_extra: dict | None = None) -> Path:
    """One task ('digits'); each schedule's final validation accuracy per seed; schedules in
    ``moving`` change their rate during the run, the others keep it."""
    plan = {"name": "crafted", "tasks": [{"name": "digits", "target": {"metric": "accuracy", "value": 0.9},
                                          **(plan_extra or {})}],
            "schedules": [{"name": n, "role": ROLES.get(n, "baseline")} for n in accuracy], "seeds": SEEDS}
    store = Store(folder / STORE_NAME)
    store.bind_plan("crafted", json.dumps(plan), "")
    for name, values in accuracy.items():
        specs = [TrialSpec(task="digits", model="cnn", metrics=("loss", "accuracy"), schedule=name,
                           schedule_label=name, seed=seed, target=Target("accuracy", 0.9, "max")) for seed in SEEDS]
        store.register(specs, {name: ROLES.get(name, "baseline")})
        for spec, acc in zip(specs, values, strict=True):
            val = {"loss": 1.0 - acc, "accuracy": acc}
            rates = [0.1, 0.1, 0.05] if name in moving else [0.1, 0.1, 0.1]
            store.write_result(TrialResult(
                spec.trial_id, spec, "completed",
                steps=[{"step": i + 1, "epoch": 1, "lr": [r], "loss": 0.5, "seconds": 0.01, "signals": {}}
                       for i, r in enumerate(rates)],
                epochs=[{"epoch": 1, "step": 3, "elapsed": 1.0, "lr": [rates[-1]], "train": {"loss": 0.5}, "val": val}],
                test={"loss": 1.0 - acc, "accuracy": acc - 0.01},
                summary={"final_val": val, "reached_target": acc >= 0.9, "epochs_to_target": 1 if acc >= 0.9 else None,
                         "steps_to_target": 3 if acc >= 0.9 else None, "epochs_run": 1, "seconds_per_step": 0.01,
                         "steps": 3}))
    store.close()
    return folder


BASE = [0.90, 0.91, 0.905, 0.90, 0.91, 0.905]


def row(analysis: dict, schedule: str) -> dict:
    entry = analysis["verdict"]["tasks"][0]
    return next(r for r in entry["rows"] if r["schedule"] == schedule)


def test_a_clear_win_is_recommended_with_its_effect(tmp_path: Path):
    analysis = analyze(craft(tmp_path, {"entropy": [a + 0.05 for a in BASE], "constant": BASE}))
    cell = row(analysis, "entropy")["tracks"]["given"]
    assert cell["verdict"] == "better" and cell["difference"] > 0.04 and cell["p_holm"] < 0.05
    assert analysis["verdict"]["tasks"][0]["recommendation"]["schedule"] == "entropy"
    assert "better than the best baseline: entropy on digits (+0.05 accuracy)" in analysis["verdict"]["paragraph"]


def test_a_clear_loss_keeps_the_baseline(tmp_path: Path):
    analysis = analyze(craft(tmp_path, {"entropy": [a - 0.3 for a in BASE], "constant": BASE}))
    assert row(analysis, "entropy")["tracks"]["given"]["verdict"] == "worse"
    assert analysis["verdict"]["tasks"][0]["recommendation"]["schedule"] == "constant"
    assert "Detectably worse: entropy on digits" in analysis["verdict"]["paragraph"]


def test_identical_schedules_are_a_tie_and_the_best_baseline_is_the_first_listed(tmp_path: Path):
    analysis = analyze(craft(tmp_path, {"entropy": BASE, "constant": BASE, "plateau": BASE},
                             moving=frozenset()))
    track = analysis["tracks"]["given"]
    assert track["best_baseline"]["digits"]["schedule"] == "constant"  # not "plateau" by name order
    assert {"schedule": "plateau", "equals": "constant", "seeds": 6} in track["ties"]["digits"]
    cell = row(analysis, "entropy")["tracks"]["given"]
    assert cell["verdict"] == "tie" and cell["equals"] == "constant"
    notes = row(analysis, "entropy")["notes"]
    assert "never changed the rate (as given)" in notes
    entry = analysis["verdict"]["tasks"][0]
    assert "plateau never changed the rate" in entry["baseline_notes"]
    assert "plateau = constant on every seed" in entry["baseline_notes"]
    assert not track["acted"]["digits"]["constant"]["never"]  # constant is not meant to act


def test_the_design_says_what_it_can_detect(tmp_path: Path):
    noisy = [0.90, 0.95, 0.85, 0.93, 0.87, 0.91]
    analysis = analyze(craft(tmp_path, {"entropy": noisy, "constant": BASE}))
    reach = analysis["verdict"]["power"]["tasks"]["digits"]
    assert reach["smallest_effect"] == 0.02 and reach["n"] == 6
    assert reach["detectable"] > 0.02 and reach["reaches"] is False and reach["seeds_needed"] > 6
    assert "cannot detect the smallest effect of interest on digits (needs" in analysis["verdict"]["paragraph"]
    stated = analyze(craft(tmp_path / "b", {"entropy": noisy, "constant": BASE}, plan_extra={"smallest_effect": 0.2}))
    assert stated["verdict"]["power"]["tasks"]["digits"]["reaches"]


def test_intervals_stay_inside_the_metrics_range(tmp_path: Path):
    near_one = [1.0, 0.99, 1.0, 0.98, 1.0, 1.0]
    analysis = analyze(craft(tmp_path, {"entropy": near_one, "constant": BASE}))
    interval = analysis["tracks"]["given"]["validation"]["digits"]["entropy"]["accuracy"]
    assert interval["ci_high"] == 1.0 and interval["ci_low"] < interval["mean"] < 1.0


def test_the_aggregate_puts_the_best_baseline_at_one(tmp_path: Path):
    analysis = analyze(craft(tmp_path, {"entropy": [a + 0.05 for a in BASE], "gradvar": BASE, "constant": BASE}))
    agg = analysis["verdict"]["aggregate"]
    assert abs(agg["iqm"]["constant"]["value"] - 1.0) < 0.01 and agg["iqm"]["entropy"]["value"] > 1.04
    assert agg["improvement"]["entropy"]["value"] > 0.9 and agg["improvement"]["gradvar"]["value"] == 0.5


def test_the_report_says_before_any_result_where_the_design_falls_short(tmp_path: Path):
    from lrlab.report.markdown import render_markdown
    from lrlab.report.verdict_sections import verdict_section

    noisy = [0.90, 0.95, 0.85, 0.93, 0.87, 0.91]
    text = render_markdown(verdict_section(analyze(craft(tmp_path, {"entropy": noisy, "constant": BASE}))))
    warning = text.index("**Read with care: this design cannot decide everything.** digits: it detects")
    assert warning < text.index("- **digits** (accuracy): use **constant**") < text.index("| task (metric) |")
    quiet = render_markdown(verdict_section(analyze(craft(tmp_path / "b", {"entropy": [a + 0.05 for a in BASE],
                                                                        "constant": BASE}))))
    assert "Read with care" not in quiet
