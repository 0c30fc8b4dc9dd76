"""Small data sets that ship with scikit-learn: digits images, breast cancer and wine tables.

Each is split 60/20/20 into train, validation and test, stratified, with the fixed
``SPLIT_SEED``. Tabular features are standardised with the mean and standard deviation of
the train split only, so nothing of the validation or test split leaks into training.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
import torch
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.preprocessing import StandardScaler

from lrlab.tasks.data import Split, TaskData
from lrlab.tasks.splits import stratified_three_way

Arrays = tuple[np.ndarray, np.ndarray]


def _to_split(x: np.ndarray, y: np.ndarray) -> Split:
    """Fresh float32/int64 tensors, so callers cannot change the cached arrays."""
    return Split(torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.int64))


@lru_cache(maxsize=1)
def _digits_splits() -> tuple[Arrays, Arrays, Arrays]:
    images, labels = load_digits(return_X_y=True)
    images = (images / 16.0).reshape(-1, 1, 8, 8)  # pixel values 0..16 -> [0, 1]
    return tuple((images[i], labels[i]) for i in stratified_three_way(labels))


def _standardised_splits(loader: Callable[..., Arrays]) -> tuple[Arrays, Arrays, Arrays]:
    features, labels = loader(return_X_y=True)
    train, val, test = stratified_three_way(labels)
    scaler = StandardScaler().fit(features[train])
    return tuple((scaler.transform(features[i]), labels[i]) for i in (train, val, test))


@lru_cache(maxsize=1)
def _breast_cancer_splits() -> tuple[Arrays, Arrays, Arrays]:
    return _standardised_splits(load_breast_cancer)


@lru_cache(maxsize=1)
def _wine_splits() -> tuple[Arrays, Arrays, Arrays]:
    return _standardised_splits(load_wine)


def _task_data(splits: tuple[Arrays, Arrays, Arrays], num_classes: int) -> TaskData:
    train, val, test = (_to_split(x, y) for x, y in splits)
    return TaskData(train, val, test, num_classes, tuple(train.x.shape[1:]))


def load_digits_task() -> TaskData:
    """Digits: 8x8 images as ``(1, 8, 8)`` float32 in [0, 1], 10 classes, 1797 examples."""
    return _task_data(_digits_splits(), num_classes=10)


def load_breast_cancer_task() -> TaskData:
    """Breast cancer (Wisconsin): 30 standardised features, 2 classes, 569 examples."""
    return _task_data(_breast_cancer_splits(), num_classes=2)


def load_wine_task() -> TaskData:
    """Wine: 13 standardised features, 3 classes, 178 examples."""
    return _task_data(_wine_splits(), num_classes=3)
