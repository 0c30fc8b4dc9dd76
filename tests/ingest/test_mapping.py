"""Report -> plan: the seeds' plans (quick on the fetched real data sets, full on the hub tasks),
[tuning], every mapping decision with its line, warnings for what is not mapped, and refusals."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

import pytest

from lrlab.ingest import IngestError, plan_from_report, plan_from_text
from lrlab.schedulers.registry import SCHEDULES
from lrlab.study.plan import parse_plan
from lrlab.study.tuning import planned_count
from lrlab.tasks.pretrained import MINILM
from lrlab.tasks.registry import TASKS


def _plan(text: str, budget: str = "quick"):
    mapped = plan_from_text(text, source="report.txt", budget=budget)
    return mapped, parse_plan(mapped.toml), tomllib.loads(mapped.toml)


def test_seed_004_quick_runs_the_fetched_real_data_sets(seed_004: Path):
    toml, warnings = plan_from_report(seed_004, budget="quick")
    plan = parse_plan(toml)
    assert plan.name == "curvature-004_80bb52f189504312-quick"
    assert [(s.name, s.role) for s in plan.schedules] == [
        ("curvature", "proposed"), ("constant", "baseline"), ("step", "baseline"), ("cosine", "baseline")]
    assert plan.schedules[0].args == {"rate_rule": "quadratic_step"}  # lrlab's choice under Adam, commented
    assert (plan.defaults.optimizer, plan.defaults.lr, plan.defaults.weight_decay) == ("adam", 0.001, 0.0005)
    # CIFAR-10 -> Fashion-MNIST's quick subset, MNIST -> mnist5k, IMDB and SST-2 -> Rotten Tomatoes (one
    # task), UCI Adult -> adult itself; the report's CNN as LeNet-5 on the 28x28 sets.
    assert [(t.name, t.model) for t in plan.tasks] == [
        ("fashion_mnist_10k", "lenet5"), ("mnist5k", "lenet5"), ("rotten_tomatoes", "bilstm"), ("adult", "fcnn")]
    tasks = {t.name: t for t in plan.tasks}
    assert {n: t.hparams for n, t in tasks.items()} == {
        "fashion_mnist_10k": {"batch_size": 64, "epochs": 10}, "mnist5k": {"batch_size": 64, "epochs": 10},
        "rotten_tomatoes": {"batch_size": 32, "epochs": 10}, "adult": {"batch_size": 128, "epochs": 10}}
    assert tasks["rotten_tomatoes"].metrics == ["loss", "accuracy", "macro_f1"]  # F1 for IMDB and SST-2
    assert tasks["adult"].metrics == ["loss", "accuracy", "roc_auc"]  # AUC-ROC for UCI Adult
    assert all(t.target is not None and t.target.metric == "loss" for t in plan.tasks)  # "validation loss threshold"
    assert plan.seeds == [0, 1, 2]
    assert plan.source is not None and plan.source.budget == "quick"
    assert plan.source.claimed_results["eval_accuracy"] == 0.856
    assert plan.source.claimed_benchmark["eval_accuracy"] == pytest.approx(0.4873853211009174)
    assert any("--budget full keeps 50" in n for n in plan.source.notes)
    for name, task in (("CIFAR-10", "fashion_mnist_10k"), ("MNIST", "mnist5k"), ("IMDB Reviews", "rotten_tomatoes"),
                       ("SST-2", "rotten_tomatoes"), ("UCI Adult Dataset", "adult")):
        assert re.search(rf"# data: .*{re.escape(name)} \(line \d+\) -> {task} \(", toml.replace("\n#   ", " ")), name
    assert "--budget full runs 'cifar10' itself" in toml.replace("\n#   ", " ")
    assert 'name = "mnist1d"' not in toml and 'name = "digits"' not in toml
    assert any(w.startswith("line 116: Code Changes (config.py, train.py, model.py)") for w in warnings)
    # Every decision sits beside its value as a comment, with the report's line.
    assert re.search(r"# line 5: proposed: 'curvature' \(CurvatureLR\), idea keywords.*'loss\s+#?\s*landscape'", toml)
    assert "# line 19: baseline 'step': the report's 'step decay'" in toml
    assert "# line 62: fashion_mnist_10k: batch_size = 64" in toml
    assert "quick budget: at most 10 epochs" in toml and "lrlab's choice" in toml


def test_seed_004_quick_tuning_section(seed_004: Path):
    toml, _ = plan_from_report(seed_004, budget="quick")
    plan = parse_plan(toml)
    assert plan.tuning is not None
    assert (plan.tuning.trials, plan.tuning.seeds, plan.tuning.objective, plan.tuning.halving) == (4, [100], "final", None)
    assert not set(plan.tuning.seeds) & set(plan.seeds)
    assert plan.tuning.space == {} and plan.tuning.lr is None  # the report states no range
    text = toml.replace("\n#   ", " ")
    assert "measures which schedule suits that rate" in text and "as-given track" in text
    assert f"This plan runs {planned_count(plan)} trials in all" in text
    assert text.index("\n[tuning]\n") < text.index("\n[source]\n")


def test_seed_004_full_on_the_hub_tasks(seed_004: Path):
    toml, warnings = plan_from_report(seed_004, budget="full")
    plan = parse_plan(toml)
    assert [(t.name, t.model, t.hparams) for t in plan.tasks] == [
        ("cifar10", "cnn", {"batch_size": 64, "epochs": 50}), ("mnist", "cnn", {"batch_size": 64, "epochs": 50}),
        ("imdb", "bilstm", {"batch_size": 32, "epochs": 20}), ("sst2", "bilstm", {"batch_size": 32, "epochs": 20}),
        ("adult", "fcnn", {"batch_size": 128, "epochs": 30})]
    assert not any("not registered" in w for w in warnings)
    assert plan.tuning is not None and plan.tuning.trials == 16 and plan.tuning.halving is not None
    assert plan.tuning.seeds == [100, 101]


def test_seed_004_full_says_when_hub_tasks_are_missing(seed_004: Path, offline_registry: None):
    toml, warnings = plan_from_report(seed_004, budget="full")
    plan = parse_plan(toml)
    assert {t.name for t in plan.tasks} == {"fashion_mnist_10k", "mnist5k", "rotten_tomatoes", "adult"}
    for hub in ("cifar10", "mnist", "imdb", "sst2"):
        assert any(f"the hub task {hub!r} is not registered" in w for w in warnings), hub


def test_seed_001_quick_and_full(seed_001: Path):
    toml, warnings = plan_from_report(seed_001)
    plan = parse_plan(toml)
    assert [(s.name, s.role) for s in plan.schedules][0] == ("performance", "proposed")
    assert [s.name for s in plan.schedules[1:]] == ["constant", "step", "cosine"]
    assert (plan.defaults.batch_size, plan.defaults.epochs, plan.defaults.weight_decay) == (32, 10, 0.0001)
    assert [(t.name, t.model) for t in plan.tasks] == [("fashion_mnist_10k", "resnet_small"), ("rotten_tomatoes", MINILM)]
    assert plan.tasks[0].target is not None and plan.tasks[0].target.metric == "accuracy"
    assert plan.seeds == [0, 1, 2]  # "3 runs"
    assert any("BERT (base-uncased)" in w and "stands in" in w for w in warnings)
    assert plan.source is not None and any("smaller pretrained transformer standing in" in n for n in plan.source.notes)
    assert any(w.startswith("line 54: Max Sequence Length = 128 (BERT)") for w in warnings)
    assert any("learning rate 0.001 for the pretrained" in w for w in warnings)  # the report's, kept
    full = parse_plan(plan_from_report(seed_001, budget="full")[0])
    assert full.defaults.epochs == 50
    assert [(t.name, t.model) for t in full.tasks] == [("cifar10", "resnet18"), ("imdb", "bert-base-uncased")]


@pytest.mark.parametrize("budget", ["quick", "full"])
def test_seed_plans_have_nothing_both_mapped_and_unmapped(seed_001: Path, seed_004: Path, budget: str):
    for path in (seed_001, seed_004):
        mapped = plan_from_text(path.read_text(encoding="utf-8"), source=str(path), budget=budget)  # type: ignore[arg-type]
        assert mapped.both == []
        assert _contradictions(mapped) == []


def _contradictions(mapped) -> list[str]:
    """Anything left out whose line also holds a mapped value stated with the same number or phrase."""
    mapped_at = [e for e in mapped.entries if e.outcome != "unmapped" and e.evidence and e.evidence.line]
    found = []
    for left in (e for e in mapped.entries if e.outcome == "unmapped" and e.evidence and e.evidence.line):
        numbers = set(re.findall(r"\d+(?:\.\d+)?(?:e-?\d+)?", left.evidence.phrase))
        for kept in (e for e in mapped_at if e.evidence.line == left.evidence.line):
            same_phrase = left.evidence.phrase.lower() in kept.evidence.phrase.lower() or \
                kept.evidence.phrase.lower() in left.evidence.phrase.lower()
            if same_phrase or numbers & set(re.findall(r"\d+(?:\.\d+)?(?:e-?\d+)?", kept.evidence.phrase)):
                found.append(f"{left.text} / {kept.text}")
    return found


ISSUE_REPORT = """# Experiment Report: Entropy-based learning rate adaptation

