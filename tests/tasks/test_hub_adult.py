"""UCI Adult on a fixture in the hub CSV's schema: one-hot + standardised on train only, labels, splits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

datasets = pytest.importorskip("datasets")

from lrlab.tasks import get_task  # noqa: E402
from lrlab.tasks.adult import CATEGORICAL, NUMERIC, load_adult  # noqa: E402
from lrlab.tasks.splits import stratified_holdout  # noqa: E402
from lrlab.train import TrialSpec  # noqa: E402
from lrlab.train.trial import run_trial  # noqa: E402
from tasks.hub_fixtures import ADULT_CATEGORIES, ADULT_NUMERIC, ADULT_ROWS, adult_table  # noqa: E402

ONE_HOT = sum(len(values) for values in ADULT_CATEGORIES.values())  # every category is in train


def test_the_fixture_has_the_schema_the_loader_expects() -> None:
    table = adult_table()
    assert set(table.column_names) == {*NUMERIC, *CATEGORICAL, "income"}
    assert set(ADULT_NUMERIC) == set(NUMERIC) and set(ADULT_CATEGORIES) == set(CATEGORICAL)


def test_features_are_one_hot_then_standardised_with_train_statistics_only(data_dir: Path) -> None:
    data = get_task("adult").load()
    assert data.num_classes == 2 and data.input_shape == (ONE_HOT + len(NUMERIC),)
    assert (len(data.train), len(data.val), len(data.test)) == (60, 20, 20)  # stratified 60/20/20
    for split in (data.train, data.val, data.test):
        assert split.x.dtype == torch.float32 and split.y.dtype == torch.int64
        one_hot = split.x[:, :ONE_HOT]
        assert set(one_hot.unique().tolist()) <= {0.0, 1.0}
        # one category per column: each block of one column's categories sums to 1
        start = 0
        for values in ADULT_CATEGORIES.values():
            assert torch.equal(one_hot[:, start:start + len(values)].sum(1), torch.ones(len(split)))
            start += len(values)
    numeric = data.train.x[:, ONE_HOT:].double()
    torch.testing.assert_close(numeric.mean(0), torch.zeros(len(NUMERIC), dtype=torch.float64),
                               atol=1e-5, rtol=0)
    torch.testing.assert_close(numeric.std(0, unbiased=False),
                               torch.ones(len(NUMERIC), dtype=torch.float64), atol=1e-4, rtol=0)
    for held_out in (data.val.x, data.test.x):  # had the scaler seen them, these means would be 0
        assert held_out[:, ONE_HOT:].double().mean(0).abs().max() > 1e-3


def test_income_is_the_binary_label_and_classes_are_stratified(data_dir: Path) -> None:
    data = get_task("adult").load()
    positives = [int(split.y.sum()) for split in (data.train, data.val, data.test)]
    assert positives == [15, 5, 5] and sum(positives) == ADULT_ROWS // 4


def test_numeric_columns_equal_a_by_hand_standardisation_with_the_train_rows(data_dir: Path) -> None:
    table = adult_table()
    labels = np.asarray(table["income"])
    rest, test = stratified_holdout(labels, 0.2)  # test first, then 25% of the rest for validation
    train_in_rest, val_in_rest = stratified_holdout(labels[rest], 0.25)
    indices = (rest[train_in_rest], rest[val_in_rest], test)
    raw = np.column_stack([np.asarray(table[column], dtype=np.float64) for column in NUMERIC])
    mean, std = raw[indices[0]].mean(0), raw[indices[0]].std(0)
    data = get_task("adult").load()
    for split, index in zip((data.train, data.val, data.test), indices, strict=True):
        np.testing.assert_allclose(split.x[:, ONE_HOT:].numpy(), (raw[index] - mean) / std,
                                   rtol=1e-5, atol=1e-5)
        assert split.y.tolist() == [int(labels[i] == ">50K") for i in index]


def test_labels_other_than_the_two_incomes_are_refused(tmp_path: Path) -> None:
    table = adult_table().map(lambda row: {"income": "unknown" if row["age"] < 20 else row["income"]})
    datasets.DatasetDict(train=table).save_to_disk(tmp_path / "adult")
    with pytest.raises(ValueError, match=r"column 'income' holds \['unknown'\]"):
        load_adult(local_path=tmp_path / "adult")


def test_a_trial_runs_on_the_adult_fixture(data_dir: Path, tmp_path: Path) -> None:
    torch.set_num_threads(1)
    spec = TrialSpec(task="adult", model="fcnn", metrics=("loss", "accuracy", "roc_auc"),
                     schedule="constant", schedule_label="test", seed=0, epochs=2, batch_size=16)
    result = run_trial(spec, tmp_path / "trial")
    assert result.status == "completed", result.error
    assert 0.0 <= result.test["roc_auc"] <= 1.0
