"""TensorBoard event files per trial, written by the driver from the trial's records."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

from lrlab.train.spec import TrialResult

_warned = False


def write_events(result: TrialResult, log_dir: Path) -> bool:
    """Scalars per step (lr, loss, the scheduler's signals) and per epoch (train/val metrics).

    Returns False (with one warning per process) when the ``tensorboard`` package is missing.
    """
    global _warned
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        if not _warned:
            warnings.warn("tensorboard is not installed: no event files (pip install tensorboard)", stacklevel=2)
            _warned = True
        return False
    with SummaryWriter(log_dir=str(log_dir)) as writer:
        for record in result.steps:
            step = record["step"]
            for i, lr in enumerate(record.get("lr") or []):
                writer.add_scalar(f"lr/group{i}", lr, step)
            if record.get("loss") is not None and math.isfinite(record["loss"]):
                writer.add_scalar("train/loss_step", record["loss"], step)
            for name, value in (record.get("signals") or {}).items():
                if isinstance(value, int | float) and math.isfinite(value):
                    writer.add_scalar(f"signals/{name}", value, step)
        for record in result.epochs:
            for split in ("train", "val"):
                for name, value in (record.get(split) or {}).items():
                    if isinstance(value, int | float) and math.isfinite(value):
                        writer.add_scalar(f"{split}/{name}", value, record["epoch"])
    return True
