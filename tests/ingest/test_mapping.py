"""Report -> plan: the seeds' plans, every mapping decision as a comment, warnings for what is not mapped."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

import pytest

from lrlab.ingest import IngestError, plan_from_report, plan_from_text
from lrlab.schedulers.registry import SCHEDULES
from lrlab.study.plan import parse_plan
from lrlab.tasks.pretrained import MINILM
from lrlab.tasks.registry import TASKS


def _plan(text: str, budget: str = "quick"):
    mapped = plan_from_text(text, source="report.txt", budget=budget)
    return mapped, parse_plan(mapped.toml), tomllib.loads(mapped.toml)


def test_seed_004_quick(seed_004: Path):
    toml, warnings = plan_from_report(seed_004, budget="quick")
    plan = parse_plan(toml)
    assert plan.name == "curvature-004_80bb52f189504312-quick"
    assert [(s.name, s.role) for s in plan.schedules] == [
        ("curvature", "proposed"), ("constant", "baseline"), ("step", "baseline"), ("cosine", "baseline")]
    assert plan.schedules[0].args == {"rate_rule": "quadratic_step"}  # lrlab's choice under Adam, commented
    assert (plan.defaults.optimizer, plan.defaults.lr, plan.defaults.weight_decay) == ("adam", 0.001, 0.0005)
    tasks = {t.name: t for t in plan.tasks}
    # IMDB and SST-2 run as the offline text task, with the report's BiLSTM.
    assert [(t.name, t.model) for t in plan.tasks] == [("digits", "cnn"), ("fortunes", "bilstm"), ("breast_cancer", "fcnn")]
    assert {n: t.hparams for n, t in tasks.items()} == {
        "digits": {"batch_size": 64, "epochs": 10}, "fortunes": {"batch_size": 32, "epochs": 10},
        "breast_cancer": {"batch_size": 128, "epochs": 10}}
    assert tasks["fortunes"].metrics == ["loss", "accuracy", "macro_f1"]  # F1 for IMDB and SST-2
    assert tasks["breast_cancer"].metrics == ["loss", "accuracy", "roc_auc"]  # AUC-ROC for UCI Adult
    assert all(t.target is not None and t.target.metric == "loss" for t in plan.tasks)  # "validation loss threshold"
    assert plan.seeds == [0, 1, 2]
    assert len(plan.trials()) == 3 * 4 * 3
    assert plan.source is not None and plan.source.budget == "quick"
    assert plan.source.claimed_results["eval_accuracy"] == 0.856
    assert plan.source.claimed_benchmark["eval_accuracy"] == pytest.approx(0.4873853211009174)
    assert any("--budget full keeps 50" in n for n in plan.source.notes)
    assert any(w.startswith("IMDB Reviews (text)") and "quotes" in w and "not movie-review sentiment" in w
               for w in warnings)
    assert "mnist1d" not in toml
    assert any(w.startswith("Code Changes (config.py, train.py, model.py)") for w in warnings)
    # Every decision sits beside its value as a comment.
    assert re.search(r"# proposed: 'curvature' \(CurvatureLR\), idea keywords.*'loss landscape'", toml)
    assert "# baseline 'step': the report's 'step decay'" in toml
    assert "quick budget: at most 10 epochs" in toml and "lrlab's choice" in toml


def test_seed_004_full_keeps_epochs_and_says_hub_tasks_are_missing(seed_004: Path, offline_registry: None):
    toml, warnings = plan_from_report(seed_004, budget="full")
    plan = parse_plan(toml)
    assert {t.name: t.hparams["epochs"] for t in plan.tasks} == {"digits": 50, "fortunes": 20, "breast_cancer": 30}
    assert plan.source is not None and plan.source.budget == "full"
    for hub in ("cifar10", "mnist", "imdb", "sst2", "adult"):
        assert any(f"the hub task {hub!r} is not registered" in w for w in warnings), hub


def test_seed_001_quick_and_full(seed_001: Path):
    toml, warnings = plan_from_report(seed_001)
    plan = parse_plan(toml)
    assert [(s.name, s.role) for s in plan.schedules][0] == ("performance", "proposed")
    assert [s.name for s in plan.schedules[1:]] == ["constant", "step", "cosine"]
    assert (plan.defaults.batch_size, plan.defaults.epochs, plan.defaults.weight_decay) == (32, 10, 0.0001)
    assert [(t.name, t.model) for t in plan.tasks] == [("digits", "resnet_small"), ("fortunes", MINILM)]
    assert all(t.target is not None and t.target.metric == "accuracy" for t in plan.tasks)
    assert plan.seeds == [0, 1, 2]  # "3 runs"
    assert any("BERT (base-uncased)" in w and "stands in" in w for w in warnings)
    assert plan.source is not None and any("smaller pretrained transformer standing in" in n for n in plan.source.notes)
    assert any(w.startswith("Max Sequence Length = 128 (BERT)") for w in warnings)
    assert any("learning rate 0.001 for the pretrained" in w for w in warnings)  # the report's, kept
    full = parse_plan(plan_from_report(seed_001, budget="full")[0])
    assert full.defaults.epochs == 50 and full.tasks[0].model == "resnet18"  # on cifar10, or digits offline
    assert [(t.name, t.model) for t in full.tasks][1] == ("imdb", "bert-base-uncased")


def _variant(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new)


def test_unknown_dataset_is_a_warning_not_silently_dropped(text_004: str):
    text = _variant(text_004, "   - MNIST (`mnist`)\n", "   - MNIST (`mnist`)\n   - ImageNet-21k (`imagenet21k`)\n")
    mapped, plan, _ = _plan(text)
    assert any("'ImageNet-21k'" in w and "not a data set lrlab knows" in w for w in mapped.warnings)
    assert "ImageNet-21k" in mapped.warning and mapped.warning.startswith("warning: ")
    assert plan.source is not None and any("ImageNet-21k" in n for n in plan.source.notes)
    assert len(plan.tasks) == 3


def test_objective_missing_and_headings_relevelled(text_004: str):
    start, end = text_004.index("### 1. Objective"), text_004.index("### 2. Methodology")
    text = re.sub(r"^### \d\. ", "#### ", text_004[:start] + text_004[end:], flags=re.M)
    mapped, plan, data = _plan(text)
    assert "objective" not in data and plan.objective == ""
    assert plan.schedules[0].name == "curvature" and len(plan.tasks) == 3


def test_rule_numbers_become_arguments():
    report = ("# Experiment Report: Uncertainty\n## Idea\nEvery 20 iterations, if the normalised predictive "
              "entropy is above a threshold of 0.6, multiply the learning rate by 0.8.\n## Experiment Plan\n"
              "### Datasets\n- MNIST\n### Methodology\nCompare with ReduceLROnPlateau, one-cycle and exponential decay.\n")
    mapped, plan, _ = _plan(report)
    proposed = plan.schedules[0]
    assert (proposed.name, proposed.args) == ("entropy", {"threshold": 0.6, "factor": 0.8, "interval": 20})
    assert [s.name for s in plan.schedules[1:]] == ["plateau", "onecycle"]
    assert any("exponential decay" in w for w in mapped.warnings)
    assert "# threshold = 0.6: the report's 'threshold of 0.6'" in mapped.toml


def test_rule_number_out_of_range_is_refused_with_a_warning():
    report = "## Idea\nLower the rate while entropy is above a threshold of 5.\n### Datasets\n- wine\n"
    mapped, plan, _ = _plan(report)
    assert plan.schedules[0].args == {}
    assert any("threshold = 5" in w for w in mapped.warnings)


def test_gradvar_window_and_percent_and_sgd_momentum():
    report = ("## Idea\nWatch the gradient variability over a window of the last 8 batches; lower the "
              "learning rate by 10% when it grows.\n### Datasets\n- Breast cancer\n### Hyperparameters\n"
              "- Optimizer: SGD with momentum\n- Momentum: 0.9\n- Epochs: 4\n- Runs: 5\n")
    mapped, plan, _ = _plan(report)
    assert (plan.schedules[0].name, plan.schedules[0].args) == ("gradvar", {"window": 8, "factor": 0.1})
    assert (plan.defaults.optimizer, plan.defaults.optimizer_args, plan.defaults.epochs) == ("sgd", {"momentum": 0.9}, 4)
    assert plan.seeds == [0, 1, 2, 3, 4]
    assert [t.name for t in plan.tasks] == ["breast_cancer"]


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


def test_nothing_mappable_still_gives_a_plan_that_says_so():
    mapped, plan, _ = _plan("## Idea\nCurvature of the loss landscape.\n### Datasets\n- Our private corpus\n"
                            "### Model Architecture\n- A Mamba state-space model\n")
    assert [t.name for t in plan.tasks] == ["digits"]
    assert any("'Our private corpus'" in w for w in mapped.warnings)
    assert any("Mamba" in w for w in mapped.warnings)


def test_per_model_scope_and_bad_values_warn(offline_registry: None):
    report = ("## Idea\nHessian curvature.\n### Datasets\n- CIFAR-10\n- IMDB\n### Model Architecture\n"
              "- ResNet-18 for CIFAR-10\n- LSTM with attention for IMDB\n### Hyperparameters\n"
              "- **LSTM with attention specific:**\n  - Dropout: 0.2\n  - Batch size: 16\n- Learning rate: -1\n"
              "- Optimizer: RMSprop\n- Entropy window: 3\n")
    mapped, plan, _ = _plan(report, budget="full")
    tasks = {t.name: t for t in plan.tasks}
    assert tasks["fortunes"].model == "lstm_attention" and tasks["fortunes"].hparams == {"dropout": 0.2, "batch_size": 16}
    assert tasks["digits"].model == "resnet18" and tasks["digits"].hparams == {}
    assert plan.defaults.lr == 0.001 and plan.defaults.optimizer == "adam"
    joined = "\n".join(mapped.warnings)
    assert "Learning rate = '-1'" in joined and "RMSprop" in joined and "Entropy window" in joined


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
    assert quick.tasks[0].name == "digits"  # quick runs offline whatever is registered


def test_seed_004_full_on_hub_tasks(seed_004: Path, hub_registry: None):
    toml, warnings = plan_from_report(seed_004, budget="full")
    plan = parse_plan(toml)
    assert [(t.name, t.model, t.hparams) for t in plan.tasks] == [
        ("cifar10", "cnn", {"batch_size": 64, "epochs": 50}), ("mnist", "cnn", {"batch_size": 64, "epochs": 50}),
        ("imdb", "bilstm", {"batch_size": 32, "epochs": 20}), ("sst2", "bilstm", {"batch_size": 32, "epochs": 20}),
        ("adult", "fcnn", {"batch_size": 128, "epochs": 30})]
    assert not any("not registered" in w or "(text)" in w for w in warnings)
    assert len(plan.trials()) == 5 * 4 * 3
