"""A plan read from a report keeps its claims; the report sets them beside the measured numbers."""

from __future__ import annotations

from pathlib import Path

from lrlab.analysis import analyze
from lrlab.report import write_report
from lrlab.study.plan import parse_plan
from lrlab.study.runner import run_study

PLAN = """
name = "claimed"
seeds = [0, 1]
[defaults]
epochs = 1
lr = 0.01
[[tasks]]
name = "wine"
model = "mlp"
[[schedules]]
name = "gradvar"
role = "proposed"
[[schedules]]
name = "constant"
role = "baseline"
[source]
path = "seeds/001.txt"
title = "A report"
budget = "quick"
notes = ["digits -> wine: a test stand-in"]
[source.claimed_results]
eval_accuracy = 0.856
eval_loss = 0.4323
[source.claimed_benchmark]
eval_accuracy = 0.4874
"""


def test_claimed_results_sit_beside_the_measured_ones(tmp_path: Path):
    out = tmp_path / "study"
    run_study(parse_plan(PLAN), out, workers=1)
    claims = analyze(out)["claims"]
    accuracy = next(r for r in claims["rows"] if r["key"] == "eval_accuracy")
    assert accuracy["claimed_results"] == 0.856 and accuracy["claimed_benchmark"] == 0.4874
    measured = accuracy["measured"]["wine"]
    assert measured["proposed"]["gradvar"]["n"] == 2 and measured["best_baseline"]["schedule"] == "constant"
    write_report(out)
    text = (out / "report.md").read_text()
    section = text[text.index("## Claimed vs Measured"):text.index("## Statistical Analysis")]
    assert "| `eval_accuracy` | 0.856 | 0.4874 |" in section
    assert f"{measured['proposed']['gradvar']['mean']:.4g}" in section
    assert "digits -> wine: a test stand-in" in section


def test_no_claims_no_section(tmp_path: Path):
    out = tmp_path / "study"
    run_study(parse_plan(PLAN.split("[source]")[0]), out, workers=1)
    assert analyze(out)["claims"] is None
    write_report(out)
    assert "## Claimed vs Measured" not in (out / "report.md").read_text()
