"""Image classification from the hub: CIFAR-10 and MNIST, as normalised float tensors in memory.

Expected schema (the hub's, and that of a folder saved with ``save_to_disk``):

* ``uoft-cs/cifar10``: splits ``train`` (50 000) and ``test`` (10 000); columns ``img``
  (``datasets.Image``, 32x32 RGB) and ``label`` (``ClassLabel``, 10 classes).
* ``ylecun/mnist``: splits ``train`` (60 000) and ``test`` (10 000); columns ``image``
  (``datasets.Image``, 28x28 grey) and ``label`` (``ClassLabel``, 10 classes).

Neither has a validation split: a stratified 10% of train, drawn with the fixed ``SPLIT_SEED``,
is the validation split (CIFAR-10: 45 000 / 5 000 / 10 000; MNIST: 54 000 / 6 000 / 10 000);
the hub's test split is the test split. Pixels are scaled to [0, 1], then each channel is
standardised with the data set's usual mean and standard deviation (those of its train split).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lrlab.tasks.data import TaskData
from lrlab.tasks.hub import check_columns, load_hub_dataset, local_copy, train_val_test
from lrlab.tasks.tensors import Arrays, task_data

if TYPE_CHECKING:
    from datasets import Dataset

VAL_FRACTION = 0.1
DECODE_BATCH = 1000  # images decoded at a time (memory only)


@dataclass(frozen=True)
class ImageSet:
    """What a hub image data set is and how its pixels are normalised.

    Args:
        hub_id: the data set's id on the hub.
        image_column: the ``datasets.Image`` column.
        label_column: the ``ClassLabel`` column.
        mode: PIL mode every image is converted to (``"RGB"``, ``"L"``).
        size: ``(height, width)`` every image must have.
        mean: per-channel mean of the [0, 1] pixels.
        std: per-channel standard deviation of the [0, 1] pixels.
        num_classes: number of classes.
    """

    hub_id: str
    image_column: str
    label_column: str
    mode: str
    size: tuple[int, int]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    num_classes: int

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return (len(self.mean), *self.size)


CIFAR10 = ImageSet(
    hub_id="uoft-cs/cifar10", image_column="img", label_column="label", mode="RGB", size=(32, 32),
    # The per-channel mean and standard deviation of the 50 000 training images.
    mean=(0.4914, 0.4822, 0.4465), std=(0.2470, 0.2435, 0.2616), num_classes=10,
)
MNIST = ImageSet(
    hub_id="ylecun/mnist", image_column="image", label_column="label", mode="L", size=(28, 28),
    mean=(0.1307,), std=(0.3081,), num_classes=10,
)


def normalised_images(images: Iterable[Any], spec: ImageSet) -> np.ndarray:
    """PIL images -> ``(n, C, H, W)`` float32, each channel standardised with ``spec``'s mean/std.

    Example:
        >>> from PIL import Image
        >>> white = Image.new("L", (28, 28), color=255)
        >>> x = normalised_images([white], MNIST)
        >>> x.shape, round(float(x[0, 0, 0, 0]), 4)
        ((1, 1, 28, 28), 2.8215)
    """
    pixels = []
    for image in images:
        image = image.convert(spec.mode)
        if image.size[::-1] != spec.size:  # PIL gives (width, height)
            raise ValueError(f"{spec.hub_id}: an image of size {image.size[::-1]} (height, width); "
                             f"every image should be {spec.size}")
        pixels.append(np.asarray(image, dtype=np.uint8))
    if not pixels:
        return np.zeros((0, *spec.input_shape), dtype=np.float32)
    array = np.stack(pixels).reshape(len(pixels), *spec.size, -1)  # (n, H, W, C); "L" has no C
    scaled = array.astype(np.float32) / 255.0
    mean, std = np.asarray(spec.mean, np.float32), np.asarray(spec.std, np.float32)
    return np.ascontiguousarray(((scaled - mean) / std).transpose(0, 3, 1, 2))


def _split_arrays(split: Dataset, spec: ImageSet) -> Arrays:
    batches = [normalised_images(batch[spec.image_column], spec)
               for batch in split.iter(batch_size=DECODE_BATCH)]
    x = np.concatenate(batches) if batches else np.zeros((0, *spec.input_shape), np.float32)
    return x, np.asarray(split.with_format("numpy")[spec.label_column], dtype=np.int64)


@lru_cache(maxsize=2)
def _prepared(spec: ImageSet, local_path: str | None, cache_dir: str | None) -> tuple[Arrays, ...]:
    """The three splits' arrays, once per process and source (decoding takes seconds)."""
    data = load_hub_dataset(spec.hub_id, local_path=local_path, cache_dir=cache_dir)
    for split in data.values():
        check_columns(split, {spec.image_column: "datasets.Image",
                              spec.label_column: f"ClassLabel, {spec.num_classes} classes"}, spec.hub_id)
    splits = train_val_test(data, spec.label_column, val_split=None, val_fraction=VAL_FRACTION)
    return tuple(_split_arrays(split, spec) for split in splits)


def load_image_set(spec: ImageSet, *, local_path: str | Path | None = None,
                   cache_dir: str | Path | None = None) -> TaskData:
    """The task data of ``spec``: fresh tensors of the cached arrays on every call.

    ``local_path`` (a ``save_to_disk`` folder) defaults to ``$LRLAB_DATA_DIR/<hub id>`` where that
    exists, else the hub and its cache (see :mod:`lrlab.tasks.hub`).
    """
    path = Path(local_path) if local_path is not None else local_copy(spec.hub_id)
    arrays = _prepared(spec, None if path is None else str(path.resolve()),
                       None if cache_dir is None else str(cache_dir))
    return task_data(arrays, spec.num_classes)


def load_cifar10(*, local_path: str | Path | None = None,
                 cache_dir: str | Path | None = None) -> TaskData:
    """CIFAR-10: ``(3, 32, 32)`` float32 standardised per channel, 10 classes."""
    return load_image_set(CIFAR10, local_path=local_path, cache_dir=cache_dir)


def load_mnist(*, local_path: str | Path | None = None,
               cache_dir: str | Path | None = None) -> TaskData:
    """MNIST: ``(1, 28, 28)`` float32 standardised, 10 classes."""
    return load_image_set(MNIST, local_path=local_path, cache_dir=cache_dir)
