"""A user's own code, as a test writes it into a real ``.py`` file: a task (own data, own
``nn.Module``), a regression task with an ``Objective``, and schedules (a plain ``LRScheduler`` and
an ``AdaptiveLR`` that needs validation metrics and declares a search space)."""

from __future__ import annotations

from pathlib import Path

#: Two interleaved spirals (own data, fixed seed) and a small net of the user's own.
TASK = '''
"""Two interleaved spirals."""
import math

import torch
from torch import nn

from lrlab.tasks import Split, TaskData, UserTask


class SpiralNet(nn.Module):
    def __init__(self, dropout: float = 0.0):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Dropout(dropout), nn.Linear(32, 2))

    def forward(self, x):
        return self.net(x)


def spirals(n, generator):
    t = torch.rand(n, generator=generator) * 3 * math.pi
    y = torch.randint(0, 2, (n,), generator=generator)
    r = t / (3 * math.pi)
    x = torch.stack([r * torch.cos(t + math.pi * y), r * torch.sin(t + math.pi * y)], 1)
    return Split(x + 0.02 * torch.randn(n, 2, generator=generator), y)


def make_task() -> UserTask:
    """Two interleaved spirals, 300 / 100 / 100 points."""
    g = torch.Generator().manual_seed(0)
    data = TaskData(spirals(300, g), spirals(100, g), spirals(100, g), num_classes=2, input_shape=(2,))
    return UserTask(data, model=SpiralNet, metrics=("loss", "accuracy", "roc_auc"))


def bare_data() -> TaskData:
    return make_task().data
'''

#: Regression with its own loss: an Objective over Examples splits.
REGRESSION = '''
import numpy as np
import torch
from torch import nn

from lrlab.tasks import TaskData, UserTask
from lrlab.tasks.objective import Examples


def collate(items):
    return {"x": torch.tensor(np.stack([i["x"] for i in items]), dtype=torch.float32),
            "y": torch.tensor([i["y"] for i in items], dtype=torch.float32)}


class MeanSquared:
    metrics = ("loss", "mae")
    default_model = "linear"

    def build_model(self, name, *, dropout=0.0):
        return nn.Linear(3, 1)

    def loss(self, model, batch):
        prediction = model(batch["x"]).squeeze(1)
        return nn.functional.mse_loss(prediction, batch["y"]), prediction.unsqueeze(1)

    def evaluate(self, model, split, batches, names):
        predictions, targets = [], []
        for batch in batches:
            predictions.append(model(batch["x"]).squeeze(1))
            targets.append(batch["y"])
        p, t = torch.cat(predictions), torch.cat(targets)
        values = {"loss": float(nn.functional.mse_loss(p, t)), "mae": float((p - t).abs().mean())}
        return {name: values[name] for name in names}


def make_regression() -> UserTask:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(240, 3))
    y = x @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=240)
    items = [{"x": x[i], "y": float(y[i])} for i in range(240)]
    splits = [Examples(items[a:b], collate) for a, b in ((0, 160), (160, 200), (200, 240))]
    return UserTask(TaskData(*splits, num_classes=0, input_shape=(), objective=MeanSquared()))
'''

#: A plain torch scheduler (no signals) and an adaptive one that halves on a validation plateau.
SCHEDULE = '''
import math

from torch.optim.lr_scheduler import LRScheduler

from lrlab.schedulers import AdaptiveLR, Decision
from lrlab.schedulers.space import Dimension


class HalfCosine(LRScheduler):
    """Cosine from the initial rate down to a floor over the run."""

    def __init__(self, optimizer, total_steps=1000, floor=0.5, last_epoch=-1):
        self.total_steps, self.floor = total_steps, floor
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        progress = min(1.0, self.last_epoch / max(1, self.total_steps))
        factor = self.floor + (1 - self.floor) * 0.5 * (1 + math.cos(math.pi * progress))
        return [base * factor for base in self.base_lrs]


class HalveOnPlateau(AdaptiveLR):
    """Halve the rate whenever the validation loss did not improve."""

    needs = frozenset({"val_metrics"})
    search_space = {"factor": Dimension(0.2, 0.8)}

    def __init__(self, optimizer, factor=0.5, warmup_steps=0, last_epoch=-1):
        self.factor = factor
        super().__init__(optimizer, warmup_steps=warmup_steps, last_epoch=last_epoch)

    def initial_rule_state(self):
        return {"best": math.inf}

    def _observe(self, val_metrics=None, **_):
        if val_metrics is None:
            return None
        loss, best = val_metrics["loss"], self.rule_state["best"]
        self.rule_state = {"best": min(best, loss)}
        return None if loss < best else Decision(self.factor, f"no improvement: {loss:.4f} >= {best:.4f}", {})
'''


def write(folder: Path, name: str, text: str) -> Path:
    """Write a user's file; returns its path."""
    path = folder / name
    path.write_text(text.lstrip("\n"), encoding="utf-8")
    return path
