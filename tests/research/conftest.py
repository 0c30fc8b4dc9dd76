"""Research run folders, built once per session.

* ``tiny_run``: a real run of ``lrlab research run`` (:func:`lrlab.research.run.run_research`): a
  search on wine (4 candidates, 2 epochs, median pruning), K = 1, confirmed on held-out
  breast_cancer against tuned constant and cosine and the self-tuning optimizers, on 2 fresh seeds.
* ``hand_run``: a run folder written by hand through the same stores (research.toml, the search
  store's candidates table with a complete, a pruned, a failed and an unfinished candidate,
  ideas.json), without a confirmation: the states a tiny real search does not reliably produce.
  ``build_run(..., confirm=True)`` also runs its confirmation through the study layer.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from lrlab.files import write_atomic
from lrlab.research.candidates import Candidate, CandidateLog
from lrlab.research.plan import parse_research_plan
from lrlab.schedulers.composite import describe_idea
from lrlab.study.plan import Plan
from lrlab.study.runner import run_study
from lrlab.study.store import STORE_NAME, Store

PLAN = """
name = "tiny-research"

[defaults]
optimizer = "adam"
lr = 0.01
epochs = 2

[search]
seeds = [0]
batch = 2
budget = { candidates = 5 }
pruning = { pruner = "median", rungs = 2, eta = 2, startup = 1 }

[[search.tasks]]
name = "wine"
target = { metric = "accuracy", value = 0.9 }

[confirm]
k = 1
seeds = [10, 11]
baselines = ["constant", "cosine"]
tuning = { trials = 1, seeds = [100] }

[[confirm.tasks]]
name = "breast_cancer"
target = { metric = "accuracy", value = 0.9 }

[goal]
tasks = 1
task = "breast_cancer"
reference = "prodigy_cosine"
"""

IDEA_ARGS = {"base": "cosine", "signal": "loss_trend", "rule": "trend", "history": 2, "down": 0.7}
CANDIDATES = [
    Candidate(0, 0, {"base": "cosine"}, IDEA_ARGS, 1.5, "complete", 0.4,
              [{"rung": 0, "epochs": 1, "value": 0.9, "pruned": False}, {"rung": 1, "epochs": 2, "value": 0.4,
                                                                         "pruned": False}]),
    Candidate(1, 0, {"base": "constant"}, {"base": "constant", "signal": "grad_noise"}, 0.5, "complete", 0.9),
    Candidate(2, 1, {"base": "linear"}, {"base": "linear", "signal": "entropy"}, 3.0, "pruned", 1.5,
              [{"rung": 0, "epochs": 1, "value": 1.5, "pruned": True}]),
    Candidate(3, 1, {"base": "cosine"}, {"base": "cosine", "signal": "curvature"}, 0.2, "failed", None,
              error="RuntimeError: the trial raised\nTraceback ..."),
    Candidate(4, 2, {"base": "constant"}, {"base": "constant", "signal": "val_loss"}, 1.0, "asked", None),
]


def build_run(run: Path, *, confirm: bool = True) -> Path:
    """The run folder ``run`` as lrlab research run lays it out (the confirmation when ``confirm``)."""
    run.mkdir(parents=True, exist_ok=True)
    write_atomic(run / "research.toml", PLAN.encode())
    plan = parse_research_plan(PLAN, str(run / "research.toml"))
    store = Store(run / "search" / STORE_NAME)
    try:
        log = CandidateLog(store)
        for candidate in CANDIDATES:
            log.save(candidate)
        log.put(chosen=[0], seconds=12.5)
    finally:
        store.close()
    ideas = [{"label": "idea-1", "candidate": 0, "args": IDEA_ARGS, "lr_scale": 1.5,
              "idea": describe_idea(IDEA_ARGS), "value": 0.4}]
    write_atomic(run / "ideas.json", json.dumps(ideas, indent=2).encode())
    if confirm:
        from lrlab.report import write_report

        out = run / "confirm"
        study = Plan.model_validate(plan.confirmation_plan(ideas, run, out), context={"base": run})
        outcome = run_study(study, out, workers=2)
        assert set(outcome.counts) == {"completed"}, outcome.counts
        write_report(out)
    return run


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> Path:
    """A real research run: search, confirmation and outputs, by ``run_research`` (once per session)."""
    from lrlab.research.run import run_research

    folder = tmp_path_factory.mktemp("research")
    plan = folder / "tiny.toml"
    plan.write_text(PLAN.replace("budget = { candidates = 5 }", "budget = { candidates = 4 }"), encoding="utf-8")
    outcome = run_research(plan, folder / "run", workers=2, stream=io.StringIO())
    assert outcome.exit_code == 0 and outcome.outputs, outcome
    return folder / "run"


@pytest.fixture(scope="session")
def hand_run(tmp_path_factory) -> Path:
    """A run folder with a candidate in every state and no confirmation (cheap: nothing trains)."""
    return build_run(tmp_path_factory.mktemp("hand") / "run", confirm=False)


def ideas_of(run: Path) -> list[dict]:
    return json.loads((run / "ideas.json").read_text(encoding="utf-8"))


def candidates_of(run: Path) -> list[Candidate]:
    store = Store(run / "search" / STORE_NAME, readonly=True)
    try:
        return CandidateLog(store).all()
    finally:
        store.close()
