"""AdaptiveLRCallback in a real Lightning run: a small classifier on Gaussian blobs."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F

pytest.importorskip("lightning")

import lightning.pytorch as pl  # noqa: E402
from lightning.pytorch.callbacks import ModelCheckpoint  # noqa: E402
from lightning.pytorch.loggers import CSVLogger  # noqa: E402

from helpers import make_blobs, make_model  # noqa: E402
from lrlab.integrations.lightning import AdaptiveLRCallback, val_metrics_from  # noqa: E402
from lrlab.schedulers import EntropyLR, PerformanceLR, make_scheduler  # noqa: E402

pytestmark = [
    pytest.mark.filterwarnings("ignore:.*isinstance\\(treespec, LeafSpec\\)"),  # inside Lightning
    pytest.mark.filterwarnings("ignore:The dirpath has changed"),  # a resumed run writes elsewhere
]

STEPS = 30  # 5 batches per epoch: 6 epochs, a validation after each


class Classifier(pl.LightningModule):
    def __init__(self, schedule: str, lr: float = 0.2, **schedule_args: Any) -> None:
        super().__init__()
        self.net = make_model(seed=0)
        self.schedule, self.lr, self.schedule_args = schedule, lr, schedule_args

    def training_step(self, batch, batch_idx):
        x, y = batch
        logits = self.net(x)
        loss = F.cross_entropy(logits, y)
        self.log("train_loss", loss)
        return {"loss": loss, "logits": logits}

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self.net(x)
        self.log("val_loss", F.cross_entropy(logits, y))
        self.log("val_acc", (logits.argmax(1) == y).float().mean())

    def configure_optimizers(self):
        optimizer = torch.optim.SGD(self.parameters(), lr=self.lr)
        scheduler = make_scheduler(self.schedule, optimizer, **self.schedule_args)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}


class RecordLR(pl.Callback):
    """The rate in force after each optimizer step, by global step."""

    def __init__(self) -> None:
        self.path: dict[int, float] = {}

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.path[trainer.global_step] = trainer.optimizers[0].param_groups[0]["lr"]


def loaders() -> tuple[torch.utils.data.DataLoader, torch.utils.data.DataLoader]:
    x, y = make_blobs(n=224, seed=0)
    train = torch.utils.data.TensorDataset(x[:160], y[:160])
    val = torch.utils.data.TensorDataset(x[160:], y[160:])
    return (torch.utils.data.DataLoader(train, batch_size=32),
            torch.utils.data.DataLoader(val, batch_size=64))


def fit(root: Path, schedule: str, ckpt_path: str | None = None, **schedule_args: Any):
    pl.seed_everything(0, verbose=False)
    module = Classifier(schedule, **schedule_args)
    recorder = RecordLR()
    # Saved after the validation of every second epoch (step 10, 20, 30): a checkpoint taken at an
    # epoch's last training batch would resume without that epoch's validation (Lightning's way).
    checkpoints = ModelCheckpoint(dirpath=root / "checkpoints", every_n_epochs=2, save_top_k=-1,
                                  save_on_train_epoch_end=False, filename="{step}")
    trainer = pl.Trainer(max_steps=STEPS, accelerator="cpu", devices=1,
                         logger=CSVLogger(root, name="logs"), log_every_n_steps=1,
                         callbacks=[AdaptiveLRCallback(), recorder, checkpoints],
                         enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=1)
    train, val = loaders()
    trainer.fit(module, train, val, ckpt_path=ckpt_path)
    scheduler = trainer.lr_scheduler_configs[0].scheduler
    return trainer, scheduler, recorder


def expected_path(scheduler: Any, initial: float, steps: int, after_evaluation: bool = False) -> dict[int, float]:
    """Lightning steps the scheduler before the callback observes, and a decision is applied at
    once: a change decided from the signals of step s (adjustment step s) is in force after step s
    already, as the recorder (after the callback) sees it; one decided by the validation after step
    s shows after step s + 1. Either way step s + 1 trains with it, as in lrlab's own loop."""
    offset = 1 if after_evaluation else 0
    changes = {a["step"] + offset: a["new_lr"][0] for a in scheduler.adjustments}
    path, lr = {}, initial
    for step in range(1, steps + 1):
        lr = changes.get(step, lr)
        path[step] = lr
    return path


SCHEDULES = {
    # Cuts every 3 steps while smoothed entropy is above 0.5; the model learns, and it stops.
    "entropy": {"threshold": 0.5, "interval": 3, "factor": 0.7},
    "performance": {"patience": 1, "increase": 1.3, "decrease": 0.5},
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[Any, Any, RecordLR]]:
    return {name: fit(tmp_path_factory.mktemp(name), name, **kwargs) for name, kwargs in SCHEDULES.items()}


def logged_rows(trainer) -> list[dict[str, str]]:
    with open(Path(trainer.logger.log_dir) / "metrics.csv") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("name", SCHEDULES)
