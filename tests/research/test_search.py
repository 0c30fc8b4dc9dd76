"""The search on its own, for real (wine, 2 and 1 epochs): CMA-ES with successive halving, a
wall-clock budget that still completes K, and candidates whose code raises (failed, with the
error, never scored)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import optuna

from lrlab.research.candidates import CandidateLog
from lrlab.research.driver import TrialDriver
from lrlab.research.plan import SearchBudget, parse_research_plan
from lrlab.research.run import run_research
from lrlab.research.search import Search
from lrlab.research.space import idea_space
from lrlab.study.runner import trials_root
from lrlab.study.store import STORE_NAME, Store

from .test_run import RESEARCH

RAISING_TASK = '''
import torch
from torch import nn

from lrlab.tasks import Split, TaskData, UserTask


class Broken(nn.Module):
    def __init__(self, dropout: float = 0.0):
        super().__init__()
        self.linear = nn.Linear(2, 2)

    def forward(self, x):
        if self.training:
            raise RuntimeError("the model raised on purpose")
        return self.linear(x)


def make_task() -> UserTask:
    g = torch.Generator().manual_seed(0)
    split = lambda n: Split(torch.randn(n, 2, generator=g), torch.randint(0, 2, (n,), generator=g))
    return UserTask(TaskData(split(64), split(32), split(32), num_classes=2, input_shape=(2,)), model=Broken)
'''


def search(text: str, folder: Path, budget: SearchBudget | None = None) -> tuple[Search, object]:
    folder.mkdir(parents=True, exist_ok=True)
    plan = parse_research_plan(text, str(folder / "plan.toml"), base=folder)
    search_plan = plan.search_plan(folder)
    store = Store(folder / "search" / STORE_NAME)
    driver = TrialDriver(store, trials_root(search_plan, folder / "search"), search_plan.resources, io.StringIO(),
                         workers=2)
    runner = Search(plan, search_plan, idea_space(plan), driver, budget or plan.search.budget, io.StringIO())
    try:
        return runner, runner.run()
    finally:
        driver.close()


def test_cmaes_with_successive_halving_prunes_on_the_short_rung_and_tells_every_candidate(tmp_path: Path):
    text = RESEARCH.replace('pruning = { pruner = "median", rungs = 2, eta = 2, startup = 1 }',
                            'sampler = "cmaes"\npruning = { pruner = "halving", rungs = 2, eta = 2 }')
    runner, outcome = search(text, tmp_path)
    candidates = CandidateLog(runner.store).all()
    assert outcome.ended and len(candidates) == 4
    states = [c.state for c in candidates]
    assert set(states) <= {"complete", "pruned"} and "pruned" in states and "complete" in states
    trials = runner.study.get_trials(deepcopy=False)
    assert sorted(t.user_attrs["candidate"] for t in trials) == [0, 1, 2, 3]
    by_number = {t.user_attrs["candidate"]: t for t in trials}
    for c in candidates:
        optuna_state = by_number[c.number].state
        assert optuna_state == (optuna.trial.TrialState.COMPLETE if c.state == "complete"
                                else optuna.trial.TrialState.PRUNED)
        assert by_number[c.number].intermediate_values == {r["rung"] + 1: r["value"] for r in c.rungs}
    runner.store.close()


def test_a_spent_clock_still_completes_k_candidates_and_finishes_its_generation(tmp_path: Path):
    runner, outcome = search(RESEARCH, tmp_path, SearchBudget(minutes=1e-4))
    candidates = CandidateLog(runner.store).all()
    complete = [c for c in candidates if c.state == "complete"]
    assert len(complete) >= 2 and outcome.ended
    # Generations of 2 are finished once asked; no generation is asked once K have completed.
    assert len(candidates) % 2 == 0
    first_k = min(g for g in {c.generation for c in candidates}
                  if sum(c.state == "complete" and c.generation <= g for c in candidates) >= 2)
    assert max(c.generation for c in candidates) == first_k
    runner.store.close()


def test_candidates_whose_code_raises_are_failed_with_the_error_and_never_scored(tmp_path: Path):
    (tmp_path / "broken_task.py").write_text(RAISING_TASK)
    text = RESEARCH.replace('name = "wine"\nmodel = "fcnn"\ntarget = { metric = "accuracy", value = 0.95 }',
                            'source = "broken_task.py:make_task"\ntarget = { metric = "accuracy", value = 0.95 }')
    plan = tmp_path / "plan.toml"
    plan.write_text(text.replace("k = 2", "k = 1"))
    stream = io.StringIO()
    outcome = run_research(plan, tmp_path / "run", workers=2, stream=stream)
    assert outcome.exit_code == 1
    store = Store(tmp_path / "run" / "search" / STORE_NAME, readonly=True)
    candidates = CandidateLog(store).all()
    store.close()
    # The budget's 4, then at most 4 x K more while none has completed.
    assert len(candidates) == 4 + 4
    for c in candidates:
        assert c.state == "failed" and c.value is None and c.rungs == []
        assert "the model raised on purpose" in c.error
    assert json.loads((tmp_path / "run" / "ideas.json").read_text()) == []
    assert not (tmp_path / "run" / "confirm").exists()
    assert "no candidate completed the search" in stream.getvalue()


def test_a_search_continued_from_its_table_asks_what_an_uninterrupted_one_asks(tmp_path: Path):
    # Candidates 4 and 5 come from TPE's model of 0-3 (the first 4 are its random start-up): once
    # from the Optuna study that told 0-3, once from one rebuilt from the candidates table.
    whole, _ = search(RESEARCH, tmp_path / "whole", SearchBudget(candidates=6))
    expected = [c.as_dict() for c in CandidateLog(whole.store).all()]
    whole.store.close()
    first, _ = search(RESEARCH, tmp_path / "parts", SearchBudget(candidates=4))
    first.store.close()
    second, outcome = search(RESEARCH, tmp_path / "parts", SearchBudget(candidates=6))
    assert outcome.ended and [c.as_dict() for c in CandidateLog(second.store).all()] == expected
    assert [t.user_attrs["candidate"] for t in second.study.get_trials(deepcopy=False)] == [0, 1, 2, 3, 4, 5]
    second.store.close()
