"""A real tiny tuned study end to end: tuning trials, successive halving, the chosen configuration on
fresh seeds, the as-given track beside it; killed during tuning or evaluation, it resumes to the
uninterrupted numbers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lrlab.study.plan import parse_plan
from lrlab.study.runner import run_study
from lrlab.study.store import STORE_NAME, Store
from lrlab.study.tuning import configurations, planned_count

from .conftest import SMALL
from .test_run import numbers

# The small study's plan, with 4 epochs and a tuning protocol.
TUNED = SMALL.replace('name = "small"', 'name = "tuned-tiny"').replace("epochs = 3", "epochs = 4") + """
[tuning]
trials = 3
seeds = [100]
halving = { rungs = 2, eta = 2 }
"""


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tuned")
    plan = parse_plan(TUNED)
    outcome = run_study(plan, out, workers=2)
    assert outcome.counts == {"completed": planned_count(plan)} == {"completed": 18}
    return out


def rows(study: Path) -> list[dict]:
    store = Store.open_existing(study)
    try:
        return store.trials()
    finally:
        store.close()


def test_the_store_holds_both_tracks_and_every_tuning_trial(finished: Path):
    trials = rows(finished)
    place = {(t["track"], t["phase"]) for t in trials}
    assert place == {("given", "evaluation"), ("tuned", "tuning"), ("tuned", "evaluation")}
    tuning = [t for t in trials if t["phase"] == "tuning"]
    assert {t["seed"] for t in tuning} == {100}
    assert sorted((t["schedule"], t["rung"], t["config"]) for t in tuning) == sorted(
        [(s, 0, c) for s in ("entropy", "constant") for c in (0, 1, 2)]
        + [(s, 1, c) for s in ("entropy", "constant") for c in _promoted(trials, s)])
    assert {t["spec"]["epochs"] for t in tuning if t["rung"] == 0} == {2}
    assert {t["spec"]["epochs"] for t in tuning if t["rung"] == 1} == {4}
    evaluation = [t for t in trials if t["phase"] == "evaluation"]
    assert {t["seed"] for t in evaluation} == {0, 1}


def _promoted(trials: list[dict], schedule: str) -> list[int]:
    """The two configurations with the best rung-0 validation accuracy (ties: the earlier)."""
    rung0 = [t for t in trials if t["phase"] == "tuning" and t["rung"] == 0 and t["schedule"] == schedule]
    ranked = sorted(rung0, key=lambda t: (-t["summary"]["final_val"]["accuracy"], t["config"]))
    return [t["config"] for t in ranked[:2]]


def test_the_chosen_configuration_is_the_best_of_the_last_rung_and_runs_on_fresh_seeds(finished: Path):
    trials = rows(finished)
    plan = parse_plan(TUNED)
    configs = configurations(plan)
    for schedule in ("entropy", "constant"):
        last = [t for t in trials if t["phase"] == "tuning" and t["rung"] == 1 and t["schedule"] == schedule]
        best = sorted(last, key=lambda t: (-t["summary"]["final_val"]["accuracy"], t["config"]))[0]["config"]
        tuned = [t for t in trials if t["track"] == "tuned" and t["phase"] == "evaluation" and t["schedule"] == schedule]
        assert {t["config"] for t in tuned} == {best} and {t["seed"] for t in tuned} == {0, 1}
        chosen = configs[("wine", schedule)][best]
        assert {t["spec"]["lr"] for t in tuned} == {chosen.lr}
        assert all(t["spec"]["schedule_args"] == {**plan.schedule_entry(schedule).args, **chosen.args} for t in tuned)
        given = [t for t in trials if t["track"] == "given" and t["schedule"] == schedule]
        assert {t["spec"]["lr"] for t in given} == {0.01}


def test_the_report_decides_on_the_tuned_track(finished: Path):
    from lrlab.analysis import analyze

    analysis = analyze(finished)
    assert analysis["decides"] == "tuned" and set(analysis["tracks"]) == {"tuned", "given"}
    tuned_ids = {t["trial_id"] for t in rows(finished) if t["track"] == "tuned" and t["phase"] == "evaluation"}
    for c in analysis["tracks"]["tuned"]["comparisons"]:
        assert set(c["trial_ids"]) <= tuned_ids  # only evaluation trials of the tuned track decide
    table = analysis["tuning"]["tasks"]["wine"]["entropy"]
    assert len(table["configs"]) == 3 and sum(c["chosen"] for c in table["configs"]) == 1
    assert table["cost"]["trials"] == 5


def _kill_when(command: list[str], out: Path, ready) -> None:
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
        if not (out / STORE_NAME).exists():
            continue
        try:
            store = Store(out / STORE_NAME, readonly=True)
            trials = store.trials()
            store.close()
        except Exception:  # noqa: BLE001 - the driver may be creating the store right now
            continue
        if ready(trials, {p.parent.name for p in out.glob("trials/*/checkpoint.pt")}):
            break
    assert proc.poll() is None, "the study finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    time.sleep(0.5)  # the workers die with the driver (PR_SET_PDEATHSIG)


@pytest.mark.parametrize("moment", ["tuning", "evaluation"])
def test_sigkill_then_resume_gives_the_uninterrupted_numbers(finished: Path, tmp_path: Path, moment: str):
    plan_file = tmp_path / "tuned.toml"
    plan_file.write_text(TUNED)
    out = tmp_path / moment
    command = [sys.executable, "-m", "lrlab.cli", "run", str(plan_file), "--out", str(out), "--workers", "2"]

    def ready(trials: list[dict], checkpointed: set[str]) -> bool:
        ended = {t["trial_id"] for t in trials if t["status"] == "completed"}
        if moment == "tuning":
            tuning = {t["trial_id"] for t in trials if t["phase"] == "tuning"}
            return bool(ended & tuning) and bool((checkpointed - ended) & tuning)
        tuned = [t for t in trials if t["track"] == "tuned" and t["phase"] == "evaluation"]
        return any(t["status"] != "completed" for t in tuned) and bool(tuned)

    _kill_when(command, out, ready)
    before = rows(out)
    assert 0 < sum(t["status"] == "completed" for t in before) < 18
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert numbers(out) == numbers(finished)
    store = Store.open_existing(out)
    assert json.loads(store.meta("plan") or "{}")["tuning"]["trials"] == 3
    store.close()
