"""MNIST-1D (Greydanus, 2020): 40-sample 1-D signals of the ten digits, generated locally.

The generator's standard arguments give 4000 training and 1000 test signals. A stratified
20% of the training signals, drawn with the fixed ``SPLIT_SEED``, is the validation split;
the generator's test signals are the test split.
"""

from __future__ import annotations

import random
from functools import lru_cache

import numpy as np
import torch

from lrlab.tasks.data import Split, TaskData
from lrlab.tasks.splits import SPLIT_SEED, stratified_holdout

VAL_FRACTION = 0.2


@lru_cache(maxsize=1)
def _generate() -> dict[str, np.ndarray]:
    """Generate the data set once per process, in memory.

    ``make_dataset`` writes no file (unlike ``get_dataset``, which pickles into the current
    directory), but it reseeds Python's and NumPy's global generators; their states are put
    back so that loading the data changes no one else's randomness.
    """
    from mnist1d.data import get_dataset_args, make_dataset

    python_state, numpy_state = random.getstate(), np.random.get_state()
    try:
        generated = make_dataset(get_dataset_args())
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)
    return {key: np.asarray(generated[key]) for key in ("x", "y", "x_test", "y_test")}


def _split(x: np.ndarray, y: np.ndarray) -> Split:
    """Fresh float32/int64 tensors, so callers cannot change the cached arrays."""
    return Split(torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.int64))


def load_mnist1d() -> TaskData:
    """MNIST-1D: inputs ``(40,)`` float32, 10 classes, 3200 / 800 / 1000 examples."""
    arrays = _generate()
    train, val = stratified_holdout(arrays["y"], VAL_FRACTION, SPLIT_SEED)
    return TaskData(
        train=_split(arrays["x"][train], arrays["y"][train]),
        val=_split(arrays["x"][val], arrays["y"][val]),
        test=_split(arrays["x_test"], arrays["y_test"]),
        num_classes=10,
        input_shape=(int(arrays["x"].shape[1]),),
    )
