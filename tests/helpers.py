"""Shared test helpers (importable as `helpers`; pytest puts tests/ on the path): a real small model, real data, and a training loop that feeds signals."""

from __future__ import annotations

import io
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


def make_blobs(n: int = 512, features: int = 10, classes: int = 3, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A learnable classification set: Gaussian blobs around random class centres."""
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(classes, features, generator=g) * 2.0
    y = torch.randint(0, classes, (n,), generator=g)
    x = centres[y] + torch.randn(n, features, generator=g)
    return x, y


def make_model(seed: int = 0, features: int = 10, classes: int = 3) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(features, 32), nn.Tanh(), nn.Linear(32, classes))


def batches(x: torch.Tensor, y: torch.Tensor, size: int = 32) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(x[i:i + size], y[i:i + size]) for i in range(0, len(x), size)]


def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
    with torch.no_grad():
        logits = model(x)
        return {"loss": float(F.cross_entropy(logits, y)),
                "accuracy": float((logits.argmax(1) == y).float().mean())}


class Loop:
    """A plain training loop that gives a scheduler exactly the signals it declares in ``needs``."""

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any, *,
                 accumulate: int = 1, eval_every: int = 0,
                 val: tuple[torch.Tensor, torch.Tensor] | None = None) -> None:
        self.model, self.optimizer, self.scheduler = model, optimizer, scheduler
        self.accumulate, self.eval_every, self.val = accumulate, eval_every, val
        self.lrs: list[list[float]] = []
        self.steps = 0
        self.train_losses: list[float] = []

    def run(self, data: list[tuple[torch.Tensor, torch.Tensor]]) -> Loop:
        needs = frozenset(getattr(self.scheduler, "needs", frozenset()))
        # Schedule-free optimizers keep two iterates and must be told which one is in use.
        mode = getattr(self.optimizer, "train", None), getattr(self.optimizer, "eval", None)
        if mode[0] is not None:
            mode[0]()
        for i, (x, y) in enumerate(data):
            if i % self.accumulate == 0:
                self.optimizer.zero_grad(set_to_none=True)
            logits = self.model(x)
            loss = F.cross_entropy(logits, y)
            (loss / self.accumulate).backward()
            self.train_losses.append(loss.item())
            if (i + 1) % self.accumulate:
                continue
            self.optimizer.step()
            signals: dict[str, Any] = {}
            if "logits" in needs:
                signals["logits"] = logits.detach()
            if "loss" in needs:
                signals["loss"] = loss.item()
            if "loss_closure" in needs:
                signals["loss_closure"] = lambda x=x, y=y: F.cross_entropy(self.model(x), y)
            if signals:
                self.scheduler.observe(**signals)
            self.scheduler.step()
            self.steps += 1
            if "val_metrics" in needs and self.eval_every and self.steps % self.eval_every == 0 and self.val is not None:
                if mode[1] is not None:
                    mode[1]()
                val_metrics = evaluate(self.model, *self.val)
                if mode[0] is not None:
                    mode[0]()
                train_metrics = {"loss": sum(self.train_losses[-self.eval_every:]) / self.eval_every}
                self.scheduler.observe(val_metrics=val_metrics, train_metrics=train_metrics)
            self.lrs.append([float(lr) for lr in self.scheduler.get_last_lr()])
        return self


def roundtrip(state: dict[str, Any]) -> dict[str, Any]:
    """Through torch.save / torch.load(weights_only=True), as a checkpoint would go."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)
