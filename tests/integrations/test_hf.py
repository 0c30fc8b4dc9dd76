"""AdaptiveLRCallback in a real Hugging Face Trainer run: a tiny BERT built from a config."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch

pytest.importorskip("transformers")
pytest.importorskip("accelerate")

from transformers import (  # noqa: E402
    BertConfig,
    BertForSequenceClassification,
    Trainer,
    TrainerCallback,
    TrainingArguments,
)

from lrlab.integrations.hf import AdaptiveLRCallback, eval_metrics, train_loss_since  # noqa: E402
from lrlab.schedulers import EntropyLR, PerformanceLR, make_scheduler  # noqa: E402

STEPS = 30


class Tokens(torch.utils.data.Dataset):
    """Random token sequences; the label says whether token 7 occurs (learnable by attention)."""

    def __init__(self, n: int, seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(10, 100, (n, 12), generator=g)
        self.labels = torch.randint(0, 2, (n,), generator=g)
        where = torch.randint(1, 12, (n,), generator=g)
        self.ids[self.labels == 1, where[self.labels == 1]] = 7
        self.ids[:, 0] = 2  # a [CLS]-like first token

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"input_ids": self.ids[i], "attention_mask": torch.ones(12, dtype=torch.long),
                "labels": self.labels[i]}


class RecordLR(TrainerCallback):
    """The rate in force after each optimizer step, by global step (the path the test compares)."""

    def __init__(self) -> None:
        self.path: dict[int, float] = {}

    def on_step_end(self, args, state, control, optimizer=None, **kwargs) -> None:
        self.path[state.global_step] = optimizer.param_groups[0]["lr"]


def accuracy(prediction) -> dict[str, float]:
    logits, labels = prediction
    return {"accuracy": float((logits.argmax(-1) == labels).mean())}


def build(output_dir: Path, schedule: str, steps: int = STEPS, **kwargs: Any) -> tuple[Trainer, Any, RecordLR]:
    torch.manual_seed(0)
    config = BertConfig(vocab_size=100, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=16, num_labels=2)
    model = BertForSequenceClassification(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    scheduler = make_scheduler(schedule, optimizer, **kwargs)
    args = TrainingArguments(
        output_dir=str(output_dir), max_steps=steps, per_device_train_batch_size=8,
        per_device_eval_batch_size=32, eval_strategy="steps", eval_steps=5, save_steps=10,
        logging_steps=5, report_to=[], use_cpu=True, seed=0, data_seed=0,
        disable_tqdm=True)
    recorder = RecordLR()
    trainer = Trainer(model=model, args=args, train_dataset=Tokens(64, seed=1),
                      eval_dataset=Tokens(32, seed=2), compute_metrics=accuracy,
                      optimizers=(optimizer, scheduler), callbacks=[recorder])
    AdaptiveLRCallback(scheduler).attach(trainer)
    return trainer, scheduler, recorder


def expected_path(scheduler: Any, initial: float, steps: int, after_evaluation: bool = False) -> dict[int, float]:
    """The path the adjustments describe, as the recorder sees it at the end of each step. A change
    decided from the signals of step s (adjustment step s) is applied at once: in force after step
    s already (the callback observes before the recorder); one decided by the evaluation after
    step s, which runs after the recorder, shows after step s + 1. Either way step s + 1 trains with it."""
    offset = 1 if after_evaluation else 0
    changes = {a["step"] + offset: a["new_lr"][0] for a in scheduler.adjustments}
    path, lr = {}, initial
    for step in range(1, steps + 1):
        lr = changes.get(step, lr)
        path[step] = lr
    return path


SCHEDULES = {
    # Two-class entropy of a fresh model is near 1: cuts every 2 steps until it falls below 0.6.
    "entropy": {"threshold": 0.6, "interval": 2, "factor": 0.8},
    # Evaluations every 5 steps: up while eval loss improves, cut after one without improvement.
    "performance": {"patience": 1, "increase": 1.2, "decrease": 0.5},
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[Trainer, Any, RecordLR]]:
    """One uninterrupted run per schedule, shared by the tests below."""
    out = {}
    for name, kwargs in SCHEDULES.items():
        trainer, scheduler, recorder = build(tmp_path_factory.mktemp(name), name, **kwargs)
        trainer.train()
        out[name] = (trainer, scheduler, recorder)
    return out


@pytest.mark.parametrize("name", SCHEDULES)
def test_trainer_follows_the_scheduler_decisions(runs, name):
    trainer, scheduler, recorder = runs[name]
    assert scheduler.adjustments, "the scheduler never fired"
    assert recorder.path == expected_path(scheduler, 1e-3, STEPS, after_evaluation=name == "performance")
    assert len(set(recorder.path.values())) > 1
    # The Trainer logs the rate of the step it logs (before that step's scheduler.step()).
    logged = {e["step"]: e["learning_rate"] for e in trainer.state.log_history if "learning_rate" in e}
    assert logged and all(lr == pytest.approx(recorder.path.get(step - 1, 1e-3)) for step, lr in logged.items())
    # The callback's lrlab/lr is that same rate, in the same record, though the rate changed at that step.
    logs = [e for e in trainer.state.log_history if "loss" in e]
    assert all(e["lrlab/lr"] == e["learning_rate"] for e in logs)
    # (entropy changes the rate at logged steps: the next step's rate is not what either logs)
    assert name != "entropy" or any(recorder.path[e["step"]] != e["learning_rate"] for e in logs)
    # The Trainer's last log (the run summary, after the last evaluation) counts every change.
    assert trainer.state.log_history[-1]["lrlab/adjustments"] == len(scheduler.adjustments)


def test_entropy_sees_the_training_logits(runs):
    trainer, scheduler, _ = runs["entropy"]
    assert isinstance(scheduler, EntropyLR)
    assert scheduler.observations == STEPS  # one observation per optimizer step, none in evaluation
    assert [a["step"] for a in scheduler.adjustments][:3] == [2, 4, 6]  # every second step
    logs = [e for e in trainer.state.log_history if "loss" in e]
    assert all(0.0 <= e["lrlab/entropy"] <= 1.0 for e in logs)


def test_performance_sees_the_evaluations(runs):
    trainer, scheduler, _ = runs["performance"]
    assert isinstance(scheduler, PerformanceLR)
    evaluations = [e for e in trainer.state.log_history if "eval_loss" in e]
    assert scheduler.observations == len(evaluations) == STEPS // 5
    assert scheduler.signals["val_loss"] == pytest.approx(evaluations[-1]["eval_loss"])
    # The train/validation gap uses the training loss logged since the previous evaluation.
    train = [e for e in trainer.state.log_history if "loss" in e and e["step"] == STEPS]
    assert scheduler.signals["gap"] == pytest.approx(evaluations[-1]["eval_loss"] - train[0]["loss"])
    # The rule's reasons, in the order of the evaluations.
    assert {a["rule"].split(":")[0] for a in scheduler.adjustments} <= {"improving", "plateau", "overfitting"}
    assert [a["step"] for a in scheduler.adjustments] == sorted({a["step"] for a in scheduler.adjustments})
    assert all(a["step"] % 5 == 0 for a in scheduler.adjustments)


@pytest.mark.parametrize("name", SCHEDULES)
def test_resume_from_a_trainer_checkpoint_gives_the_same_path(runs, name, tmp_path):
    trainer, scheduler, recorder = runs[name]
    checkpoint = Path(trainer.args.output_dir) / "checkpoint-10"
    saved = torch.load(checkpoint / "scheduler.pt", weights_only=True)  # as the Trainer loads it
    assert saved["last_epoch"] == 10
    json.loads((checkpoint / "trainer_state.json").read_text())  # the logged signals are plain JSON

    resumed, resumed_scheduler, resumed_recorder = build(tmp_path, name, **SCHEDULES[name])
    resumed.train(resume_from_checkpoint=str(checkpoint))
    assert resumed_recorder.path == {s: lr for s, lr in recorder.path.items() if s > 10}
    assert resumed_scheduler.adjustments == scheduler.adjustments
    assert resumed_scheduler.signals == pytest.approx(scheduler.signals, nan_ok=True)


def test_hessian_probes_rerun_the_model_on_the_last_batch(tmp_path):
    """loss_closure: the callback replays the last micro-batch through the model for the probes."""
    trainer, scheduler, recorder = build(tmp_path, "curvature", steps=10, mode="hessian",
                                         hessian_interval=5, max_lr=1.0)
    trainer.train()
    assert scheduler.observations == 10  # replays are not observed as training batches
    assert scheduler.rule_state["probes"] == 10
    assert scheduler.adjustments[0]["step"] == 1 and scheduler.adjustments[0]["signals"]["curvature"] > 0.0
    assert scheduler.adjustments and recorder.path == expected_path(scheduler, 1e-3, 10)


def test_a_scheduler_the_trainer_does_not_step_is_refused(tmp_path):
    trainer, scheduler, _ = build(tmp_path, "entropy")
    other = EntropyLR(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1))
    trainer.add_callback(AdaptiveLRCallback(other))
    with pytest.raises(ValueError, match=r"optimizers=\(optimizer, scheduler\)"):
        trainer.train()


def test_eval_metrics_and_train_loss_helpers():
    assert eval_metrics({"eval_loss": 0.5, "eval_accuracy": 1, "eval_runtime": 0.1,
                         "eval_samples_per_second": 9.0, "eval_flag": True, "epoch": 2.0}) == \
        {"loss": 0.5, "accuracy": 1.0}
    assert eval_metrics({"eval_val_loss": 0.5, "eval_test_loss": 0.7}, "eval_val_") == {"loss": 0.5}
    history = [{"loss": 1.0, "step": 2}, {"loss": 0.4, "step": 5}, {"eval_loss": 1.0, "step": 5},
               {"loss": 0.2, "step": 10}, {"train_loss": 0.5, "step": 10}]
    assert train_loss_since(history, 0, 5) == pytest.approx((1.0 * 2 + 0.4 * 3) / 5)
    assert train_loss_since(history, 5, 10) == pytest.approx(0.2)
    assert train_loss_since(history, 10, 10) is None


@pytest.mark.parametrize(("strategy", "every", "epochs", "grace"), [
    ("steps", 2500, 1, 2501), ("steps", 0.5, 1, 5001), ("epoch", None, 4, 2501), ("no", None, 1, 1000)])
def test_the_callback_tells_the_scheduler_how_often_the_trainer_evaluates(strategy, every, epochs, grace):
    """So that a Trainer evaluating every 2500 steps draws no warning of missing val_metrics at step 1000."""
    from types import SimpleNamespace

    scheduler = PerformanceLR(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1))
    callback = AdaptiveLRCallback(scheduler)
    callback._expect_evaluations(SimpleNamespace(eval_strategy=strategy, eval_steps=every, num_train_epochs=epochs),
                                 SimpleNamespace(max_steps=10_000))
    assert scheduler.evaluation_grace == grace
