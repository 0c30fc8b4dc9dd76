"""Augmentations keep shapes and labels' content, change the batch, and follow the generator."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from lrlab.train.augment import augmentation_for, shift_images, shift_signals


def generator(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def images(n: int = 32) -> torch.Tensor:
    return torch.rand(n, 2, 8, 8, generator=generator(123)) + 0.5  # no zeros: padding shows


def test_shift_images_keeps_shape_and_changes_the_batch() -> None:
    x = images()
    out = shift_images(x, generator())
    assert out.shape == x.shape and out.dtype == x.dtype
    assert not torch.equal(out, x)


def test_each_image_is_a_shift_by_at_most_one_pixel() -> None:
    x = images()
    out = shift_images(x, generator())
    padded = F.pad(x, (1, 1, 1, 1))
    shifts = {(dy, dx): padded[:, :, dy:dy + 8, dx:dx + 8] for dy in range(3) for dx in range(3)}
    used = set()
    for i in range(len(x)):
        matches = [offset for offset, shifted in shifts.items() if torch.equal(out[i], shifted[i])]
        assert matches, f"image {i} is not a shift of its input"
        used.update(matches)
    assert len(used) > 3  # the offsets vary across the batch


def test_augmentation_follows_the_generator() -> None:
    x = images()
    assert torch.equal(shift_images(x, generator(1)), shift_images(x, generator(1)))
    assert not torch.equal(shift_images(x, generator(1)), shift_images(x, generator(2)))
    s = torch.randn(16, 40, generator=generator(5))
    assert torch.equal(shift_signals(s, generator(1)), shift_signals(s, generator(1)))


@pytest.mark.parametrize("shape", [(16, 40), (16, 3, 40)])
def test_shift_signals_is_a_small_roll_plus_small_noise(shape: tuple[int, ...]) -> None:
    x = torch.randn(shape, generator=generator(7))
    rolled = shift_signals(x, generator(), noise=0.0)
    assert rolled.shape == x.shape
    for i in range(shape[0]):
        assert any(torch.equal(rolled[i], torch.roll(x[i], k, dims=-1)) for k in range(-2, 3))
    noisy = shift_signals(x, generator())
    noise = noisy - rolled  # same generator: same shifts, then the noise
    ratio = noise.flatten(1).std(dim=1) / x.flatten(1).std(dim=1)
    assert torch.all((ratio > 0.01) & (ratio < 0.03))  # about 0.02 of each signal's std


def test_which_augmentation_each_task_gets() -> None:
    assert augmentation_for("digits", (1, 8, 8)) is shift_images
    assert augmentation_for("mnist1d", (40,)) is shift_signals
    for task, shape in (("wine", (13,)), ("breast_cancer", (30,))):
        with pytest.raises(ValueError, match=f"augmentation is not defined for task '{task}'"):
            augmentation_for(task, shape)
