"""LeNet-5 (LeCun et al. 1998), the small CNN of the 28x28 image tasks: cheap enough to train
for many epochs on one CPU thread."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from lrlab.tasks.shapes import check_input_shape

MIN_SIZE = 12  # the smallest height and width the two convolutions and poolings leave a pixel of


class LeNet5(nn.Module):
    """Two 5x5 convolutions (6 and 16 channels, the first padded) each followed by ReLU and 2x2
    max pooling, then fully connected layers of 120 and 84 units and the logits: LeNet-5 with
    ReLU and max pooling, as it is usually trained today. On 28x28 inputs: 61,706 weights for
    10 classes, about 0.4 M multiply-adds per image.

    Args:
        in_channels: channels of the image (1 for ``(H, W)`` inputs).
        size: ``(H, W)``, each at least 12.
        num_classes: number of output logits.
        dropout: dropout probability before the last layer, in ``[0, 1)``; default 0.

    Example:
        >>> LeNet5(1, (28, 28), 10)(torch.zeros(2, 1, 28, 28)).shape
        torch.Size([2, 10])
    """

    def __init__(self, in_channels: int, size: tuple[int, int], num_classes: int, dropout: float = 0.0):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        )
        with torch.no_grad():
            flat = self.features(torch.zeros(1, in_channels, *size)).shape[1]
        self.head = nn.Sequential(
            nn.Linear(flat, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
            nn.Dropout(dropout), nn.Linear(84, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim == 3:  # (batch, H, W): one channel
            x = x.unsqueeze(1)
        return self.head(self.features(x))


def build_lenet5(
    input_shape: tuple[int, ...],
    num_classes: int,
    *,
    dropout: float = 0.0,
    width: int | None = None,
) -> LeNet5:
    """Build a :class:`LeNet5` for ``(H, W)`` or ``(C, H, W)`` images of at least 12x12; its
    sizes are LeNet-5's, so ``width`` must be None."""
    shape = check_input_shape("lenet5", input_shape, (2, 3), "(H, W) or (C, H, W) images")
    if width is not None:
        raise ValueError(f"model 'lenet5' has LeNet-5's fixed sizes; width must be None, got {width!r}")
    channels, size = (1, shape) if len(shape) == 2 else (shape[0], shape[1:])
    if min(size) < MIN_SIZE:
        raise ValueError(f"model 'lenet5' cannot take input shape {shape}: images must be at least "
                         f"{MIN_SIZE}x{MIN_SIZE}")
    return LeNet5(channels, (size[0], size[1]), num_classes, dropout=dropout)
