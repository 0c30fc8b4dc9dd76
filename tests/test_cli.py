"""The command line: thin, and bad input is one clear line with exit status 2."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from lrlab.study.plan import load_plan

SEEDS = Path(__file__).parent / "ingest" / "seeds"


def lrlab(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lrlab.cli", *args], capture_output=True, text=True, timeout=120)


def test_plan_from_a_seed_report_writes_a_valid_plan(tmp_path: Path):
    out = tmp_path / "plan.toml"
    proc = lrlab("plan", str(SEEDS / "004_80bb52f189504312.txt"), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    plan = load_plan(out)
    assert plan.schedules[0].name == "curvature" and plan.source is not None
    assert plan.source.claimed_results["eval_accuracy"] == 0.856


def test_plan_writes_a_tuning_section_for_either_budget(tmp_path: Path):
    for budget, trials in (("quick", 4), ("full", 16)):
        out = tmp_path / f"{budget}.toml"
        proc = lrlab("plan", str(SEEDS / "001_79b251f09d75b86e.txt"), "--budget", budget, "-o", str(out))
        assert proc.returncode == 0, proc.stderr
        plan = load_plan(out)
        assert plan.tuning is not None and plan.tuning.trials == trials
        assert not set(plan.tuning.seeds) & set(plan.seeds)
        assert plan.source is not None and plan.source.budget == budget


def test_plan_refuses_a_text_that_is_no_report(tmp_path: Path):
    noise = tmp_path / "noise.txt"
    noise.write_text(base64.encodebytes(bytes(range(256)) * 40).decode())
    proc = lrlab("plan", str(noise))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith(f"lrlab: error: {noise}: not an experiment report") and proc.stderr.count("\n") == 1


def test_plan_names_the_line_of_a_number_no_plan_can_hold(tmp_path: Path):
    report = tmp_path / "r.md"
    report.write_text("## Idea\nEntropy.\n### Datasets\n- MNIST\n### Hyperparameters\n- lr = 1e999999\n")
    proc = lrlab("plan", str(report))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert f"{report}: line 6: lr = '1e999999'" in proc.stderr and "inf" not in proc.stdout


def test_reproduce_takes_executor_and_address_like_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    from lrlab import workflow
    from lrlab.cli import main

    calls = []

    def fake_run_and_report(plan, out, **kwargs):
        calls.append(kwargs)
        return SimpleNamespace(interrupted=False, exit_code=0)

    monkeypatch.setattr(workflow, "run_and_report", fake_run_and_report)
    report = str(SEEDS / "004_80bb52f189504312.txt")
    assert main(["reproduce", report, "--out", str(tmp_path / "a"), "--executor", "ray", "--address", "auto"]) == 0
    assert main(["reproduce", report, "--out", str(tmp_path / "b")]) == 0
    assert [(c["executor"], c["address"]) for c in calls] == [("ray", "auto"), ("local", None)]
    assert "--executor" in lrlab("reproduce", "--help").stdout


def test_plan_from_an_empty_file_is_one_clear_line(tmp_path: Path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    proc = lrlab("plan", str(empty))
    assert proc.returncode == 2
    assert proc.stderr.startswith("lrlab: error: ") and proc.stderr.count("\n") == 1


def test_schedules_lists_every_kind():
    proc = lrlab("schedules")
    assert proc.returncode == 0
    for name in ("entropy", "performance", "gradvar", "curvature", "meta", "constant", "cosine", "prodigy"):
        assert f"\n{name} " in proc.stdout


def test_schedules_space_prints_each_default_search_space():
    proc = lrlab("schedules", "--space", "--kind", "adaptive")
    assert proc.returncode == 0, proc.stderr
    assert "entropy" in proc.stdout and "threshold: [0.3, 0.9] when mode='absolute'" in proc.stdout
    names = [line.split()[0] for line in proc.stdout.splitlines()[1:] if line.strip()]
    assert "composite" in names and "constant" not in names  # --kind adaptive: no baseline rows


def test_tasks_lists_every_task_with_its_models_and_metrics():
    from lrlab.tasks import list_tasks

    proc = lrlab("tasks")
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert [line for line in lines if not line.startswith(" ")] == list_tasks()
    squad = lines[lines.index("squad_v2") + 3]
    assert "exact" in squad and "may ask" in squad and "accuracy" not in squad


def test_run_names_a_plan_file_that_is_not_utf8_and_creates_nothing(tmp_path: Path):
    plan = tmp_path / "plan.toml"
    plan.write_bytes('name = "caf\u00e9"\n'.encode("latin-1"))
    out = tmp_path / "never"
    proc = lrlab("run", str(plan), "--out", str(out))
    assert proc.returncode == 2 and not out.exists()
    assert proc.stderr == (f"lrlab: error: {plan}: not UTF-8 text (byte 0xe9 at offset 11); a plan is a TOML file, "
                           "which is UTF-8\n")
