"""Code Changes: no change without a winner; with one, snippets that adopt it with its plan
arguments, feed exactly the signals it needs, compile, and a confirmation plan that validates."""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

import pytest

from lrlab.analysis import analyze as analyze_study
from lrlab.analysis.study import track_view
from lrlab.report.code_changes import baseline_loop, code_changes, hf_callback_exists, lrlab_loop
from lrlab.report.document import Code
from lrlab.report.markdown import render_markdown
from lrlab.report.plan_toml import confirmation_plan, dump_plan
from lrlab.study.plan import parse_plan

HP = {"optimizer": "adam", "lr": 0.003, "epochs": 4, "batch_size": 32, "weight_decay": 0.0, "warmup_steps": 0}


@pytest.fixture(scope="module")
def analysis(tiny_study: Path) -> dict:
    return analyze(tiny_study)


@pytest.fixture(scope="module")
def with_winner(analysis: dict) -> dict:
    crafted = copy.deepcopy(analysis)
    crafted["conclusion"]["winner"] = {"schedule": "gradvar", "tasks": ["wine"], "trial_ids": []}
    return crafted



def analyze(folder: Path) -> dict:
    """The analysis as the report's sections read it: the shared keys with the deciding track's."""
    return track_view(analyze_study(folder))


def test_no_winner_proposes_no_change(analysis: dict):
    crafted = copy.deepcopy(analysis)
    crafted["conclusion"]["winner"] = None
    text = render_markdown(code_changes(crafted))
    assert text.startswith("## Code Changes\n")
    assert "no proposed schedule beat the best baseline significantly" in text.lower()
    assert "**no single change** for every task" in text
    assert "```" not in text


def test_a_schedule_that_wins_one_task_and_loses_another_is_named_with_both(analysis: dict):
    crafted = copy.deepcopy(analysis)
    crafted["conclusion"]["winner"] = None
    tasks = crafted["tasks"] + ["other-task"]
    crafted["conclusion"]["verdicts"] = [
        {"task": tasks[0], "proposed": "gradvar", "verdict": "better"},
        {"task": tasks[1], "proposed": "gradvar", "verdict": "worse"}]
    text = render_markdown(code_changes(crafted))
    assert f"**gradvar** beat the best baseline on {tasks[0]} but was detectably worse on {tasks[1]}" in text
    assert "**no single change**" in text and "use what the Verdict names" in text


def test_winner_is_adopted_with_its_plan_arguments(with_winner: dict):
    blocks = code_changes(with_winner)
    text = render_markdown(blocks)
    assert re.findall(r"^### (.+)$", text, flags=re.M) == [
        "File: train.py", "File: train_hf.py", "File: tiny-report-confirm.toml"]
    assert text.count("**Original Code:**") == 2 and text.count("**Updated Code:**") == 2
    assert 'make_scheduler("gradvar", optimizer, total_steps=total_steps, window=3)' in text
    # gradvar reads gradients by its optimizer hook; the loop feeds only what its guard watches
    # (it can raise the rate): the training loss per step and the validation metrics.
    assert "gradvar reads the gradients here" in text
    assert re.findall(r"scheduler\.observe\(.*\)", text) == [
        "scheduler.observe(loss=loss.item())", "scheduler.observe(val_metrics=val_metrics)"]
    # Before: wine's best baseline (chosen on validation), built the torch way.
    best = with_winner["best_baseline"]["wine"]["schedule"]
    before = [b for b in blocks if isinstance(b, Code)][0].text
    assert {"constant": "# constant learning rate: no scheduler",
            "cosine": "torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps)"}[best] in before
    assert "optimizers=(optimizer, scheduler)" in text and "callbacks=[AdaptiveLRCallback(scheduler)]" in text
    assert ("intended usage" in text) != hf_callback_exists()
    for block in blocks:
        if isinstance(block, Code) and block.language == "python":
            ast.parse(block.text)


