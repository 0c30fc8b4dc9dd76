"""Tasks that are not classification of in-memory tensors: extractive QA, speech recognition.

Such a task's :class:`~lrlab.tasks.data.TaskData` holds :class:`Examples` splits (a map-style
dataset read in padded batches, by a ``DataLoader`` with workers on a GPU machine) and an
:class:`Objective`: how its model is built from a Hugging Face name, what the training loss is,
and how a whole split is judged (SQuAD v2 exact match and F1, word error rate). The training
loop (:func:`lrlab.train.trial.run_trial`) is the same one that trains the classifiers: it
orders, batches, accumulates, autocasts, steps the schedule and checkpoints; only these three
calls differ.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from torch import Tensor, nn
from torch.utils.data import Dataset

Batch = dict[str, Tensor]
"""A padded batch: named tensors, moved to the trial's device by the loop before use."""


@dataclass(frozen=True)
class Examples:
    """One split of an :class:`Objective` task.

    Args:
        dataset: map-style: ``len(dataset)`` examples (features), ``dataset[i]`` a dict of NumPy
            arrays or Python numbers; it must pickle (DataLoader workers get a copy).
        collate: a list of items -> one padded :data:`Batch`; a module-level function or a
            ``functools.partial`` of one, so that it pickles to workers.
        meta: whatever :meth:`Objective.evaluate` needs beside the batches, e.g. for SQuAD each
            feature's example and token offsets, each example's context and gold answers.

    Example:
        >>> import numpy as np, torch
        >>> items = [{"x": np.arange(3)}, {"x": np.arange(3) + 3}]
        >>> split = Examples(items, lambda batch: {"x": torch.tensor(np.stack([b["x"] for b in batch]))})
        >>> len(split), split.collate(items)["x"].shape
        (2, torch.Size([2, 3]))
    """

    dataset: Dataset | Sequence[Any]
    collate: Callable[[list[Any]], Batch]
    meta: Any = None

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]


class Objective(Protocol):
    """How a task that is not tensor classification trains and judges a model.

    Attributes:
        metrics: the metric names :meth:`evaluate` can compute, ``"loss"`` first.
        default_model: the Hugging Face id (or local folder) used when a plan names no model.
    """

    metrics: tuple[str, ...]
    default_model: str

    def build_model(self, name: str, *, dropout: float = 0.0) -> nn.Module:
        """The model to train, from a Hugging Face id or local folder (pretrained weights where the
        checkpoint has them); built from torch's global generator for what it initialises."""
        ...

    def loss(self, model: nn.Module, batch: Batch) -> tuple[Tensor, Tensor]:
        """``(mean training loss of the batch, logits)``; the logits (``(..., classes)``) are what
        an entropy-driven schedule reads."""
        ...

    def evaluate(self, model: nn.Module, split: Examples, batches: Iterable[Batch],
                 names: Sequence[str]) -> dict[str, float]:
        """The metrics ``names`` (``"loss"`` among them) of ``model`` on the whole ``split``;
        ``batches`` are its batches in order, on the device, under the trial's autocast, and the
        caller has set eval mode and turned off gradients."""
        ...
