"""UCI Adult (census income, Kohavi 1996): will a person earn more than $50K a year?

Expected schema (``scikit-learn/adult-census-income`` on the hub: the UCI ``adult.data`` file as
a CSV, 32 561 rows, one split ``train``; a folder saved with ``save_to_disk`` must match):

* numeric (``int64``): ``age``, ``fnlwgt``, ``education.num``, ``capital.gain``, ``capital.loss``,
  ``hours.per.week``;
* categorical (``string``; ``"?"`` marks a missing value and is kept as a category of its own):
  ``workclass``, ``education``, ``marital.status``, ``occupation``, ``relationship``, ``race``,
  ``sex``, ``native.country``;
* label ``income`` (``string``): ``"<=50K"`` (class 0) or ``">50K"`` (class 1); a trailing ``"."``
  (as in UCI's ``adult.test``) is ignored.

Splits: the data set's own ``validation``/``test`` splits where it has them; otherwise
stratified 60/20/20 train/validation/test slices with the fixed ``SPLIT_SEED``. Features: the
categorical columns one-hot encoded, the numeric ones standardised, by a scikit-learn
``ColumnTransformer`` fitted on the train split only (a category first seen outside train
encodes as all zeros).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from lrlab.tasks.data import TaskData
from lrlab.tasks.hub import check_columns, load_hub_dataset, local_copy, train_val_test
from lrlab.tasks.tensors import Arrays, task_data

if TYPE_CHECKING:
    import pandas as pd
    from datasets import Dataset

ADULT = "scikit-learn/adult-census-income"
NUMERIC = ("age", "fnlwgt", "education.num", "capital.gain", "capital.loss", "hours.per.week")
CATEGORICAL = ("workclass", "education", "marital.status", "occupation", "relationship", "race",
               "sex", "native.country")
LABEL = "income"
CLASSES = ("<=50K", ">50K")
MISSING = "?"


def income_labels(values: pd.Series) -> np.ndarray:
    """``"<=50K"`` -> 0 and ``">50K"`` -> 1 (spaces and a trailing ``"."`` ignored); ``ValueError``
    for anything else.

    Example:
        >>> import pandas as pd
        >>> income_labels(pd.Series([" <=50K", ">50K.", ">50K"])).tolist()
        [0, 1, 1]
    """
    cleaned = values.astype(str).str.strip().str.rstrip(".")
    unknown = sorted(set(cleaned) - set(CLASSES))
    if unknown:
        raise ValueError(f"{ADULT}: column {LABEL!r} holds {unknown[:5]}; expected one of {list(CLASSES)}")
    return (cleaned == CLASSES[1]).to_numpy(dtype=np.int64)


def _frame(split: Dataset) -> pd.DataFrame:
    frame = split.to_pandas()
    frame[list(CATEGORICAL)] = frame[list(CATEGORICAL)].fillna(MISSING).astype(str).apply(
        lambda column: column.str.strip())
    frame[list(NUMERIC)] = frame[list(NUMERIC)].astype(np.float64)
    return frame


def feature_encoder() -> ColumnTransformer:
    """One-hot categorical columns and standardised numeric ones; dense output."""
    return ColumnTransformer(
        [("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False), list(CATEGORICAL)),
         ("numeric", StandardScaler(), list(NUMERIC))],
        sparse_threshold=0.0,
    )


@lru_cache(maxsize=2)
def _prepared(local_path: str | None, cache_dir: str | None) -> tuple[Arrays, ...]:
    data = load_hub_dataset(ADULT, local_path=local_path, cache_dir=cache_dir)
    expected = {**dict.fromkeys(NUMERIC, "int64"), **dict.fromkeys(CATEGORICAL, "string"),
                LABEL: f"string, one of {list(CLASSES)}"}
    for split in data.values():
        check_columns(split, expected, ADULT)
    frames = [_frame(split) for split in
              train_val_test(data, LABEL, val_fraction=0.25, test_fraction=0.2)]
    encoder = feature_encoder().fit(frames[0])  # train only: nothing of val or test leaks in
    return tuple((encoder.transform(frame).astype(np.float32), income_labels(frame[LABEL]))
                 for frame in frames)


def load_adult(*, local_path: str | Path | None = None, cache_dir: str | Path | None = None) -> TaskData:
    """Adult: one-hot + standardised features (float32, about 108 of them), 2 classes.

    ``local_path`` (a ``save_to_disk`` folder) defaults to ``$LRLAB_DATA_DIR/<hub id>`` where that
    exists, else the hub and its cache (see :mod:`lrlab.tasks.hub`).
    """
    path = Path(local_path) if local_path is not None else local_copy(ADULT)
    arrays = _prepared(None if path is None else str(path.resolve()),
                       None if cache_dir is None else str(cache_dir))
    return task_data(arrays, num_classes=2)