def test_confirmation_plan_is_a_valid_plan_and_the_diff_shows_it(with_winner: dict):
    # The normalised TOML of the study's own plan is the very plan (same hash).
    assert parse_plan(dump_plan(with_winner["plan"])).hash == with_winner["plan_hash"]
    plan = parse_plan(dump_plan(confirmation_plan(with_winner)))
    best = {b["schedule"] for b in with_winner["best_baseline"].values()}
    assert [s.key for s in plan.schedules] == ["gradvar", *sorted(best)]
    assert plan.name == "tiny-report-confirm" and len(plan.seeds) == 10
    assert not set(plan.seeds) & set(with_winner["plan"]["seeds"])  # fresh seeds
    diff = [b for b in code_changes(with_winner) if isinstance(b, Code) and b.language == "diff"][0].text
    assert diff.startswith("--- tiny-report.toml") and '+name = "tiny-report-confirm"' in diff
    assert "+seeds = [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]" in diff


@pytest.mark.parametrize(("name", "args", "per_step", "per_eval"), [
    ("entropy", {"threshold": 0.4}, "scheduler.observe(logits=logits.detach())", None),
    ("performance", {"monitor": "accuracy"}, None,
     "scheduler.observe(val_metrics=val_metrics, train_metrics=train_metrics)"),
    # Schedulers that can raise the rate also feed their guard: the loss per step, val_metrics per evaluation.
    ("curvature", {"mode": "hessian"},
     "scheduler.observe(loss=loss.item(), loss_closure=lambda x=x, y=y: F.cross_entropy(model(x), y))",
     "scheduler.observe(val_metrics=val_metrics)"),
    ("curvature", {}, "scheduler.observe(loss=loss.item())", "scheduler.observe(val_metrics=val_metrics)"),
    ("curvature", {"policy": "cap"}, None, None),  # only ever lowers the rate: no guard, gradients only
    ("gradvar", {}, "scheduler.observe(loss=loss.item())", "scheduler.observe(val_metrics=val_metrics)"),
])
def test_the_loop_feeds_exactly_what_the_schedule_needs(name, args, per_step, per_eval):
    code = lrlab_loop(name, args, HP).text()
    ast.parse(code)
    observes = re.findall(r"scheduler\.observe\(.*\)", code)
    assert observes == [o for o in (per_step, per_eval) if o]
    assert f'make_scheduler("{name}", optimizer, total_steps=total_steps' in code
    for key, value in args.items():
        assert f"{key}={value!r}".replace("'", '"') in code
    assert ("reads the gradients here" in code) == (name in ("gradvar", "curvature"))
    assert ("train_loss_sum" in code) == (name == "performance")


@pytest.mark.parametrize(("name", "args", "expected"), [
    ("constant", {}, "no scheduler"),
    ("cosine", {"eta_min": 1e-5}, "CosineAnnealingLR(optimizer, T_max=total_steps, eta_min=1e-05)"),
    ("step", {"gamma": 0.5}, "StepLR(optimizer, step_size=total_steps // 3, gamma=0.5)"),
    ("onecycle", {}, "OneCycleLR(optimizer, max_lr=0.003, total_steps=total_steps)"),
    ("plateau", {"patience": 2, "factor": 0.5}, 'scheduler.step(val_metrics["loss"])'),
    ("linear", {}, "get_linear_schedule_with_warmup(optimizer, 0, total_steps)"),
])
def test_baselines_are_built_the_torch_way(name, args, expected):
    code = baseline_loop(name, args, HP).text()
    ast.parse(code)
    assert expected in code and "lrlab" not in code


def test_a_self_tuning_winner_replaces_the_optimizer():
    code = lrlab_loop("prodigy", {"d_coef": 0.5}, HP).text()
    ast.parse(code)
    assert 'optimizer = make_optimizer("prodigy", model.parameters(), d_coef=0.5)' in code
    assert "make_scheduler" not in code and "scheduler." not in code


def test_dump_plan_keeps_every_section_of_a_plan():
    import json

    from lrlab.study.plan import Plan

    from .conftest import TINY

    text = TINY
    if "source" in Plan.model_fields:  # the optional [source] of a plan read from a report
        text += '\n[source]\npath = "seeds/001.txt"\nclaimed_results = { eval_loss = 0.43, eval_accuracy = 0.856 }\n'
    text += "\n[budget]\nmax_trial_seconds = 30.0\n"
    plan = parse_plan(text)
    stored = json.loads(json.dumps(plan.model_dump(mode="json"), sort_keys=True))  # as the store keeps it
    dumped = dump_plan(stored)
    assert parse_plan(dumped).hash == plan.hash
    assert dumped.index("[[tasks]]") < dumped.index("[[schedules]]")
