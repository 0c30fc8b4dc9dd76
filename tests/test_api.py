"""lrlab.compare: the study `lrlab run` would run, from Python, with its results as DataFrames."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

import lrlab
from lrlab.api import ref_of
from lrlab.study.plan import PlanError
from lrlab.study.store import PlanChangedError, Store
from user_code import SCHEDULE, write


@pytest.fixture(scope="module")
def compared(tmp_path_factory) -> tuple[lrlab.Comparison, Path, str]:
    project = tmp_path_factory.mktemp("project")
    write(project, "my_schedule.py", SCHEDULE)
    stream = io.StringIO()
    result = lrlab.compare(
        {"name": "wine", "model": "mlp"}, schedules=[f"{project / 'my_schedule.py'}:HalfCosine", "entropy"],
        baselines=["constant"], seeds=[0, 1], defaults={"lr": 0.01, "epochs": 2, "batch_size": 32},
        tuning={"trials": 2, "seeds": [100]}, out=project / "study", workers=2, stream=stream)
    return result, project, stream.getvalue()


def test_compare_runs_the_study_lrlab_run_would_and_reports_it(compared):
    result, project, said = compared
    assert result.exit_code == 0
    assert {p.name for p in result.report} >= {"report.md", "report.html", "report.json"}
    assert "verdict: wine: use " in said
    plan = (project / "study" / "plan.toml").read_text()
    assert 'source = "../my_schedule.py:HalfCosine"' in plan  # relative to the plan, in the study folder
    store = Store.open_existing(project / "study")
    try:
        counts = store.counts()
    finally:
        store.close()
    # 3 schedules x 2 seeds as given; 3 x 2 configurations on one tuning seed; 3 x 2 tuned evaluations
    assert counts == {"completed": 18}
    # The same study from the command line: nothing left to run.
    done = subprocess.run([sys.executable, "-m", "lrlab.cli", "run", "plan.toml", "--out", "."],
                          cwd=project / "study", capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "18 of 18 trials already ended; 0 to run" in done.stderr


def test_results_have_one_row_per_evaluation_trial(compared):
    result, _, _ = compared
    frame = result.results
    assert len(frame) == 12 and set(frame["track"]) == {"given", "tuned"}
    assert set(frame["schedule"]) == {"HalfCosine", "entropy", "constant"}
    assert {"task", "schedule", "role", "track", "seed", "status", "val_accuracy", "val_loss", "test_accuracy",
            "lr", "args", "config", "trial_id"} <= set(frame.columns)
    assert (frame["status"] == "completed").all()
    given = frame[frame["track"] == "given"]
    assert (given["lr"] == 0.01).all() and given["config"].isna().all()
    tuned_entropy = frame[(frame["track"] == "tuned") & (frame["schedule"] == "entropy")]
    assert len(tuned_entropy) == 2 and all(set(a) >= {"threshold"} for a in tuned_entropy["args"])


def test_the_verdict_has_one_row_per_task_and_proposed_schedule_with_both_tracks(compared):
    result, _, _ = compared
    frame = result.verdict
    assert list(frame["schedule"]) == ["HalfCosine", "entropy"] and set(frame["task"]) == {"wine"}
    assert {"tuned_verdict", "tuned_difference", "tuned_p_holm", "given_verdict", "given_difference",
            "given_baseline", "recommended"} <= set(frame.columns)
    assert (frame["decides"] == "tuned").all()
    assert result.paragraph == result.analysis["verdict"]["paragraph"]
    assert "wine: use " in repr(result)


def test_calling_it_again_resumes_and_a_changed_call_is_refused(compared):
    result, project, _ = compared
    stream = io.StringIO()
    again = lrlab.compare(
        {"name": "wine", "model": "mlp"}, schedules=[f"{project / 'my_schedule.py'}:HalfCosine", "entropy"],
        baselines=["constant"], seeds=[0, 1], defaults={"lr": 0.01, "epochs": 2, "batch_size": 32},
        tuning={"trials": 2, "seeds": [100]}, out=project / "study", workers=2, stream=stream)
    assert "18 of 18 trials already ended; 0 to run" in stream.getvalue()
    assert again.results.equals(result.results)
    before = (project / "study" / "plan.toml").read_text()
    with pytest.raises(PlanChangedError, match="holds a study of another plan"):
        lrlab.compare("wine", schedules=["entropy"], baselines=["constant"], seeds=[0, 1],
                      out=project / "study", stream=io.StringIO())
    assert (project / "study" / "plan.toml").read_text() == before  # nothing was written


def local_schedule() -> None:
    def inner() -> None: ...
    return inner


def test_what_workers_cannot_load_is_refused_before_anything_runs(tmp_path):
    with pytest.raises(ValueError, match="defined inside a function .*define it at the top level of a .py file"):
        lrlab.compare("wine", schedules=[local_schedule()], out=tmp_path / "x")
    with pytest.raises(PlanError, match="unknown schedule 'entropyy'"):
        lrlab.compare("wine", schedules=["entropyy"], out=tmp_path / "x")
    assert not (tmp_path / "x").exists()
    assert ref_of(ref_of) == "lrlab.api:ref_of"  # a module of a package: imported by name where trials run
    assert ref_of(local_schedule) == f"{Path(__file__).resolve()}:local_schedule"  # a file: its text travels
