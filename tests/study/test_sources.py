"""A user's own task and schedules in a plan: validated before any trial, hashed by content, run
for real in worker processes (which load the hashed text), tuned, reported, refused in one line."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lrlab.study.plan import PlanError, load_plan, parse_plan
from lrlab.study.runner import run_study
from lrlab.study.store import PlanChangedError, Store
from lrlab.study.tuning import configurations
from lrlab.train.spec import TrialSpec
from lrlab.train.trial import run_trial
from user_code import REGRESSION, SCHEDULE, TASK, write

PLAN = """
name = "mine"
seeds = [0, 1]

[defaults]
optimizer = "adam"
lr = 0.02
batch_size = 50
epochs = 3

[[tasks]]
source = "code/my_task.py:make_task"
label = "spirals"
target = { metric = "accuracy", value = 0.6 }

[[schedules]]
source = "code/my_schedule.py:HalveOnPlateau"
role = "proposed"
args = { factor = 0.3 }

[[schedules]]
source = "code/my_schedule.py:HalfCosine"
role = "proposed"

[[schedules]]
name = "constant"
role = "baseline"
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A user's project: the plan, and their code in code/."""
    (tmp_path / "code").mkdir()
    write(tmp_path / "code", "my_task.py", TASK)
    write(tmp_path / "code", "my_schedule.py", SCHEDULE)
    write(tmp_path / "code", "regression.py", REGRESSION)
    (tmp_path / "plan.toml").write_text(PLAN)
    return tmp_path


def test_sources_are_relative_to_the_plan_and_labelled_by_their_names(folder: Path):
    plan = load_plan(folder / "plan.toml")
    assert [t.key for t in plan.tasks] == ["spirals"]
    assert [s.key for s in plan.schedules] == ["HalveOnPlateau", "HalfCosine", "constant"]
    assert plan.tasks[0].resolved_model() == "own"
    assert plan.tasks[0].resolved_metrics() == ("loss", "accuracy", "roc_auc")
    spec = plan.trials()[0]
    assert spec.task == "code/my_task.py:make_task" and spec.model == "own"
    assert spec.task_source["path"] == str(folder / "code" / "my_task.py")
    assert spec.schedule_source["text"] == (folder / "code" / "my_schedule.py").read_text()
    assert TrialSpec.from_json(spec.to_json()) == spec  # plain data, as it travels to workers


def test_a_changed_file_is_a_new_study_and_new_trials_a_moved_project_is_not(folder: Path, tmp_path_factory):
    plan = load_plan(folder / "plan.toml")
    ids = {s.trial_id for s in plan.trials()}
    moved = tmp_path_factory.mktemp("moved") / "project"
    shutil.copytree(folder, moved)
    same = load_plan(moved / "plan.toml")
    assert same.hash == plan.hash and {s.trial_id for s in same.trials()} == ids
    with (folder / "code" / "my_schedule.py").open("a") as f:
        f.write("\n# a comment changes the file\n")
    changed = load_plan(folder / "plan.toml")
    assert changed.hash != plan.hash
    changed_ids = {s.trial_id for s in changed.trials()}
    schedule_trials = {s.trial_id for s in plan.trials() if s.schedule_source}
    assert changed_ids & ids == ids - schedule_trials  # the constant baseline's trials are the same


@pytest.mark.parametrize(("edit", "message"), [
    (("code/my_task.py:make_task", "code/missing.py:make_task"),
     r"tasks\[0\]: source 'code/missing\.py:make_task': no such file .*code/missing\.py$"),
    (("my_task.py:make_task", "my_task.py:make_tsk"), r"code/my_task\.py: has no 'make_tsk' \(names there: "),
    (("my_task.py:make_task", "my_task.py:spirals"),
     r"code/my_task\.py:spirals: a task function takes no arguments; this one needs \['n', 'generator'\]"),
    (("my_task.py:make_task", "my_schedule.py:HalfCosine"), r"code/my_schedule\.py:HalfCosine: is a class; a task source names a function"),
    (("my_schedule.py:HalfCosine", "my_task.py:make_task"), r"code/my_task\.py:make_task: is a function, not a class"),
    (("my_schedule.py:HalfCosine", "my_task.py:SpiralNet"),
     r"SpiralNet is not a torch\.optim\.lr_scheduler\.LRScheduler subclass"),
    (("args = { factor = 0.3 }", "args = { factor = 0.3, patience = 2 }"),
     r"schedules\[HalveOnPlateau\]\.args: .*my_schedule\.py:HalveOnPlateau does not take \['patience'\]"),
    (('value = 0.6 }', 'value = 0.6 }\nmetrics = ["bleu"]'), r"tasks\[spirals\]: unknown metric 'bleu'"),
    (("epochs = 3", "epochs = 3\nwarmup_steps = 5"),
     r"schedules\[HalfCosine\]: .*my_schedule\.py:HalfCosine takes no warmup_steps"),
    (("code/my_task.py:make_task", "code/regression.py:make_regression"),
     r"tasks\[spirals\]: unknown metric 'accuracy' for .*regression\.py:make_regression; known: \['loss', 'mae'\]"),
])
def test_a_wrong_source_is_one_line_naming_the_file_before_any_trial(folder: Path, edit, message):
    text = PLAN.replace(*edit)
    assert text != PLAN
    with pytest.raises(PlanError, match=message) as error:
        parse_plan(text, str(folder / "plan.toml"))
    assert "\n" not in str(error.value) and str(error.value).startswith(str(folder / "plan.toml"))


