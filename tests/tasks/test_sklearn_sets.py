import torch

from lrlab.tasks.sklearn_sets import load_breast_cancer_task, load_digits_task, load_wine_task


def test_tabular_features_are_standardised_with_train_statistics_only():
    for load in (load_breast_cancer_task, load_wine_task):
        data = load()
        train = data.train.x.double()
        torch.testing.assert_close(
            train.mean(0), torch.zeros(train.shape[1], dtype=torch.float64), atol=1e-5, rtol=0
        )
        torch.testing.assert_close(
            train.std(0, unbiased=False),
            torch.ones(train.shape[1], dtype=torch.float64),
            atol=1e-4,
            rtol=0,
        )
        # had the scaler seen validation data, its mean would be exactly 0 too
        for held_out in (data.val.x.double(), data.test.x.double()):
            assert held_out.mean(0).abs().max() > 1e-3
            assert held_out.mean(0).abs().max() < 1.0


def test_digits_are_one_channel_images_in_unit_range():
    data = load_digits_task()
    assert data.input_shape == (1, 8, 8)
    for split in (data.train, data.val, data.test):
        assert split.x.min() == 0.0 and split.x.max() == 1.0


def test_splits_are_stratified():
    data = load_digits_task()
    for split in (data.train, data.val, data.test):
        counts = torch.bincount(split.y, minlength=10).double()
        assert (counts / len(split)).sub(0.1).abs().max() < 0.02
