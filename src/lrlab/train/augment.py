"""Small label-preserving augmentations, drawn from the epoch's generator.

Which augmentation a trial gets is decided once, at the start, from the task's input shape:

* ``cifar10``: the usual CIFAR-10 recipe: a random horizontal flip, a rotation by up to 15
  degrees and colour jitter (brightness, contrast and saturation each scaled by a factor in
  [0.8, 1.2]), see :func:`flip_rotate_jitter`;
* other images ``(C, H, W)``: each example is shifted by up to 1 pixel in each direction
  (zero padding, then a crop at a random offset);
* the ``mnist1d`` signals ``(L,)`` or ``(C, L)``: each example is shifted circularly by up to
  2 steps, and Gaussian noise of 0.02 times the example's own standard deviation is added.

Other tasks (the tabular ones: wine, breast_cancer) have no transform that is known to keep
their labels, so asking for augmentation there is an error, not a silent no-op.

The random numbers come from a CPU :class:`torch.Generator` (the loop's per-epoch one), so a
batch is augmented the same way on every run, resumed or not, on CPU or GPU.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from lrlab.tasks.images import CIFAR10

Augmentation = Callable[[Tensor, torch.Generator], Tensor]

MAX_SHIFT_PIXELS = 1
MAX_SHIFT_STEPS = 2
NOISE_FRACTION = 0.02


def shift_images(x: Tensor, generator: torch.Generator, max_shift: int = MAX_SHIFT_PIXELS) -> Tensor:
    """Shift each image of ``x`` ``(N, C, H, W)`` by up to ``max_shift`` pixels (zeros fill in).

    Example:
        >>> x = torch.arange(9.0).view(1, 1, 3, 3)
        >>> shift_images(x, torch.Generator().manual_seed(0)).shape
        torch.Size([1, 1, 3, 3])
    """
    n, channels, height, width = x.shape
    offsets = torch.randint(0, 2 * max_shift + 1, (2, n), generator=generator).to(x.device)
    padded = F.pad(x, (max_shift, max_shift, max_shift, max_shift))
    rows = offsets[0][:, None] + torch.arange(height, device=x.device)  # (N, H)
    cols = offsets[1][:, None] + torch.arange(width, device=x.device)  # (N, W)
    examples = torch.arange(n, device=x.device)[:, None, None, None]
    channel = torch.arange(channels, device=x.device)[None, :, None, None]
    return padded[examples, channel, rows[:, None, :, None], cols[:, None, None, :]]


def flip_rotate_jitter(
    x: Tensor,
    generator: torch.Generator,
    mean: tuple[float, ...] = CIFAR10.mean,
    std: tuple[float, ...] = CIFAR10.std,
    max_degrees: float = 15.0,
    jitter: float = 0.2,
) -> Tensor:
    """Flip, rotate and colour-jitter each RGB image of ``x`` ``(N, 3, H, W)``, standardised with
    ``mean``/``std`` (default CIFAR-10's).

    Per image: colour jitter on the [0, 1] pixels (brightness ``p * b``, then contrast
    ``(p - m) * c + m`` around the image's mean grey ``m``, then saturation ``(p - g) * s + g``
    around each pixel's grey ``g``, factors uniform in ``[1 - jitter, 1 + jitter]``, clipped to
    [0, 1]); a horizontal flip with probability 1/2; a rotation by an angle uniform in
    ``[-max_degrees, max_degrees]`` (bilinear; corners filled with the mean colour, i.e. zeros of
    the standardised image).

    Example:
        >>> x = torch.zeros(2, 3, 32, 32)
        >>> flip_rotate_jitter(x, torch.Generator().manual_seed(0)).shape
        torch.Size([2, 3, 32, 32])
    """
    n = x.shape[0]
    factors = 1.0 + jitter * (2.0 * torch.rand(3, n, generator=generator) - 1.0)
    flips = torch.rand(n, generator=generator) < 0.5
    angles = math.radians(max_degrees) * (2.0 * torch.rand(n, generator=generator) - 1.0)
    brightness, contrast, saturation = (f.view(n, 1, 1, 1).to(x) for f in factors)
    mean_t = torch.tensor(mean, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
    std_t = torch.tensor(std, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
    luminance = torch.tensor((0.299, 0.587, 0.114), dtype=x.dtype, device=x.device).view(1, 3, 1, 1)

    pixels = (x * std_t + mean_t) * brightness
    mean_grey = (pixels * luminance).sum(dim=1, keepdim=True).mean(dim=(2, 3), keepdim=True)
    pixels = (pixels - mean_grey) * contrast + mean_grey
    grey = (pixels * luminance).sum(dim=1, keepdim=True)
    pixels = ((pixels - grey) * saturation + grey).clamp(0.0, 1.0)
    out = (pixels - mean_t) / std_t
    out = torch.where(flips.view(n, 1, 1, 1).to(x.device), out.flip(-1), out)
    cos, sin = torch.cos(angles), torch.sin(angles)
    zeros = torch.zeros(n)
    theta = torch.stack([torch.stack([cos, -sin, zeros], 1), torch.stack([sin, cos, zeros], 1)], 1)
    grid = F.affine_grid(theta.to(x), list(x.shape), align_corners=False)
    return F.grid_sample(out, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def shift_signals(x: Tensor, generator: torch.Generator, max_shift: int = MAX_SHIFT_STEPS,
                  noise: float = NOISE_FRACTION) -> Tensor:
    """Roll each signal of ``x`` ``(N, L)`` or ``(N, C, L)`` by up to ``max_shift`` steps, add noise.

    The noise's standard deviation is ``noise`` times the example's own standard deviation.

    Example:
        >>> x = torch.randn(4, 40, generator=torch.Generator().manual_seed(1))
        >>> shift_signals(x, torch.Generator().manual_seed(0)).shape
        torch.Size([4, 40])
    """
    n, length = x.shape[0], x.shape[-1]
    shifts = torch.randint(-max_shift, max_shift + 1, (n,), generator=generator)
    gaussian = torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device)
    # out[i, ..., j] = x[i, ..., j - shift_i]: torch.roll with a different shift per example.
    source = (torch.arange(length) - shifts[:, None]) % length  # (N, L)
    source = source.view(n, *([1] * (x.ndim - 2)), length).expand(x.shape).to(x.device)
    scale = x.flatten(1).std(dim=1).view(n, *([1] * (x.ndim - 1)))
    return x.gather(-1, source) + gaussian * noise * scale


def augmentation_for(task: str, input_shape: tuple[int, ...]) -> Augmentation:
    """The augmentation of ``task``'s examples; ``ValueError`` where none is defined."""
    if task == "cifar10" and tuple(input_shape) == CIFAR10.input_shape:
        return flip_rotate_jitter
    if len(input_shape) == 3:
        return shift_images
    if task == "mnist1d" and len(input_shape) in (1, 2):
        return shift_signals
    raise ValueError(
        f"augmentation is not defined for task {task!r} (inputs of shape {tuple(input_shape)}): "
        "it is defined for images (C, H, W) and the mnist1d signals; set augmentation = false"
    )
