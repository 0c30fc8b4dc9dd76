"""Turning a loader's cached NumPy arrays into the fresh tensors of a :class:`TaskData`."""

from __future__ import annotations

import numpy as np
import torch

from lrlab.tasks.data import Split, TaskData

Arrays = tuple[np.ndarray, np.ndarray]
"""``(x, y)`` of one split: inputs and integer labels."""


def to_split(x: np.ndarray, y: np.ndarray) -> Split:
    """Fresh tensors, so callers cannot change cached arrays: float inputs as float32, integer
    inputs (token ids) as int64, labels as int64."""
    dtype = torch.int64 if np.issubdtype(x.dtype, np.integer) else torch.float32
    return Split(torch.tensor(x, dtype=dtype), torch.tensor(y, dtype=torch.int64))


def task_data(splits: tuple[Arrays, ...], num_classes: int, vocab_size: int | None = None) -> TaskData:
    """A :class:`TaskData` of the ``(train, val, test)`` arrays.

    Example:
        >>> split = (np.zeros((2, 3)), np.array([0, 1]))
        >>> task_data((split, split, split), num_classes=2).input_shape
        (3,)
    """
    train, val, test = (to_split(x, y) for x, y in splits)
    return TaskData(train, val, test, num_classes, tuple(train.x.shape[1:]), vocab_size=vocab_size)
