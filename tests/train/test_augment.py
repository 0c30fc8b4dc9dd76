"""Augmentations keep shapes and labels' content, change the batch, and follow the generator."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from lrlab.train.augment import augmentation_for, flip_rotate_jitter, shift_images, shift_signals


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


def cifar_like(n: int = 16) -> torch.Tensor:
    from lrlab.tasks.images import CIFAR10

    pixels = torch.rand(n, 3, 32, 32, generator=generator(3)) * 0.6 + 0.2
    return (pixels - torch.tensor(CIFAR10.mean).view(1, 3, 1, 1)) / torch.tensor(CIFAR10.std).view(1, 3, 1, 1)


def test_cifar10_gets_flip_rotation_and_colour_jitter() -> None:
    assert augmentation_for("cifar10", (3, 32, 32)) is flip_rotate_jitter
    assert augmentation_for("mnist", (1, 28, 28)) is shift_images


def test_without_rotation_and_jitter_each_image_is_itself_or_its_mirror() -> None:
    x = cifar_like()
    out = flip_rotate_jitter(x, generator(), max_degrees=0.0, jitter=0.0)
    flipped = [torch.allclose(out[i], x[i].flip(-1), atol=1e-5) for i in range(len(x))]
    same = [torch.allclose(out[i], x[i], atol=1e-5) for i in range(len(x))]
    assert all(f or s for f, s in zip(flipped, same, strict=True))
    assert 0 < sum(flipped) < len(x)  # about half are mirrored


def test_brightness_jitter_scales_pixels_within_its_range() -> None:
    from lrlab.tasks.images import CIFAR10

    x = cifar_like()
    out = flip_rotate_jitter(x, generator(), max_degrees=0.0, jitter=0.2)
    mean, std = torch.tensor(CIFAR10.mean).view(1, 3, 1, 1), torch.tensor(CIFAR10.std).view(1, 3, 1, 1)
    pixels = out * std + mean
    assert pixels.min() >= -1e-6 and pixels.max() <= 1 + 1e-6
    ratio = pixels.mean(dim=(1, 2, 3)) / (x * std + mean).mean(dim=(1, 2, 3))
    assert ((ratio > 0.75) & (ratio < 1.25)).all() and ratio.std() > 0.01


def test_rotation_keeps_the_centre_and_fills_corners_with_the_mean_colour() -> None:
    x = cifar_like(8)
    out = flip_rotate_jitter(x, generator(), max_degrees=15.0, jitter=0.0)
    assert out.shape == x.shape and torch.isfinite(out).all()
    assert not torch.allclose(out, x)
    corners = out[:, :, [0, 0, -1, -1], [0, -1, 0, -1]]
    assert corners.abs().mean() < x[:, :, [0, 0, -1, -1], [0, -1, 0, -1]].abs().mean()


def test_flip_rotate_jitter_follows_the_generator() -> None:
    x = cifar_like()
    assert torch.equal(flip_rotate_jitter(x, generator(1)), flip_rotate_jitter(x, generator(1)))
    assert not torch.equal(flip_rotate_jitter(x, generator(1)), flip_rotate_jitter(x, generator(2)))
