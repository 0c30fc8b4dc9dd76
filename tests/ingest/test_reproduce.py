"""``write_plan`` and ``reproduce``: the plan file, the one warning, and plan + run + report."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

import lrlab.workflow
from lrlab.ingest import IngestError, reproduce, write_plan
from lrlab.study.plan import load_plan
from lrlab.study.tuning import planned_count


def test_write_plan_writes_a_valid_plan_and_prints_one_warning(seed_004: Path, tmp_path: Path):
    stream = io.StringIO()
    out = tmp_path / "plans" / "plan.toml"
    warnings = write_plan(seed_004, out, budget="quick", stream=stream)
    plan = load_plan(out)
    assert plan.source is not None and plan.source.path == str(seed_004)
    said = stream.getvalue()
    things = "thing" if len(warnings) == 1 else "things"
    assert said.count("warning: ") == 1 and f"{len(warnings)} {things} in {seed_004}" in said
    assert all(w in said for w in warnings)
    assert f"plan: {out}" in said


def test_write_plan_is_deterministic(seed_001: Path, tmp_path: Path):
    first, second = tmp_path / "a.toml", tmp_path / "b.toml"
    write_plan(seed_001, first, stream=io.StringIO())
    write_plan(seed_001, second, stream=io.StringIO())
    assert first.read_bytes() == second.read_bytes()  # the same study when run again


def test_write_plan_errors_are_one_line(tmp_path: Path, seed_004: Path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(IngestError, match=r"empty\.txt: the report is empty"):
        write_plan(empty, tmp_path / "plan.toml", stream=io.StringIO())
    with pytest.raises(IngestError, match="is a folder"):
        write_plan(seed_004, tmp_path, stream=io.StringIO())


def test_reproduce_writes_the_plan_into_the_study_and_runs_it(seed_004: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch):
    calls: list[dict[str, Any]] = []

    def fake_run_and_report(plan, out, workers=None, device="cpu", stream=None, executor="local", address=None):
        calls.append({"plan": Path(plan), "out": Path(out), "workers": workers, "device": device,
                      "executor": executor, "address": address})
        return "outcome"

    monkeypatch.setattr(lrlab.workflow, "run_and_report", fake_run_and_report)
    stream = io.StringIO()
    outcome = reproduce(seed_004, tmp_path / "study", budget="full", workers=3, stream=stream)
    assert outcome == "outcome"
    assert calls == [{"plan": tmp_path / "study" / "plan.toml", "out": tmp_path / "study", "workers": 3, "device": "auto",
                      "executor": "local", "address": None}]
    reproduce(seed_004, tmp_path / "study", budget="full", stream=io.StringIO(), executor="ray", address="auto")
    assert (calls[-1]["executor"], calls[-1]["address"]) == ("ray", "auto")
    plan = load_plan(tmp_path / "study" / "plan.toml")
    assert plan.source is not None and plan.source.budget == "full"
    assert plan.source.claimed_results["eval_accuracy"] == 0.856
    assert "warning: " in stream.getvalue()


def test_reproduce_for_real_on_a_tiny_report(tmp_path: Path):
    report = tmp_path / "tiny.txt"
    report.write_text(
        "# Experiment Report: Performance-driven rates on wine\n\n## Idea\nAdjust the learning rate from the "
        "real-time performance of the model (validation loss).\n\n## Experiment Plan\n### Datasets\n- Wine\n"
        "### Model Architecture\n- MLP\n### Hyperparameters\n- Epochs: 2\n- Batch size: 32\n"
        "### Methodology\nTwo runs per schedule, against a constant learning rate.\n\n"
        "## Results\n{'eval_accuracy': 0.99}\n", encoding="utf-8")
    outcome = reproduce(report, tmp_path / "study", workers=1, stream=io.StringIO())
    plan = load_plan(tmp_path / "study" / "plan.toml")
    # 2 schedules x 2 seeds as given, and the tuned track: 4 configurations each on one tuning seed,
    # then the chosen one on the 2 evaluation seeds.
    assert plan.tuning is not None and planned_count(plan) == 4 + 2 * (4 + 2)
    assert not outcome.interrupted and outcome.study.counts == {"completed": 16}
    assert [p.name for p in outcome.report[:2]] == ["report.md", "report.html"]
    written = (tmp_path / "study" / "plan.toml").read_text(encoding="utf-8")
    again = reproduce(report, tmp_path / "study", workers=1, stream=io.StringIO())  # the same plan: resumes
    assert again.study.skipped == 16 and again.study.counts == {"completed": 16}
    with pytest.raises(ValueError, match="holds a study of another plan"):  # another budget: another plan
        reproduce(report, tmp_path / "study", budget="full", workers=1, stream=io.StringIO())
    assert (tmp_path / "study" / "plan.toml").read_text(encoding="utf-8") == written  # left as it was
