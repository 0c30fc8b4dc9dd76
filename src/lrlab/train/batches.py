"""How the loop reads a task's data: in-memory tensors by index, or ``Examples`` through a
``DataLoader``; and the precision it computes in (bf16 autocast on CUDA).

In-memory splits (every classification task) are moved to the device once and indexed there:
on a GPU that beats any loader. ``Examples`` splits (extractive QA, speech: padded batches,
audio decoded per item) go through ``torch.utils.data.DataLoader`` with worker processes and
pinned memory on CUDA; the epoch's order is fixed by the trial's generator before the loader
sees it, so the numbers do not depend on the number of workers.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch import Tensor
from torch.utils.data import DataLoader

from lrlab.tasks import Split
from lrlab.tasks.objective import Batch, Examples

GPU_LOADER_WORKERS = 4
"""DataLoader workers per trial on a CUDA device when the plan sets none (capped by the CPUs)."""


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype of a trial: ``bf16`` -> bfloat16, ``fp32`` -> none, ``auto`` -> bfloat16
    on a CUDA device that supports it, none on the CPU (so CPU runs stay exactly reproducible).

    Example:
        >>> autocast_dtype("auto", torch.device("cpu")) is None
        True
    """
    if precision not in ("auto", "bf16", "fp32"):
        raise ValueError(f"precision must be 'auto', 'bf16' or 'fp32', got {precision!r}")
    if precision == "bf16":
        return torch.bfloat16
    if precision == "auto" and device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return None


def autocast(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager[Any]:
    """``torch.autocast`` to ``dtype`` on ``device``, or nothing when ``dtype`` is None."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=dtype)


def loader_workers(workers: int | None, device: torch.device) -> int:
    """DataLoader worker processes: ``workers`` if set, else :data:`GPU_LOADER_WORKERS` (at most
    the CPUs less one) on CUDA and 0 (load in the training process) on the CPU, where workers
    would take the cores that train."""
    if workers is not None:
        if not isinstance(workers, int) or workers < 0:
            raise ValueError(f"loader_workers must be an integer >= 0 or None, got {workers!r}")
        return workers
    if device.type != "cuda":
        return 0
    return max(0, min(GPU_LOADER_WORKERS, (os.cpu_count() or 1) - 1))


def batch_to(batch: Batch, device: torch.device) -> Batch:
    """Every tensor of ``batch`` on ``device`` (asynchronously from pinned memory)."""
    return {name: value.to(device, non_blocking=True) if isinstance(value, Tensor) else value
            for name, value in batch.items()}


def epoch_batches(
    split: Split | Examples,
    order: Tensor,
    batch_size: int,
    device: torch.device,
    *,
    workers: int = 0,
    augment: Callable[[Tensor, torch.Generator], Tensor] | None = None,
    generator: torch.Generator | None = None,
) -> Iterator[tuple[Tensor, Tensor] | Batch]:
    """One epoch's batches in ``order``: ``(x, y)`` of an in-memory split (augmented if asked),
    or the padded batches of an ``Examples`` split, on ``device``.

    Example:
        >>> split = Split(torch.arange(5.0).unsqueeze(1), torch.tensor([0, 1, 0, 1, 0]))
        >>> [y.tolist() for _, y in epoch_batches(split, torch.tensor([4, 3, 2, 1, 0]), 2, torch.device("cpu"))]
        [[0, 1], [0, 1], [0]]
    """
    if isinstance(split, Split):
        order = order.to(split.x.device)
        for start in range(0, len(order), batch_size):
            index = order[start:start + batch_size]
            x, y = split.x[index], split.y[index]
            yield (augment(x, generator) if augment is not None else x), y
        return
    loader = DataLoader(split.dataset, batch_size=batch_size, sampler=order.tolist(),  # type: ignore[arg-type]
                        collate_fn=split.collate, num_workers=workers,
                        pin_memory=device.type == "cuda", persistent_workers=False)
    for batch in loader:
        yield batch_to(batch, device)
