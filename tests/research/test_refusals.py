"""Bad input to lrlab research run: one line, exit status 2, before anything trains (no run folder)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lrlab.cli import main
from lrlab.research.plan import resolve_research_plan
from lrlab.research.search import parse_budget

from .test_run import RESEARCH

SPACE_WITHOUT_A_POINT = RESEARCH.replace(
    "budget = { candidates = 4 }",
    'budget = { candidates = 4 }\nargs = { signal = "loss_trend" }\n'
    'space = { signal2 = { choices = ["grad_cv"] }, interval = { choices = [1] } }')

CASES = {
    "no valid point": (SPACE_WITHOUT_A_POINT, [], "search.space: no valid point"),
    "K above the candidates": (RESEARCH.replace("k = 2", "k = 5"), [],
                               "confirm.k: 5 is larger than the candidates the search budget allows (4)"),
    "held-out task searched": (RESEARCH.replace('name = "breast_cancer"', 'name = "wine"'), [],
                               "confirm.tasks[wine]: is also a search task"),
    "seeds not fresh": (RESEARCH.replace("seeds = [10, 11]", "seeds = [0, 11]"), [],
                        "confirm.seeds must be fresh: [0] are also search.seeds"),
    "tuning seeds not fresh": (RESEARCH.replace("seeds = [10, 11]", "seeds = [100, 11]"), [],
                               "confirm.seeds must be fresh: [100] are also confirm.tuning.seeds"),
    "budget below K": (RESEARCH, ["--budget", "1"], "--budget: 1 candidate(s) is fewer than confirm.k = 2"),
    "budget of nothing": (RESEARCH, ["--budget", "0m"], "--budget: expected a number of candidates"),
    "budget shorter than a trial": (RESEARCH + "\n[budget]\nmax_trial_seconds = 120\n", ["--budget", "1m"],
                                    "--budget: 1 minutes is too small for one trial"),
    "ray address without ray": (RESEARCH, ["--address", "auto"], "--address is for --executor ray"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_line_before_anything_trains(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    text, extra, expected = CASES[case]
    plan = tmp_path / "plan.toml"
    plan.write_text(text)
    out = tmp_path / "run"
    assert main(["research", "run", str(plan), "--out", str(out), *extra]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("lrlab: error: ")
    assert expected in err
    assert not out.exists()


def test_budget_forms():
    assert parse_budget("30m").minutes == 30 and parse_budget("30m").candidates is None
    assert parse_budget("90s").minutes == 1.5 and parse_budget("1.5h").minutes == 90
    assert parse_budget("40").candidates == 40 and parse_budget("40").minutes is None
    for bad in ("", "-3", "0", "m", "3x", "nanm", "infm"):
        with pytest.raises(ValueError, match="--budget"):
            parse_budget(bad)


def test_the_shipped_plan_is_the_default_and_keeps_its_held_out_tasks_apart():
    from lrlab.research.plan import load_research_plan

    path = resolve_research_plan(None)
    assert path.name == "research.toml" and path.parent.name == "research"
    plan = load_research_plan(path)
    searched = {t.name for t in plan.search.tasks}
    held_out = {t.key: t for t in plan.confirm.tasks}
    assert len(held_out) == 4 and not searched & set(held_out)
    mnist1d = held_out["mnist1d"]
    assert (mnist1d.resolved_model(), mnist1d.hparams["batch_size"]) == ("cnn1d", 100)
    assert (mnist1d.target.metric, mnist1d.target.value) == ("accuracy", 0.85)
    assert plan.defaults.optimizer == "adam"
    assert plan.confirm.baselines == ["constant", "cosine", "linear", "plateau"]
    assert plan.confirm.self_tuning == ["prodigy_cosine", "schedulefree_adamw"]
    assert plan.goal is not None and (plan.goal.baseline, plan.goal.tasks, plan.goal.task, plan.goal.reference) == \
           ("cosine", 3, "mnist1d", "prodigy_cosine")


def test_repeated_confirmation_tuning_seeds_are_refused():
    from lrlab.research.plan import ResearchPlanError, parse_research_plan

    from .conftest import PLAN

    text = PLAN.replace("tuning = { trials = 1, seeds = [100] }", "tuning = { trials = 1, seeds = [100, 100] }")
    with pytest.raises(ResearchPlanError, match=r"confirm\.tuning\.seeds: seeds must be distinct"):
        parse_research_plan(text)
