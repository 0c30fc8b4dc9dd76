"""The data a task hands to a trial: three labelled splits and what one example looks like."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from lrlab.tasks.objective import Examples, Objective


@dataclass(frozen=True)
class Split:
    """One labelled split of a data set, held in memory.

    Args:
        x: inputs, shape ``(n, *input_shape)``: float32, or int64 token ids for a text task
            (see ``TaskData.vocab_size``).
        y: integer class labels, shape ``(n,)``, int64, values in ``[0, num_classes)``.

    Example:
        >>> split = Split(torch.zeros(3, 4), torch.tensor([0, 1, 0]))
        >>> len(split)
        3
    """

    x: torch.Tensor
    y: torch.Tensor

    def __post_init__(self) -> None:
        if self.y.ndim != 1 or self.x.shape[0] != self.y.shape[0]:
            raise ValueError(
                f"Split needs x of shape (n, ...) and y of shape (n,); "
                f"got x {tuple(self.x.shape)} and y {tuple(self.y.shape)}"
            )

    def __len__(self) -> int:
        return int(self.y.shape[0])


@dataclass(frozen=True)
class TaskData:
    """A task's data: train, validation and test splits.

    The validation split is the one that decides things (targets, early stopping, the
    schedulers' validation signals); the test split is evaluated once at the end and only
    reported.

    Args:
        train: the split the model is fitted on.
        val: the split used for every decision during and after training.
        test: the held-out split, reported only.
        num_classes: number of classes; labels lie in ``[0, num_classes)``.
        input_shape: shape of one example, e.g. ``(40,)`` or ``(1, 8, 8)``.
        vocab_size: for text tasks, the number of token ids: inputs are int64 ids in
            ``[0, vocab_size)``, id 0 is padding, padding comes last; build the model with
            ``build_model(..., vocab_size=data.vocab_size)``. None (default): float inputs.
        objective: for a task that is not tensor classification (extractive QA, speech), how
            its model is built, trained and judged; its splits are then
            :class:`~lrlab.tasks.objective.Examples`, ``num_classes`` is 0 and ``input_shape``
            is ``()``. None (default): classification of the tensors of the ``Split`` objects.
    """

    train: Split | Examples
    val: Split | Examples
    test: Split | Examples
    num_classes: int
    input_shape: tuple[int, ...]
    vocab_size: int | None = None
    objective: Objective | None = None
