"""UCI Letter Recognition (Frey and Slate 1991): 20,000 black-and-white images of the 26 capital
letters in 20 fonts, randomly distorted, each described by 16 integer features (0-15: box size and
position, pixel counts, moments, edge counts), from UCI's ``letter-recognition.data`` that
:mod:`lrlab.data` fetches (``lrlab data fetch letter``).

Splits: the data set's conventional one (UCI: "We typically train on the first 16000 items and
then use the resulting model to predict the letter category for the remaining 4000"): test = the
last 4,000 rows; validation = a stratified 20% of the first 16,000 (3,200), train = the other
12,800. Features are standardised with the train split's mean and standard deviation; labels
``A``..``Z`` are 0..25.
"""

from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

import numpy as np
from sklearn.preprocessing import StandardScaler

from lrlab.data import require
from lrlab.data.catalog import LETTER_FILE
from lrlab.tasks.data import TaskData
from lrlab.tasks.splits import SPLIT_SEED, stratified_holdout
from lrlab.tasks.tensors import Arrays, task_data

DATASET = "letter"
CLASSES = tuple(string.ascii_uppercase)
TRAIN_ROWS = 16000  # the conventional split: the first 16,000 rows to learn from, the rest to test
VAL_FRACTION = 0.2


def read_letters(text: str) -> tuple[np.ndarray, np.ndarray]:
    """``(n, 16)`` float64 features and ``(n,)`` int64 labels (A=0 ... Z=25) of UCI's text format.

    Example:
        >>> x, y = read_letters("T,2,8,3,5,1,8,13,0,6,6,10,8,0,8,0,8\\nA,1,1,3,2,1,8,2,2,2,8,2,8,1,6,2,7\\n")
        >>> x.shape, y.tolist()
        ((2, 16), [19, 0])
    """
    rows = [line.split(",") for line in text.splitlines() if line.strip()]
    if any(len(row) != 17 or row[0] not in CLASSES for row in rows):
        raise ValueError(f"{DATASET}: every row must be a capital letter and 16 integers")
    labels = np.asarray([CLASSES.index(row[0]) for row in rows], dtype=np.int64)
    return np.asarray([row[1:] for row in rows], dtype=np.float64), labels


@lru_cache(maxsize=1)
def _prepared(folder: Path) -> tuple[Arrays, ...]:
    features, labels = read_letters((folder / LETTER_FILE).read_text(encoding="ascii"))
    train, val = stratified_holdout(labels[:TRAIN_ROWS], VAL_FRACTION, SPLIT_SEED)
    test = np.arange(TRAIN_ROWS, len(labels))
    scaler = StandardScaler().fit(features[train])  # train only: nothing of val or test leaks in
    return tuple((scaler.transform(features[i]).astype(np.float32), labels[i]) for i in (train, val, test))


def load_letter() -> TaskData:
    """Letter Recognition: 16 standardised features, 26 classes; 12,800 / 3,200 / 4,000."""
    return task_data(_prepared(require(DATASET)), num_classes=len(CLASSES))