def test_lightning_follows_the_scheduler_decisions(runs, name):
    trainer, scheduler, recorder = runs[name]
    assert trainer.global_step == STEPS
    assert scheduler.adjustments, "the scheduler never fired"
    assert recorder.path == expected_path(scheduler, 0.2, STEPS, after_evaluation=name == "performance")
    assert len(set(recorder.path.values())) > 1
    # The rate and the signals reach the logger.
    rows = [r for r in logged_rows(trainer) if r.get("lrlab/lr")]
    assert len(rows) == STEPS
    assert [float(r["lrlab/lr"]) for r in rows] == pytest.approx([recorder.path[s] for s in range(1, STEPS + 1)])
    assert float(rows[-1]["lrlab/adjustments"]) == len(scheduler.adjustments) or name == "performance"


def test_entropy_sees_the_training_logits(runs):
    trainer, scheduler, _ = runs["entropy"]
    assert isinstance(scheduler, EntropyLR)
    assert scheduler.observations == STEPS
    entropies = [float(r["lrlab/entropy"]) for r in logged_rows(trainer) if r.get("lrlab/entropy")]
    assert len(entropies) == STEPS and entropies[-1] < entropies[0]  # the model learns
    # While entropy is above the threshold the rule cuts every 3 steps; afterwards it stops.
    steps = [a["step"] for a in scheduler.adjustments]
    assert steps == list(range(3, 3 * len(steps) + 1, 3)) and steps[-1] < STEPS - 3


def test_performance_sees_the_validation_metrics(runs):
    trainer, scheduler, _ = runs["performance"]
    assert isinstance(scheduler, PerformanceLR)
    assert scheduler.observations == STEPS // 5  # one per validation; the sanity check is not passed
    assert scheduler.signals["val_loss"] == pytest.approx(float(trainer.callback_metrics["val_loss"]))
    assert scheduler.signals["gap"] == pytest.approx(float(trainer.callback_metrics["val_loss"]) - mean_last_train_loss(trainer))
    assert all(a["step"] % 5 == 0 for a in scheduler.adjustments)
    assert scheduler.adjustments[0]["rule"] == "improving"


def mean_last_train_loss(trainer) -> float:
    """Mean training loss of the last 5 steps (since the previous validation), as logged."""
    rows = [r for r in logged_rows(trainer) if r.get("train_loss")]
    return sum(float(r["train_loss"]) for r in rows[-5:]) / 5


@pytest.mark.parametrize("name", SCHEDULES)
def test_resume_from_a_lightning_checkpoint_gives_the_same_path(runs, name, tmp_path):
    trainer, scheduler, recorder = runs[name]
    checkpoint = Path(trainer.checkpoint_callback.dirpath) / "step=10.ckpt"
    _, resumed_scheduler, resumed_recorder = fit(tmp_path, name, ckpt_path=str(checkpoint), **SCHEDULES[name])
    assert resumed_recorder.path == {s: lr for s, lr in recorder.path.items() if s > 10}
    assert resumed_scheduler.adjustments == scheduler.adjustments


def test_hessian_probes_rerun_training_step(tmp_path):
    """loss_closure: the callback calls training_step again on the last batch for the probes."""
    pl.seed_everything(0, verbose=False)
    module = Classifier("curvature", mode="hessian", hessian_interval=5, max_lr=10.0)
    trainer = pl.Trainer(max_steps=10, accelerator="cpu", logger=False, enable_checkpointing=False,
                         callbacks=[AdaptiveLRCallback()], enable_progress_bar=False,
                         enable_model_summary=False, num_sanity_val_steps=0)
    trainer.fit(module, *loaders())
    scheduler = trainer.lr_scheduler_configs[0].scheduler
    assert scheduler.observations == 10
    assert scheduler.signals["hessian_eigenvalue"] > 0.0
    assert scheduler.adjustments
    assert float(trainer.callback_metrics["lrlab/lr"]) == pytest.approx(scheduler.get_last_lr()[0])


def test_without_an_lrlab_scheduler_the_callback_says_what_to_return(tmp_path):
    pl.seed_everything(0, verbose=False)
    module = Classifier("cosine", total_steps=STEPS)
    trainer = pl.Trainer(max_steps=2, accelerator="cpu", logger=False, enable_checkpointing=False,
                         callbacks=[AdaptiveLRCallback()], enable_progress_bar=False,
                         enable_model_summary=False, num_sanity_val_steps=0)
    with pytest.raises(ValueError, match="configure_optimizers"):
        trainer.fit(module, *loaders())


def test_val_metrics_from_callback_metrics():
    metrics = {"val_loss": torch.tensor(0.25), "val_acc": torch.tensor(0.5), "train_loss": torch.tensor(1.0),
               "val_hist": torch.ones(3)}
    assert val_metrics_from(metrics) == {"loss": 0.25, "acc": 0.5}
    assert val_metrics_from({"val/loss": 0.1}, "val/") == {"loss": 0.1}