def test_the_command_line_refuses_a_wrong_source_in_one_line_and_runs_nothing(folder: Path):
    (folder / "plan.toml").write_text(PLAN.replace("HalfCosine", "HalfCosin"))
    done = subprocess.run([sys.executable, "-m", "lrlab.cli", "run", "plan.toml", "--out", "out"], cwd=folder,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"lrlab: error: plan.toml: {folder / 'code' / 'my_schedule.py'}: has no "
                                        "'HalfCosin' (names there: AdaptiveLR, Decision, Dimension, HalfCosine, "
                                        "HalveOnPlateau, LRScheduler, math)"]
    assert not (folder / "out").exists()


@pytest.fixture
def study(folder: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("study")
    outcome = run_study(load_plan(folder / "plan.toml"), out, workers=2)
    assert outcome.counts == {"completed": 6}
    return out


def test_a_real_study_of_the_users_code_in_worker_processes(folder: Path, study: Path):
    store = Store.open_existing(study)
    try:
        trials = {(t["schedule"], t["seed"]): t for t in store.trials()}
        plateau = trials[("HalveOnPlateau", 0)]
        # The loop fed the user's scheduler its validation metrics: it cut after an epoch without improvement.
        adjustments = store.adjustments(plateau["trial_id"])
        for trial in trials.values():
            assert trial["test"]["accuracy"] > 0.5 and set(trial["test"]) == {"loss", "accuracy", "roc_auc"}
        stored = trials[("HalfCosine", 1)]["spec"]
        lrs = [s["lr"] for s in store.steps(trials[("HalfCosine", 1)]["trial_id"])]
    finally:
        store.close()
    assert stored["schedule_source"]["text"] == (folder / "code" / "my_schedule.py").read_text()  # the record
    # The loop gave HalfCosine total_steps = 3 epochs x 6 steps (300 points, batches of 50): the
    # last step trains at the closed form's rate after 17 of 18 steps.
    assert len(lrs) == 18 and lrs[0] == pytest.approx(0.02)
    assert lrs[-1] == pytest.approx(0.02 * (0.5 + 0.25 * (1 + math.cos(math.pi * 17 / 18))))
    assert all(a["rule"].startswith("no improvement") for a in adjustments)
    with (folder / "code" / "my_task.py").open("a") as f:
        f.write("\n# edited\n")
    with pytest.raises(PlanChangedError, match="holds a study of another plan"):
        run_study(load_plan(folder / "plan.toml"), study, workers=1)


def test_a_worker_runs_the_text_in_the_spec_even_where_the_file_is_gone(folder: Path, tmp_path: Path):
    spec = load_plan(folder / "plan.toml").trials()[0]
    shutil.rmtree(folder / "code")
    result = run_trial(TrialSpec.from_json(spec.to_json()), tmp_path / "trial")
    assert result.status == "completed", result.error
    assert result.epochs[-1]["val"]["accuracy"] > 0.5


def test_a_regression_objective_trains_through_the_same_loop(folder: Path, tmp_path: Path):
    plan = parse_plan(PLAN.replace("code/my_task.py:make_task", "code/regression.py:make_regression")
                      .replace('metric = "accuracy", value = 0.6', 'metric = "mae", value = 0.5'),
                      str(folder / "plan.toml"))
    spec = next(s for s in plan.trials() if s.schedule == "constant")
    result = run_trial(spec, tmp_path / "trial")
    assert result.status == "completed", result.error
    assert set(result.test) == {"loss", "mae"} and result.epochs[-1]["val"]["mae"] < result.epochs[0]["val"]["mae"]
    assert result.summary["reached_target"] in (True, False)


def test_tuning_a_user_schedule_its_declared_space_or_its_rate_only(folder: Path):
    text = PLAN + '\n[tuning]\ntrials = 3\nseeds = [100]\nspace = { HalfCosine = { floor = [0.1, 0.9] } }\n'
    plan = parse_plan(text, str(folder / "plan.toml"))
    configs = configurations(plan)
    assert all(set(c.args) == {"factor"} and 0.2 <= c.args["factor"] <= 0.8
               for c in configs[("spirals", "HalveOnPlateau")])  # its class's search_space
    assert all(set(c.args) == {"floor"} for c in configs[("spirals", "HalfCosine")])  # the plan's space
    assert [c.lr for c in configs[("spirals", "HalfCosine")]] == [c.lr for c in configs[("spirals", "constant")]]
    rate_only = parse_plan(PLAN + '\n[tuning]\ntrials = 2\nseeds = [100]\n', str(folder / "plan.toml"))
    assert all(c.args == {} for c in configurations(rate_only)[("spirals", "HalfCosine")])
    with pytest.raises(PlanError, match=r"tuning\.space\.HalfCosine\.gamma: schedule .*HalfCosine' takes no "
                                        r"argument 'gamma'; allowed: \['floor'\]"):
        parse_plan(PLAN + '\n[tuning]\ntrials = 2\nseeds = [100]\nspace = { HalfCosine = { gamma = [0.1, 0.5] } }\n',
                   str(folder / "plan.toml"))


def test_the_report_names_the_users_code_and_runs_none_of_it(folder: Path, study: Path):
    from lrlab.report import write_report

    shutil.rmtree(folder / "code")  # a report reads the store only
    write_report(study)
    report = (study / "report.md").read_text()
    assert '**spirals** (`code/my_task.py:make_task`): your own task, `source = "code/my_task.py:make_task"`' in report
    assert "spirals: **own**: the model that the task's own function builds" in report
    analysis = json.loads((study / "report.json").read_text())["analysis"]
    assert analysis["proposed"] == ["HalveOnPlateau", "HalfCosine"]


def test_code_changes_adopt_a_winning_user_schedule_without_running_it(folder: Path, study: Path):
    import ast
    import copy

    from lrlab.analysis import analyze
    from lrlab.analysis.study import track_view
    from lrlab.report.code_changes import code_changes
    from lrlab.report.document import Code
    from lrlab.report.markdown import render_markdown

    shutil.rmtree(folder / "code")
    analysis = track_view(analyze(study))
    analysis["conclusion"]["winner"] = {"schedule": "HalveOnPlateau", "tasks": ["spirals"], "trial_ids": []}
    blocks = code_changes(copy.deepcopy(analysis))
    text = render_markdown(blocks)
    assert "from my_schedule import HalveOnPlateau" in text
    assert "scheduler = HalveOnPlateau(optimizer, factor=0.3)" in text
    assert "what its class's `needs` declare (your own schedule" in text
    for block in blocks:
        if isinstance(block, Code) and block.language == "python":
            ast.parse(block.text)


LONG_EPOCH = '''
import torch

from lrlab.tasks import Split, TaskData


def long_epoch():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(1300, 4, generator=g)
    y = (x[:, 0] > 0).long()
    return TaskData(Split(x[:1100], y[:1100]), Split(x[1100:1200], y[1100:1200]), Split(x[1200:], y[1200:]),
                    num_classes=2, input_shape=(4,))
'''


def test_lrlabs_own_loop_feeds_what_needs_asks_so_a_long_epoch_draws_no_warning(folder: Path, tmp_path: Path):
    import warnings

    from lrlab.schedulers.base import SignalWarning

    write(folder / "code", "long.py", LONG_EPOCH)
    plan = parse_plan(PLAN.replace("code/my_task.py:make_task", "code/long.py:long_epoch")
                      .replace("batch_size = 50", "batch_size = 1").replace("epochs = 3", "epochs = 1")
                      .replace('target = { metric = "accuracy", value = 0.6 }', 'model = "mlp"'),
                      str(folder / "plan.toml"))
    spec = next(s for s in plan.trials() if s.schedule_label == "HalveOnPlateau")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run_trial(spec, tmp_path / "trial")
    assert result.status == "completed" and len(result.steps) == 1100  # an epoch past the 1000-step grace
    assert [w for w in caught if issubclass(w.category, SignalWarning)] == []
