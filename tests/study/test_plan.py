"""Plans: valid ones expand into trials; malformed ones fail before training, naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from lrlab.study.plan import PlanError, load_plan, parse_plan
from lrlab.study.runner import PLANS_DIR, resolve_plan

GOOD = """
name = "tiny"
idea = "entropy"
seeds = [0, 1]

[defaults]
epochs = 2
lr = 0.01

[[tasks]]
name = "wine"
model = "mlp"
target = { metric = "accuracy", value = 0.9 }

[[tasks]]
name = "breast_cancer"
hparams = { epochs = 3, batch_size = 32 }
target = { metric = "loss", value = 0.2 }

[[schedules]]
name = "entropy"
role = "proposed"
args = { threshold = 0.4 }

[[schedules]]
name = "constant"
role = "baseline"

[[schedules]]
name = "prodigy"
role = "baseline"
"""


def test_good_plan_expands_task_by_schedule_by_seed():
    plan = parse_plan(GOOD)
    specs = plan.trials()
    assert len(specs) == 2 * 3 * 2
    assert len({s.trial_id for s in specs}) == len(specs)
    wine = [s for s in specs if s.task == "wine"]
    cancer = [s for s in specs if s.task == "breast_cancer"]
    assert {s.epochs for s in wine} == {2} and {s.epochs for s in cancer} == {3}
    assert {s.batch_size for s in cancer} == {32} and cancer[0].model == "fcnn"  # the task's default model
    assert "roc_auc" in cancer[0].metrics and cancer[0].metrics[:2] == ("loss", "accuracy")
    assert cancer[0].target.mode == "min" and wine[0].target.mode == "max"
    prodigy = [s for s in specs if s.schedule == "prodigy"]
    assert prodigy[0].optimizer == "prodigy" and prodigy[0].lr is None
    entropy = [s for s in specs if s.schedule == "entropy"]
    assert entropy[0].schedule_args == {"threshold": 0.4} and entropy[0].optimizer == "adam"


def test_hugging_face_tasks_take_model_ids_their_own_metrics_and_execution_settings():
    text = (GOOD.replace('name = "wine"\nmodel = "mlp"\ntarget = { metric = "accuracy", value = 0.9 }',
                         'name = "librispeech"\nmodel = "facebook/hubert-base-ls960"\n'
                         'target = { metric = "wer", value = 0.2 }')
            .replace('name = "breast_cancer"', 'name = "imdb"\nmodel = "bert-base-uncased"')
            .replace('target = { metric = "loss", value = 0.2 }', 'metrics = ["roc_auc"]')
            .replace("[defaults]", '[executor]\nprecision = "bf16"\nloader_workers = 2\n\n[defaults]'))
    specs = parse_plan(text).trials()
    speech = next(s for s in specs if s.task == "librispeech")
    assert speech.model == "facebook/hubert-base-ls960" and speech.metrics == ("loss", "wer", "cer")
    assert speech.target.mode == "min"  # an error rate: lower is better
    assert speech.precision == "bf16" and speech.loader_workers == 2
    text_task = next(s for s in specs if s.task == "imdb")
    assert text_task.model == "bert-base-uncased" and text_task.metrics == ("loss", "accuracy", "roc_auc")


def test_hash_is_stable_and_changes_with_the_plan():
    assert parse_plan(GOOD).hash == parse_plan(GOOD).hash
    assert parse_plan(GOOD).hash != parse_plan(GOOD.replace("seeds = [0, 1]", "seeds = [0, 2]")).hash


@pytest.mark.parametrize("edit, expected", [
    (("name = \"wine\"", "name = \"cifar100\""), "tasks[0].name: unknown task 'cifar100'"),
    (("epochs = 2", "epochs = -2"), "defaults.epochs: Input should be greater than or equal to 1"),
    (("epochs = 2", "epochs = \"two\""), "defaults.epochs: Input should be a valid integer"),
    (("lr = 0.01", "lr = 0.01\nlearning_rate = 0.1"), "defaults.learning_rate: Extra inputs are not permitted"),
    (("threshold = 0.4", "threshold = 1.4"), "schedules[entropy].args: threshold must be in (0.0, 1.0)"),
    (("threshold = 0.4", "treshold = 0.4"), "does not take ['treshold']"),
    (("model = \"mlp\"", "model = \"transformer\""), "tasks[0].model: unknown model 'transformer'"),
    (("name = \"tiny\"\n", ""), "name: Field required"),
    (("seeds = [0, 1]", "seeds = [1, 1]"), "seeds: Value error, seeds must be distinct"),
    (("hparams = { epochs = 3, batch_size = 32 }", "hparams = { epochs = 0 }"), "task 'breast_cancer' hparams: epochs"),
    (("role = \"proposed\"", "role = \"baseline\""), "at least one role = 'proposed'"),
    (("value = 0.9", "value = nan"), "tasks[0].target.value: Value error, must be a finite number"),
    (("[defaults]", "[defaults\n"), "not valid TOML"),
    (("model = \"mlp\"", "model = \"bert-base-uncased\""), "tasks[0].model: unknown model 'bert-base-uncased'"),
    (("metric = \"accuracy\"", "metric = \"wer\""), "tasks[0].target: unknown metric 'wer' for task 'wine'"),
    (("[defaults]", "[executor]\nprecision = \"fp16\"\n\n[defaults]"), "executor.precision: Input should be"),
])
def test_malformed_plans_fail_with_one_line_naming_file_and_field(edit, expected):
    text = GOOD.replace(*edit, 1)
    with pytest.raises(PlanError) as error:
        parse_plan(text, "plans/bad.toml")
    message = str(error.value)
    assert message.startswith("plans/bad.toml: ")
    assert expected.replace("Value error, ", "") in message
    assert "\n" not in message


def test_missing_file_and_shipped_names(tmp_path: Path):
    with pytest.raises(PlanError, match="no such plan file"):
        load_plan(tmp_path / "nope.toml")
    with pytest.raises(PlanError, match="nor a shipped plan"):
        resolve_plan("nope")
    assert resolve_plan(None) == PLANS_DIR / "default.toml"


@pytest.mark.parametrize("path", sorted(PLANS_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_shipped_plans_are_valid(path: Path):
    plan = load_plan(path)
    assert plan.trials()
    assert len(plan.seeds) >= 3


def test_self_tuning_schedule_args_configure_the_optimizer():
    text = GOOD.replace('name = "prodigy"\nrole = "baseline"', 'name = "prodigy"\nrole = "baseline"\nargs = { d_coef = 0.5 }')
    specs = [s for s in parse_plan(text).trials() if s.schedule == "prodigy"]
    assert specs[0].optimizer_args == {"d_coef": 0.5} and specs[0].schedule_args == {}
    with pytest.raises(PlanError, match=r"does not take \['momentum'\]"):
        parse_plan(GOOD.replace('name = "prodigy"\nrole = "baseline"', 'name = "prodigy"\nrole = "baseline"\nargs = { momentum = 0.5 }'))
    with pytest.raises(PlanError, match="takes no plan warmup_steps"):
        parse_plan(GOOD.replace("lr = 0.01", "lr = 0.01\nwarmup_steps = 5"))


# -- what the audit found accepted, or refused with a traceback ------------------------------------


@pytest.mark.parametrize("edit, expected", [
    (("lr = 0.01", "lr = inf"), "defaults.lr: Input should be a finite number (got inf)"),
    (("lr = 0.01", "lr = nan"), "defaults.lr: Input should be a finite number"),
    (("lr = 0.01", "lr = true"), "defaults.lr: Input should be a valid number (got True)"),
    (("lr = 0.01", "lr = 1e9"), "defaults.lr: Input should be less than or equal to 1000"),
    (("epochs = 2", "epochs = 1000000000000"), "defaults.epochs: Input should be less than or equal to 100000"),
    (("epochs = 2", "epochs = 2.0"), "defaults.epochs: Input should be a valid integer (got 2.0)"),
    (("epochs = 2", "epochs = 2\naugmentation = 1"), "defaults.augmentation: Input should be a valid boolean"),
    (("seeds = [0, 1]", "seeds = [0, -1]"), "seeds[1]: Input should be greater than or equal to 0"),
    (("seeds = [0, 1]", "seeds = [0, 99999999999]"), "seeds[1]: Input should be less than 4294967296"),
    (("threshold = 0.4", 'threshold = "abc"'), "schedules[entropy].args.threshold: must be a finite number, got 'abc'"),
    (("threshold = 0.4", "threshold = 0.4, interval = true"),
     "schedules[entropy].args.interval: must be a finite number, got True"),
    (("name = \"prodigy\"\nrole = \"baseline\"", "name = \"prodigy\"\nrole = \"baseline\"\nargs = { d_coef = \"x\" }"),
     "schedules[prodigy].args.d_coef: must be a finite number, got 'x'"),
    (("lr = 0.01", "lr = 0.01\noptimizer_args = { bogus = 1 }"),
     "defaults.optimizer_args: optimizer 'adam' does not take ['bogus']"),
    (("lr = 0.01", "lr = 0.01\noptimizer_args = { eps = -1.0 }"), "defaults.optimizer_args: Invalid epsilon value"),
    (("lr = 0.01", "lr = 0.01\noptimizer_args = { betas = [0.9] }"),
     "defaults.optimizer_args.betas: must be a list of 2 finite numbers, got [0.9]"),
    (("hparams = { epochs = 3, batch_size = 32 }", "hparams = { optimizer_args = { amsgrad = \"yes\" } }"),
     "tasks[breast_cancer].hparams.optimizer_args.amsgrad: must be true or false, got 'yes'"),
    (("[defaults]", "[budget]\nmax_trial_seconds = inf\n\n[defaults]"), "budget.max_trial_seconds: Input should be a finite"),
    (("[defaults]", "[executor]\ncpus_per_trial = inf\n\n[defaults]"), "executor.cpus_per_trial: Input should be a finite"),
    (("seeds = [0, 1]", "seeds = [0, 1]\nnested = " + "[" * 5000 + "]" * 5000), "nested too deeply"),
])
def test_values_no_study_could_mean_are_refused_in_one_line(edit, expected):
    with pytest.raises(PlanError) as error:
        parse_plan(GOOD.replace(*edit, 1), "plans/bad.toml")
    message = str(error.value)
    assert message.startswith("plans/bad.toml: ") and expected in message and "\n" not in message


def test_a_plan_file_that_is_not_utf8_is_named(tmp_path: Path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(GOOD.replace('idea = "entropy"', 'idea = "entropie évaluée"').encode("latin-1"))
    with pytest.raises(PlanError) as error:
        load_plan(path)
    assert str(error.value) == f"{path}: not UTF-8 text (byte 0xe9 at offset 32); a plan is a TOML file, which is UTF-8"
