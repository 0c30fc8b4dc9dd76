"""Fashion-MNIST (Xiao, Rasul and Vollgraf 2017): 28x28 grey images of 10 kinds of Zalando articles,
from the original IDX files that :mod:`lrlab.data` fetches (``lrlab data fetch fashion_mnist``).

Classes (label order): T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag,
Ankle boot; 6,000 training and 1,000 test images of each.

Two tasks:

* ``fashion_mnist``: all of it. Validation: a stratified 10% of the official training set
  (6,000), train: the other 54,000; test: the official 10,000 test images.
* ``fashion_mnist_10k``: the quick-budget subset. 10,000 images drawn stratified from the official
  training set (1,000 per class), of which a stratified 2,000 are validation and 8,000 train;
  test: the official 10,000 test images, so test accuracy compares with published numbers.

The files are checked (SHA-256) on every load; the arrays are kept once per process and folder.
Pixels are scaled to [0, 1] and standardised with the mean (0.2860) and standard deviation
(0.3530) of the official training images; inputs are ``(1, 28, 28)`` float32. Draws use the fixed
``SPLIT_SEED``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from lrlab.data import require
from lrlab.tasks.data import TaskData
from lrlab.tasks.idx import read_idx
from lrlab.tasks.splits import SPLIT_SEED, stratified_holdout
from lrlab.tasks.tensors import Arrays, task_data

DATASET = "fashion_mnist"
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Ankle boot")
MEAN, STD = 0.2860, 0.3530  # of the 60,000 official training images' pixels in [0, 1]
VAL_FRACTION = 0.1
SUBSET_TRAIN, SUBSET_VAL = 8000, 2000


def standardised(images: np.ndarray) -> np.ndarray:
    """``(n, 28, 28)`` bytes -> ``(n, 1, 28, 28)`` float32, standardised with :data:`MEAN`/:data:`STD`."""
    return ((images.astype(np.float32) / 255.0 - MEAN) / STD)[:, None]


@lru_cache(maxsize=1)
def _official(folder: Path) -> tuple[Arrays, Arrays]:
    """The official training and test sets, as bytes and labels, read once per process."""
    arrays = []
    for part in ("train", "t10k"):
        images = read_idx((folder / f"{part}-images-idx3-ubyte").read_bytes(), f"{DATASET} {part} images")
        labels = read_idx((folder / f"{part}-labels-idx1-ubyte").read_bytes(), f"{DATASET} {part} labels")
        if images.shape[1:] != (28, 28) or len(images) != len(labels):
            raise ValueError(f"{DATASET}: {part} images {images.shape} and labels {labels.shape} do not match")
        arrays.append((images, labels.astype(np.int64)))
    return arrays[0], arrays[1]


def _splits(folder: Path, train_indices: np.ndarray, val_indices: np.ndarray) -> tuple[Arrays, ...]:
    (images, labels), (test_images, test_labels) = _official(folder)
    return (*((standardised(images[i]), labels[i]) for i in (train_indices, val_indices)),
            (standardised(test_images), test_labels))


@lru_cache(maxsize=1)
def _full(folder: Path) -> tuple[Arrays, ...]:
    labels = _official(folder)[0][1]
    return _splits(folder, *stratified_holdout(labels, VAL_FRACTION, SPLIT_SEED))


@lru_cache(maxsize=1)
def _subset(folder: Path) -> tuple[Arrays, ...]:
    labels = _official(folder)[0][1]
    size = SUBSET_TRAIN + SUBSET_VAL
    _, drawn = stratified_holdout(labels, size / len(labels), SPLIT_SEED)
    train_in, val_in = stratified_holdout(labels[drawn], SUBSET_VAL / size, SPLIT_SEED)
    return _splits(folder, drawn[train_in], drawn[val_in])


def load_fashion_mnist() -> TaskData:
    """All of Fashion-MNIST: 54,000 train / 6,000 validation / 10,000 test, ``(1, 28, 28)``."""
    return task_data(_full(require(DATASET)), num_classes=len(CLASSES))


def load_fashion_mnist_10k() -> TaskData:
    """The quick subset: 8,000 train / 2,000 validation (drawn from the official training set) /
    the official 10,000 test images, ``(1, 28, 28)``."""
    return task_data(_subset(require(DATASET)), num_classes=len(CLASSES))
