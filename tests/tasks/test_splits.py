import numpy as np
import pytest

from lrlab.tasks.splits import stratified_holdout, stratified_three_way

LABELS = np.repeat(np.arange(4), [50, 30, 70, 50])  # 200 examples, unbalanced classes


def test_three_way_is_a_disjoint_cover_of_the_right_sizes():
    train, val, test = stratified_three_way(LABELS)
    assert len(train) == 120 and len(val) == 40 and len(test) == 40
    joined = np.concatenate([train, val, test])
    assert sorted(joined.tolist()) == list(range(len(LABELS)))


def test_three_way_keeps_class_proportions():
    for part in stratified_three_way(LABELS):
        shares = np.bincount(LABELS[part], minlength=4) / len(part)
        np.testing.assert_allclose(shares, [0.25, 0.15, 0.35, 0.25], atol=0.03)


def test_splits_depend_only_on_the_split_seed():
    np.random.seed(1)
    first = stratified_three_way(LABELS)
    np.random.seed(2)
    second = stratified_three_way(LABELS)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    other_seed = stratified_three_way(LABELS, seed=7)
    assert not np.array_equal(first[0], other_seed[0])


def test_holdout_fraction_is_validated():
    with pytest.raises(ValueError, match="holdout_fraction"):
        stratified_holdout(LABELS, 1.0)
    with pytest.raises(ValueError, match="val_fraction and test_fraction"):
        stratified_three_way(LABELS, val_fraction=0.5, test_fraction=0.5)
