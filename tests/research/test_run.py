"""lrlab research run for real, tiny: a search on wine (4 candidates, 2 rungs, median pruning), the
top 2 confirmed on breast_cancer; what the stores hold; a second run trains nothing; a search
killed with SIGKILL resumes to the very candidates of an uninterrupted one."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from dataclasses import asdict
from pathlib import Path

import pytest

from lrlab.analysis import analyze
from lrlab.research.candidates import CandidateLog
from lrlab.research.objective import candidate_value, trial_score
from lrlab.research.run import run_research
from lrlab.schedulers.composite import describe_idea
from lrlab.study.store import STORE_NAME, Store

RESEARCH = """
name = "tiny-search"

[defaults]
optimizer = "adam"
lr = 0.01
batch_size = 32
epochs = 3

[search]
seeds = [0]
batch = 2
budget = { candidates = 4 }
pruning = { pruner = "median", rungs = 2, eta = 2, startup = 1 }

[[search.tasks]]
name = "wine"
model = "fcnn"
target = { metric = "accuracy", value = 0.95 }

[confirm]
k = 2
seeds = [10, 11]
baselines = ["constant"]
self_tuning = []
tuning = { trials = 1, seeds = [100] }

[[confirm.tasks]]
name = "breast_cancer"
model = "fcnn"
target = { metric = "accuracy", value = 0.95 }
"""


def rows(run: Path) -> list[dict]:
    store = Store(run / "search" / STORE_NAME, readonly=True)
    try:
        return [c.as_dict() for c in CandidateLog(store).all()]
    finally:
        store.close()


def search_trials(run: Path) -> dict[str, dict]:
    store = Store(run / "search" / STORE_NAME, readonly=True)
    try:
        return {t["trial_id"]: t for t in store.trials()}
    finally:
        store.close()


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plan") / "tiny.toml"
    path.write_text(RESEARCH)
    return path


@pytest.fixture(scope="module")
def finished(plan_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("research") / "run"
    outcome = run_research(plan_file, run, workers=2, stream=io.StringIO())
    assert outcome.exit_code == 0
    return run


def test_the_run_folder_holds_the_plan_search_ideas_and_confirmation(finished: Path, plan_file: Path):
    assert (finished / "research.toml").read_text() == plan_file.read_text()
    candidates = rows(finished)
    assert [c["number"] for c in candidates] == [0, 1, 2, 3]
    assert [c["generation"] for c in candidates] == [0, 0, 1, 1]
    assert all(c["state"] in ("complete", "pruned") for c in candidates)
    ideas = json.loads((finished / "ideas.json").read_text())
    complete = sorted((c for c in candidates if c["state"] == "complete"), key=lambda c: (c["value"], c["number"]))
    assert [i["candidate"] for i in ideas] == [c["number"] for c in complete[:2]]
    for idea, candidate in zip(ideas, complete, strict=False):
        assert idea["args"] == candidate["args"] and idea["lr_scale"] == candidate["lr_scale"]
        assert idea["idea"] == describe_idea(candidate["args"]) and idea["value"] == candidate["value"]
    assert [i["label"] for i in ideas] == ["idea-1", "idea-2"]
    confirm = tomllib.loads((finished / "confirm" / "plan.toml").read_text())
    proposed = {s["label"]: s["args"] for s in confirm["schedules"] if s["role"] == "proposed"}
    assert proposed == {i["label"]: i["args"] for i in ideas}
    assert (finished / "confirm" / "report.md").is_file()


def test_every_candidate_value_is_its_trials_objective_and_only_search_tasks_were_searched(finished: Path):
    trials = search_trials(finished)
    assert {t["task"] for t in trials.values()} == {"wine"}
    for candidate in rows(finished):
        assert candidate["trials"] and set(candidate["trials"]) <= set(trials)
        for rung in candidate["rungs"]:
            specs = [t for t in trials.values() if t["trial_id"] in candidate["trials"]
                     and t["spec"]["epochs"] == rung["epochs"]["wine"]]
            assert len(specs) == 1  # one task x one seed
            scores = [trial_score(t["status"], t["summary"], t["spec"]["target"], t["spec"]["epochs"]) for t in specs]
            assert rung["value"] == pytest.approx(candidate_value(scores, 1.0))
            assert specs[0]["spec"]["schedule_args"] == candidate["args"]
            assert specs[0]["spec"]["lr"] == pytest.approx(0.01 * candidate["lr_scale"], rel=1e-3)
        if candidate["state"] == "complete":
            assert candidate["value"] == candidate["rungs"][-1]["value"] and len(candidate["rungs"]) == 2
        else:  # pruned on the short rung: never trained the full budget
            assert [r["pruned"] for r in candidate["rungs"]] == [True] and candidate["value"] is None


def test_the_confirmation_runs_the_ideas_on_held_out_tasks_and_fresh_seeds_with_holm_over_k_x_tasks(finished: Path):
    store = Store(finished / "confirm" / STORE_NAME, readonly=True)
    try:
        trials = store.trials()
    finally:
        store.close()
    assert {t["task"] for t in trials} == {"breast_cancer"}
    assert {t["schedule"] for t in trials} == {"idea-1", "idea-2", "constant"}
    evaluation = {t["seed"] for t in trials if t["phase"] == "evaluation"}
    assert evaluation == {10, 11}
    assert all(t["status"] == "completed" for t in trials)
    primary = [c for c in analyze(finished / "confirm")["tracks"]["tuned"]["comparisons"]
               if c["split"] == "val" and c["family"] == "primary"]
    assert {c["proposed"] for c in primary} == {"idea-1", "idea-2"}
    assert {c["family_size"] for c in primary} == {2}  # K = 2 ideas x 1 held-out task


def test_running_again_trains_nothing_and_changes_no_candidate(finished: Path, plan_file: Path):
    before_candidates, before_trials = rows(finished), search_trials(finished)
    stream = io.StringIO()
    outcome = run_research(plan_file, finished, workers=2, stream=stream)
    assert outcome.exit_code == 0
    assert rows(finished) == before_candidates
    assert {k: v["finished"] for k, v in search_trials(finished).items()} == \
           {k: v["finished"] for k, v in before_trials.items()}
    assert "search: generation" not in stream.getvalue()  # the search is over: ideas.json is the choice
    assert "trials already ended" in stream.getvalue()


def test_sigkill_mid_search_then_resume_keeps_every_candidate_and_reuses_finished_trials(
        finished: Path, plan_file: Path, tmp_path: Path):
    run = tmp_path / "killed"
    command = [sys.executable, "-m", "lrlab.cli", "research", "run", str(plan_file), "--out", str(run),
               "--workers", "2"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    seen: list[dict] = []
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
        if not (run / "search" / STORE_NAME).exists():
            continue
        try:
            seen = rows(run)
        except Exception:  # the table is being made
            continue
        told = [c for c in seen if c["state"] in ("complete", "pruned")]
        if told and len(told) < 4:
            break
    assert proc.poll() is None, "the research ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    time.sleep(0.5)
    before = rows(run)
    ended_before = {k: v["finished"] for k, v in search_trials(run).items() if v["status"] == "completed"}
    assert len(ended_before) > 0 and not (run / "ideas.json").exists()

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    after = rows(run)
    # Every candidate asked before the kill is still there with its parameters; told ones unchanged.
    for old in before:
        new = next(c for c in after if c["number"] == old["number"])
        assert (new["params"], new["args"], new["lr_scale"]) == (old["params"], old["args"], old["lr_scale"])
        if old["state"] in ("complete", "pruned"):
            assert new == old
    # Trials that had ended were read from the store, not trained again.
    trials = search_trials(run)
    assert all(trials[k]["finished"] == v for k, v in ended_before.items())
    # And the search is the one an uninterrupted run makes.
    assert after == rows(finished)
    assert json.loads((run / "ideas.json").read_text()) == json.loads((finished / "ideas.json").read_text())


def test_a_folder_of_another_research_is_refused(finished: Path, tmp_path: Path):
    other = tmp_path / "other.toml"
    other.write_text(RESEARCH.replace("seeds = [0]", "seeds = [3]"))
    from lrlab.cli import main

    before = rows(finished)
    assert main(["research", "run", str(other), "--out", str(finished)]) == 2
    assert rows(finished) == before


def test_trial_score_reads_what_the_store_keeps(finished: Path):
    trial = next(iter(search_trials(finished).values()))
    score = trial_score(trial["status"], trial["summary"], trial["spec"]["target"], trial["spec"]["epochs"])
    assert score is not None and 0 < score.time <= 2 and -1 <= score.ending <= 1
    assert asdict(score).keys() == {"time", "ending"}


def test_sigterm_mid_search_stops_cleanly_with_143_and_leaves_every_asked_candidate(plan_file: Path, tmp_path: Path):
    run = tmp_path / "terminated"
    command = [sys.executable, "-m", "lrlab.cli", "research", "run", str(plan_file), "--out", str(run),
               "--workers", "2"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
        if (run / "search" / STORE_NAME).exists() and search_trials_safe(run):
            break
    assert proc.poll() is None, "the research ended before it could be stopped"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "stopped by SIGTERM" in err and "Traceback" not in err
    assert rows(run) and not (run / "ideas.json").exists()


def search_trials_safe(run: Path) -> bool:
    """Whether some search trial has ended (False while the store is being made)."""
    try:
        return any(t["status"] == "completed" for t in search_trials(run).values())
    except Exception:
        return False
