"""The fetched data sets themselves (``lrlab data fetch all``; CI fetches them): sizes, classes and
splits as documented, and a short trial on real images and real letters. Each test skips where its
data set is not in the cache."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from lrlab.data import present, status
from lrlab.tasks import get_task
from lrlab.train import TrialSpec
from lrlab.train.trial import run_trial


def needs(name: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(not present(name), reason=f"`lrlab data fetch {name}` has not run here")


def rows(x: torch.Tensor) -> set[bytes]:
    return {row.numpy().tobytes() for row in x.reshape(len(x), -1)}


@pytest.mark.parametrize("name", ["adult", "fashion_mnist", "letter", "mnist5k", "rotten_tomatoes"])
def test_every_fetched_file_has_its_recorded_checksum(name: str) -> None:
    states = status(name)
    if all(s.state == "missing" for s in states):
        pytest.skip(f"`lrlab data fetch {name}` has not run here")
    assert [s.state for s in states] == ["ok"] * len(states)


@needs("fashion_mnist")
def test_fashion_mnist_and_its_quick_subset() -> None:
    full, quick = get_task("fashion_mnist").load(), get_task("fashion_mnist_10k").load()
    assert (len(full.train), len(full.val), len(full.test)) == (54000, 6000, 10000)
    assert (len(quick.train), len(quick.val), len(quick.test)) == (8000, 2000, 10000)
    assert quick.train.y.bincount().tolist() == [800] * 10 and quick.val.y.bincount().tolist() == [200] * 10
    assert full.test.y.bincount().tolist() == [1000] * 10 and torch.equal(full.test.x, quick.test.x)
    assert int(full.test.y[0]) == 9  # the official test set's first image is an ankle boot
    official_train = rows(torch.cat([full.train.x, full.val.x]))
    assert rows(quick.train.x) <= official_train and rows(quick.val.x) <= official_train
    assert not rows(quick.train.x) & rows(quick.val.x)
    assert abs(float(full.train.x.mean())) < 0.01 and abs(float(full.train.x.std()) - 1) < 0.01


@needs("mnist5k")
def test_mnist5k() -> None:
    data = get_task("mnist5k").load()
    assert (len(data.train), len(data.val), len(data.test)) == (3000, 1000, 1000)
    assert data.test.y.bincount().tolist() == [100] * 10


@needs("adult")
def test_adult_from_uci_files(monkeypatch: pytest.MonkeyPatch) -> None:
    data = get_task("adult").load()
    assert (len(data.train), len(data.val), len(data.test)) == (26048, 6513, 16281)
    assert data.input_shape == (108,)  # 102 one-hot categories ('?' included) + 6 numbers
    assert int(data.test.y.sum()) == 3846  # adult.test's ">50K." rows


@needs("letter")
def test_letter() -> None:
    data = get_task("letter").load()
    assert (len(data.train), len(data.val), len(data.test)) == (12800, 3200, 4000)
    assert data.num_classes == 26 and len(data.test.y.unique()) == 26


@needs("rotten_tomatoes")
def test_rotten_tomatoes() -> None:
    data = get_task("rotten_tomatoes").load()
    assert (len(data.train), len(data.val), len(data.test)) == (7650, 2551, 2551)
    assert abs(float(data.train.y.float().mean()) - 0.578) < 0.001  # fresh
    assert 8000 < data.vocab_size < 9000 and int((data.train.x != 0).sum(1).max()) < 64  # nothing cut


@needs("fashion_mnist")
@needs("letter")
def test_one_epoch_on_real_images_and_letters_learns(tmp_path: Path) -> None:
    torch.set_num_threads(1)
    for task, model, above in (("fashion_mnist_10k", "lenet5", 0.6), ("letter", "fcnn", 0.6)):
        spec = TrialSpec(task=task, model=model, metrics=("loss", "accuracy"), schedule="constant",
                         schedule_label="c", seed=0, epochs=1 if task != "letter" else 3, batch_size=64)
        result = run_trial(spec, tmp_path / task)
        assert result.status == "completed", result.error
        assert result.test["accuracy"] > above  # chance: 0.1 and 0.04
