"""CIFAR-10 and MNIST on fixtures in the hub's schema: shapes, normalisation, splits, a real trial."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

datasets = pytest.importorskip("datasets")

from lrlab.tasks import get_task  # noqa: E402
from lrlab.tasks.images import (  # noqa: E402
    CIFAR10,
    MNIST,
    ImageSet,
    _prepared,
    load_cifar10,
    load_mnist,
)
from lrlab.train import TrialSpec  # noqa: E402
from lrlab.train.trial import run_trial  # noqa: E402

CASES = [("cifar10", CIFAR10), ("mnist", MNIST)]


def expected_pixels(split: datasets.Dataset, spec: ImageSet) -> np.ndarray:
    """The fixture's images normalised by hand: [0, 1], minus mean, over std, channels first."""
    raw = np.stack([np.asarray(image, dtype=np.float64) for image in split[spec.image_column]])
    raw = raw.reshape(len(raw), *spec.size, -1) / 255.0
    return ((raw - np.asarray(spec.mean)) / np.asarray(spec.std)).transpose(0, 3, 1, 2)


def rows(x: torch.Tensor) -> set[bytes]:
    return {row.numpy().tobytes() for row in x.reshape(len(x), -1)}


@pytest.mark.parametrize(("task_name", "spec"), CASES)
def test_images_are_normalised_tensors_of_the_right_shape(data_dir: Path, task_name: str,
                                                          spec: ImageSet) -> None:
    data = get_task(task_name).load()
    fixture = datasets.load_from_disk(str(data_dir / spec.hub_id))
    assert data.input_shape == spec.input_shape and data.num_classes == 10
    assert data.vocab_size is None
    for split in (data.train, data.val, data.test):
        assert split.x.dtype == torch.float32 and split.y.dtype == torch.int64
        assert tuple(split.x.shape[1:]) == spec.input_shape
    # The test split is the hub's test split, in its order, normalised with the data set's statistics.
    np.testing.assert_allclose(data.test.x.numpy(), expected_pixels(fixture["test"], spec),
                               rtol=0, atol=1e-5)
    assert data.test.y.tolist() == list(fixture["test"]["label"])


@pytest.mark.parametrize(("task_name", "spec"), CASES)
def test_validation_is_a_fixed_stratified_tenth_of_train(data_dir: Path, task_name: str,
                                                         spec: ImageSet) -> None:
    data = get_task(task_name).load()
    fixture = datasets.load_from_disk(str(data_dir / spec.hub_id))
    assert (len(data.train), len(data.val), len(data.test)) == (90, 10, 20)
    assert sorted(data.val.y.tolist()) == list(range(10))  # one of each class
    train, val, test = rows(data.train.x), rows(data.val.x), rows(data.test.x)
    assert len(train) == 90 and not train & val and not train & test and not val & test
    everything = torch.tensor(expected_pixels(fixture["train"], spec), dtype=torch.float32)
    assert len(rows(everything)) == 100
    torch.testing.assert_close(torch.cat([data.train.x, data.val.x]).sort(dim=0).values,
                               everything.sort(dim=0).values, rtol=0, atol=1e-5)

    _prepared.cache_clear()  # decode again, with the training seed moved: the same splits
    torch.manual_seed(99)
    again = get_task(task_name).load()
    for first, second in zip((data.train, data.val, data.test), (again.train, again.val, again.test),
                             strict=True):
        assert torch.equal(first.x, second.x) and torch.equal(first.y, second.y)
    again.train.x.add_(1.0)  # each load is a fresh copy
    assert torch.equal(get_task(task_name).load().train.x, data.train.x)


def test_an_image_of_the_wrong_size_is_refused(tmp_path: Path) -> None:
    from PIL import Image

    features = datasets.Features({"img": datasets.Image(), "label": datasets.ClassLabel(num_classes=10)})
    wrong = datasets.Dataset.from_dict({"img": [Image.new("RGB", (28, 28))] * 100,
                                        "label": list(range(10)) * 10}, features=features)
    datasets.DatasetDict(train=wrong, test=wrong).save_to_disk(tmp_path / "cifar")
    with pytest.raises(ValueError, match=r"an image of size \(28, 28\).*should be \(32, 32\)"):
        load_cifar10(local_path=tmp_path / "cifar")


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    renamed = datasets.Dataset.from_dict({"picture": [0, 1], "label": [0, 1]})
    datasets.DatasetDict(train=renamed).save_to_disk(tmp_path / "mnist")
    with pytest.raises(ValueError, match=r"lacks column\(s\) image \(datasets.Image\)"):
        load_mnist(local_path=tmp_path / "mnist")


@pytest.mark.parametrize("augmentation", [False, True])
def test_a_trial_runs_end_to_end_on_the_cifar10_fixture(data_dir: Path, tmp_path: Path,
                                                        augmentation: bool) -> None:
    torch.set_num_threads(1)
    spec = TrialSpec(task="cifar10", model="cnn", metrics=("loss", "accuracy", "macro_f1"),
                     schedule="constant", schedule_label="test", seed=0, epochs=2, batch_size=30,
                     lr=1e-3, augmentation=augmentation)
    result = run_trial(spec, tmp_path / "trial")
    assert result.status == "completed", result.error
    assert len(result.steps) == 2 * 3 and len(result.epochs) == 2
    assert set(result.test) >= {"loss", "accuracy", "macro_f1"}
    assert result.summary["test_samples"] == 20
