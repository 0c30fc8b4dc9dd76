"""Device choice, per-epoch generators, balanced class weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.utils.class_weight import compute_class_weight

from lrlab.tasks import get_task
from lrlab.train.data import balanced_class_weights, epoch_generator, resolve_device


def order(seed: int, epoch: int) -> torch.Tensor:
    return torch.randperm(100, generator=epoch_generator(seed, epoch))


def test_epoch_generator_depends_on_seed_and_epoch_only() -> None:
    assert torch.equal(order(3, 2), order(3, 2))
    assert not torch.equal(order(3, 2), order(3, 3))
    assert not torch.equal(order(3, 2), order(4, 2))
    assert not torch.equal(order(0, 1), order(1, 0))  # the pair is mixed, not added
    assert torch.equal(order(-1, 0), order(-1, 0))  # negative seeds are allowed


def test_balanced_weights_come_from_the_training_labels() -> None:
    data = get_task("breast_cancer").load()
    weights = balanced_class_weights(data.train.y, data.num_classes)
    expected = compute_class_weight("balanced", classes=np.arange(2), y=data.train.y.numpy())
    assert weights.dtype == torch.float32
    assert torch.allclose(weights, torch.tensor(expected, dtype=torch.float32))
    counts = torch.bincount(data.train.y)
    assert weights[counts.argmin()] > 1.0 > weights[counts.argmax()]  # the rare class weighs more


def test_balanced_weights_reject_a_class_without_training_examples() -> None:
    with pytest.raises(ValueError, match=r"classes \[2\] have no training example"):
        balanced_class_weights(torch.tensor([0, 1, 1]), 3)


def test_resolve_device() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(ValueError, match="'cpu' or 'cuda'"):
        resolve_device("tpu")
    with pytest.raises(ValueError, match="'cpu' or 'cuda'"):
        resolve_device("not a device")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_a_gpu_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="CUDA is not available"):
        resolve_device("cuda")
