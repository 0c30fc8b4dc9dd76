"""The shipped plans as `lrlab plans` lists them: every one, with the trials it really expands to;
and the command line's help, which names them and opens with what lrlab is."""

from __future__ import annotations

import pytest

from lrlab.cli import build_parser, main
from lrlab.plans import PLANS_DIR, ROUGH_TIMES, describe_plans, shipped_plans, title_of
from lrlab.study.plan import load_plan
from lrlab.study.tuning import planned_count


@pytest.mark.parametrize("name", shipped_plans())
def test_every_shipped_plan_is_listed_with_the_trials_it_expands_to(name):
    trials, time = ROUGH_TIMES[name]
    assert trials == planned_count(load_plan(PLANS_DIR / f"{name}.toml"))
    assert time and title_of(name)


def test_lrlab_plans_prints_the_table(capsys):
    assert main(["plans"]) == 0
    out = capsys.readouterr().out
    assert out == describe_plans() + "\n"
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["name", "trials", "time", "on"]
    assert any(line.startswith("default") and " 896 " in line and " min" in line for line in lines)
    assert len([line for line in lines[1:] if line and line.split()[0] in shipped_plans()]) == len(shipped_plans())


def test_the_help_says_what_lrlab_is_and_names_the_shipped_plans():
    parser = build_parser()
    help_text = parser.format_help()
    assert help_text.split("\n\n")[1].startswith("lrlab: adaptive learning-rate schedulers for PyTorch")
    assert "Thin" not in help_text and "lrlab plans" in help_text
    run = parser._subparsers._group_actions[0].choices["run"].format_help()
    for name in shipped_plans():
        assert name in run.replace("-\n", "-").replace("\n", " ")