## Idea
Adjust the learning rate from the entropy of the model's predictions: if entropy > threshold, reduce learning rate by 10%.

## Experiment Plan
### Datasets
- **Image Classification**: CIFAR-10 (available on Hugging Face Datasets)
- **Natural Language Processing**: IMDB (available on Hugging Face Datasets)

### Models
- **Image Classification**: ResNet-50
- **Natural Language Processing**: BERT (base-uncased)

### Hyperparameters
- Learning Rate: 0.001
- Batch Size: 32
- Regularization (Weight Decay): 1e-5
- Meta-learner learning rate: 0.0005
- Window: Last 5 batches
"""


def test_the_issue_report_category_keys_parenthesised_settings_and_the_rule():
    mapped, plan, _ = _plan(ISSUE_REPORT, budget="full")
    assert [(t.name, t.model) for t in plan.tasks] == [("cifar10", "resnet50"), ("imdb", "bert-base-uncased")]
    assert plan.defaults.weight_decay == 1e-5
    assert (plan.schedules[0].name, plan.schedules[0].args) == ("entropy", {"factor": 0.9})
    assert not any("Image Classification" in w or "not a setting lrlab knows" in w for w in mapped.warnings)
    # Settings EntropyLR has no argument for are left out once, with their line, and nothing else says otherwise.
    assert [w for w in mapped.warnings if "no argument it maps to" in w] == [
        "line 19: the report's 'Meta-learner learning rate: 0.0005': 'entropy' (EntropyLR) has no argument it maps to",
        "line 20: the report's 'Window: Last 5 batches': 'entropy' (EntropyLR) has no argument it maps to"]
    assert mapped.both == [] and _contradictions(mapped) == []
    quick = parse_plan(plan_from_text(ISSUE_REPORT, budget="quick").toml)
    assert [(t.name, t.model) for t in quick.tasks] == [("fashion_mnist_10k", "resnet_small"), ("rotten_tomatoes", MINILM)]


def test_a_setting_the_rule_takes_is_mapped_not_reported_unknown():
    text = ISSUE_REPORT.replace("entropy of the model's predictions", "meta-learning controller (reinforcement learning)")
    text = text.replace("if entropy > threshold, reduce learning rate by 10%", "its reward is the validation loss")
    mapped, plan, _ = _plan(text, budget="full")
    assert (plan.schedules[0].name, plan.schedules[0].args) == ("meta", {"meta_lr": 0.0005})
    assert "# line 19: meta_lr = 0.0005: the report's 'Meta-learner learning rate: 0.0005'" in mapped.toml
    assert not any("Meta-learner" in w for w in mapped.warnings)
    assert any("line 20: the report's 'Window: Last 5 batches'" in w for w in mapped.warnings)
    assert mapped.both == []


def test_gradvar_window_from_last_batches_is_mapped_once():
    text = ISSUE_REPORT.replace("entropy of the model's predictions: if entropy > threshold, reduce learning rate by 10%",
                                "variability of the gradients; lower the learning rate by 10% when it grows")
    mapped, plan, _ = _plan(text, budget="full")
    assert (plan.schedules[0].name, plan.schedules[0].args) == ("gradvar", {"window": 5, "factor": 0.1})
    assert not any("Window" in w for w in mapped.warnings)
    assert any("Meta-learner" in w for w in mapped.warnings)
    assert mapped.both == [] and _contradictions(mapped) == []


@pytest.mark.parametrize(("rule", "args"), [
    ("if entropy > 0.6, reduce learning rate by 10%", {"threshold": 0.6, "factor": 0.9}),
    ("when entropy exceeds 0.6, reduce the learning rate 10 percent", {"threshold": 0.6, "factor": 0.9}),
    ("when entropy is above 0.7, halve the learning rate", {"threshold": 0.7, "factor": 0.5}),
    ("if entropy >= 0.5: lr ×0.8", {"threshold": 0.5, "factor": 0.8}),
    ("when uncertain (entropy > 0.4), divide the learning rate by 2", {"threshold": 0.4, "factor": 0.5}),
    ("every 25 steps, multiply the learning rate by 0.95 while entropy is above a threshold of 0.55",
     {"interval": 25, "factor": 0.95, "threshold": 0.55}),
    ("reduce the learning rate by a factor of 10 when entropy > 0.8", {"factor": 0.1, "threshold": 0.8}),
])
def test_rules_in_prose_become_arguments(rule: str, args: dict[str, float]):
    mapped, plan, _ = _plan(f"## Idea\nUncertainty-driven rates: {rule}.\n### Datasets\n- MNIST\n")
    assert plan.schedules[0].name == "entropy"
    assert plan.schedules[0].args == args
    assert mapped.both == []


def test_rule_numbers_become_arguments_and_named_baselines():
    report = ("# Experiment Report: Uncertainty\n## Idea\nEvery 20 iterations, if the normalised predictive "
              "entropy is above a threshold of 0.6, multiply the learning rate by 0.8.\n## Experiment Plan\n"
              "### Datasets\n- MNIST\n### Methodology\nCompare with ReduceLROnPlateau, one-cycle and exponential decay.\n")
    mapped, plan, _ = _plan(report)
    proposed = plan.schedules[0]
    assert (proposed.name, proposed.args) == ("entropy", {"threshold": 0.6, "factor": 0.8, "interval": 20})
    assert [s.name for s in plan.schedules[1:]] == ["plateau", "onecycle"]
    assert any("line 8: baseline 'exponential decay'" in w for w in mapped.warnings)
    assert "# line 3: threshold = 0.6: the report's 'threshold of 0.6'" in mapped.toml


def test_rule_range_keeps_the_as_given_value_and_narrows_the_tuned_space():
    report = ("## Idea\nLower the rate while the entropy is high.\n### Datasets\n- MNIST\n### Hyperparameters\n"
              "- Entropy threshold: between 0.4 and 0.8\n- Reduction: 5-20%\n- Learning rate: 1e-4 to 1e-2\n")
    mapped, plan, data = _plan(report)
    assert plan.schedules[0].args == {"threshold": 0.5, "factor": 0.9}  # lrlab's defaults, inside the ranges
    assert plan.tuning is not None
    entropy = plan.tuning.space["entropy"]
    assert (entropy["threshold"]["low"], entropy["threshold"]["high"]) == (0.4, 0.8)
    assert (entropy["factor"]["low"], entropy["factor"]["high"]) == (0.8, 0.95)
    assert set(entropy) == {"threshold", "factor", "interval"}  # the rest of the default space kept
    assert plan.tuning.lr == (0.0001, 0.01) and plan.defaults.lr == 0.001  # the geometric middle as given
    assert "the tuned track searches [0.4, 0.8]" in mapped.toml.replace("\n#   ", " ")
    assert data["tuning"]["space"]["entropy"]["interval"]["log"] is True


def test_rule_number_out_of_the_schedulers_range_is_left_out_with_its_line():
    report = "## Idea\nLower the rate while entropy is above a threshold of 5.\n### Datasets\n- wine\n"
    mapped, plan, _ = _plan(report)
    assert plan.schedules[0].args == {}
    assert any(w.startswith("line 2: the report's 'threshold of 5' -> threshold = 5") for w in mapped.warnings)


def test_a_rule_setting_stated_twice_keeps_the_first_and_says_so():
    report = ("## Idea\nIf entropy > 0.6, reduce the learning rate by 10%.\n### Datasets\n- MNIST\n### Hyperparameters\n"
              "- Entropy threshold: 0.7\n")
    mapped, plan, _ = _plan(report)
    assert plan.schedules[0].args == {"threshold": 0.6, "factor": 0.9}
    assert any(w.startswith("line 6: the report's 'Entropy threshold: 0.7': another threshold than line 2's")
               for w in mapped.warnings)
    assert mapped.both == []


def test_gradvar_window_and_percent_and_sgd_momentum():
    report = ("## Idea\nWatch the gradient variability over a window of the last 8 batches; lower the "
              "learning rate by 10% when it grows.\n### Datasets\n- Breast cancer\n### Hyperparameters\n"
              "- Optimizer: SGD with momentum\n- Momentum: 0.9\n- Epochs: 4\n- Runs: 5\n")
    mapped, plan, _ = _plan(report)
    assert (plan.schedules[0].name, plan.schedules[0].args) == ("gradvar", {"window": 8, "factor": 0.1})
    assert (plan.defaults.optimizer, plan.defaults.optimizer_args, plan.defaults.epochs) == ("sgd", {"momentum": 0.9}, 4)
    assert plan.seeds == [0, 1, 2, 3, 4]
    assert [t.name for t in plan.tasks] == ["breast_cancer"]


def test_momentum_without_sgd_is_left_out_and_not_also_mapped():
    report = "## Idea\nHessian curvature.\n### Datasets\n- Wine\n### Hyperparameters\n- Optimizer: Adam\n- Momentum: 0.9\n"
    mapped, plan, _ = _plan(report)
    assert plan.defaults.optimizer_args == {}
    assert any(w.startswith("line 7: momentum 0.9: only SGD takes it here") for w in mapped.warnings)
    assert not any("momentum" in n.lower() for n in mapped.notes if not n.startswith("not mapped"))
    assert mapped.both == []


def test_meta_learner_rate_and_fallback_when_meta_is_not_registered(monkeypatch: pytest.MonkeyPatch):
    report = ("## Idea\nA meta-learning controller trained by reinforcement learning sets the rate; the "
              "meta-learner learning rate is 0.0005. Validation loss is its reward.\n### Datasets\n- digits\n")
    mapped, plan, _ = _plan(report)
    assert (plan.schedules[0].name, plan.schedules[0].args) == ("meta", {"meta_lr": 0.0005})
    monkeypatch.delitem(SCHEDULES, "meta")
    mapped, plan, _ = _plan(report)
    assert plan.schedules[0].name != "meta"
    assert any("MetaLR" in w and "not registered" in w for w in mapped.warnings)


def test_no_idea_keyword_proposes_performance_with_a_warning():
    mapped, plan, _ = _plan("## Idea\nMake training better.\n### Datasets\n- Wine\n")
    assert plan.schedules[0].name == "performance"
    assert any("for lack of evidence" in w for w in mapped.warnings)
    assert [s.name for s in plan.schedules[1:]] == ["constant", "step", "cosine"]  # none named: the default three


def test_an_unknown_data_set_still_gives_a_plan_that_says_so():
    mapped, plan, _ = _plan("## Idea\nCurvature of the loss landscape.\n### Datasets\n- Our private corpus\n"
                            "### Model Architecture\n- A Mamba state-space model\n")
    assert [t.name for t in plan.tasks] == ["digits"]
    assert any("'Our private corpus'" in w for w in mapped.warnings)
    assert any("Mamba" in w for w in mapped.warnings)


def test_unknown_dataset_is_a_warning_not_silently_dropped(text_004: str):
    text = text_004.replace("   - MNIST (`mnist`)\n", "   - MNIST (`mnist`)\n   - ImageNet-21k (`imagenet21k`)\n")
    mapped, plan, _ = _plan(text)
    assert any("line 36: data set 'ImageNet-21k'" in w and "not a data set lrlab knows" in w for w in mapped.warnings)
    assert plan.source is not None and any("ImageNet-21k" in n for n in plan.source.notes)
    assert len(plan.tasks) == 4


def test_objective_missing_and_headings_relevelled(text_004: str):
    start, end = text_004.index("### 1. Objective"), text_004.index("### 2. Methodology")
    text = re.sub(r"^### \d\. ", "#### ", text_004[:start] + text_004[end:], flags=re.M)
    mapped, plan, data = _plan(text)
    assert "objective" not in data and plan.objective == ""
    assert plan.schedules[0].name == "curvature" and len(plan.tasks) == 4


def test_per_model_scope_and_unknown_settings(offline_registry: None):
    report = ("## Idea\nHessian curvature.\n### Datasets\n- CIFAR-10\n- IMDB\n### Model Architecture\n"
              "- ResNet-18 for CIFAR-10\n- LSTM with attention for IMDB\n### Hyperparameters\n"
              "- **LSTM with attention specific:**\n  - Dropout: 0.2\n  - Batch size: 16\n"
              "- Optimizer: RMSprop\n- Entropy window: 3\n")
    mapped, plan, _ = _plan(report, budget="full")
    tasks = {t.name: t for t in plan.tasks}
    assert tasks["rotten_tomatoes"].model == "lstm_attention"
    assert tasks["rotten_tomatoes"].hparams == {"dropout": 0.2, "batch_size": 16}
    assert tasks["fashion_mnist_10k"].model == "resnet18" and tasks["fashion_mnist_10k"].hparams == {}
    assert plan.defaults.optimizer == "adam"
    joined = "\n".join(mapped.warnings)
    assert "line 13: optimizer 'RMSprop'" in joined and "line 14: the report's 'Entropy window: 3'" in joined


@pytest.mark.parametrize(("setting", "message"), [
    ("- Learning rate: -1", "line 4: Learning rate = '-1': lr must be in (0, 100], got -1"),
    ("- Learning rate: 1e999999", "line 4: Learning rate = '1e999999': '1e999999' is not a finite number"),
    ("- lr = 1e999999", "line 4: lr = '1e999999': '1e999999' is not a finite number"),
    ("- Batch size: " + "9" * 400, "line 4: Batch size = '9999"),
    ("- Batch size: 0", "line 4: Batch size = '0': batch_size must be in [1, 1e+07], got 0"),
    ("- Epochs: 2.5", "line 4: Epochs = '2.5': epochs must be a whole number"),
    ("- Dropout: 1.5", "line 4: Dropout = '1.5': dropout must be in [0, 1), got 1.5"),
])
def test_numbers_no_plan_can_hold_are_one_line_errors_naming_the_line(setting: str, message: str):
    with pytest.raises(IngestError) as raised:
        plan_from_text(f"## Idea\nEntropy.\n### Hyperparameters\n{setting}\n### Datasets\n- MNIST\n", source="r.txt")
    text = str(raised.value)
    assert text.startswith(f"r.txt: {message}") and "\n" not in text and "inf" not in text.split(": ", 2)[-1][:3]


def test_a_rate_change_that_leaves_no_rate_is_an_error_with_its_line():
    with pytest.raises(IngestError, match=r"^r\.txt: line 2: 'reduce the learning rate by 120%'"):
        plan_from_text("## Idea\nWhen entropy is high, reduce the learning rate by 120%.\n### Datasets\n- MNIST\n",
                       source="r.txt")


def test_inf_never_reaches_a_plan():
    mapped, plan, _ = _plan("## Idea\nEntropy.\n### Datasets\n- MNIST\n## Results\n{'eval_loss': 1e999, 'eval_accuracy': 0.5}\n")
    assert "inf" not in mapped.toml.split("[source]")[1].replace("info", "")
    assert plan.source is not None and plan.source.claimed_results == {"eval_accuracy": 0.5}
    assert any("'eval_loss'" in w for w in mapped.warnings)


@pytest.mark.parametrize("text", [
    "## Idea\nMake things better somehow.\n## Experiment Plan\nWe will try hard.\n",
    "## Experiment Plan\n### Datasets\n- Our private corpus\n",
    "# Experiment Report: x\n## Idea\n" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkrLw==\n" * 40,
])
def test_a_text_that_names_nothing_lrlab_knows_is_refused(text: str):
    with pytest.raises(IngestError, match=r"^r\.txt: not an experiment report") as raised:
        plan_from_text(text, source="r.txt")
    assert "\n" not in str(raised.value)


def test_random_base64_is_refused_not_planned():
    import base64
    import random

    rng = random.Random(0)
    for _ in range(5):
        text = base64.encodebytes(bytes(rng.getrandbits(8) for _ in range(6000))).decode()
        with pytest.raises(IngestError, match="not an experiment report"):
            plan_from_text(text, source="r.txt")


def test_bad_budget_is_an_ingest_error(text_004: str):
    with pytest.raises(IngestError, match="--budget must be 'quick' or 'full'"):
        plan_from_text(text_004, budget="huge")  # type: ignore[arg-type]


def test_claimed_results_that_toml_cannot_hold_are_listed():
    report = "## Idea\nEntropy.\n### Datasets\n- wine\n## Results\n{'acc': 0.9, 'cm': None, 3: 1, 'nested': {'a': [1, 2]}}\n"
    mapped, plan, _ = _plan(report)
    assert plan.source is not None and plan.source.claimed_results == {"acc": 0.9, "nested": {"a": [1, 2]}}
    assert any("'cm'" in w and "3" in w for w in mapped.warnings)


def test_full_budget_uses_a_hub_task_once_it_is_registered(seed_001: Path, offline_registry: None,
                                                           monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(TASKS, "cifar10", dataclasses.replace(TASKS["digits"], name="cifar10"))
    toml, warnings = plan_from_report(seed_001, budget="full")
    plan = parse_plan(toml)
    assert [(t.name, t.model, t.hparams) for t in plan.tasks][0] == ("cifar10", "resnet18", {})
    assert plan.defaults.epochs == 50 and plan.tasks[0].target is None
    assert any("cifar10: the report's" in w and "no target value" in w for w in warnings)
    assert not any("'cifar10' is not registered" in w for w in warnings)
    assert any("the hub task 'imdb' is not registered" in w for w in warnings)
    quick = parse_plan(plan_from_report(seed_001, budget="quick")[0])
    assert quick.tasks[0].name == "fashion_mnist_10k"  # quick runs offline whatever is registered
