"""Residual networks for small images: ``resnet_small``, and CIFAR-style ``resnet18``/``resnet50``.

CIFAR-style means a 3x3 stem with stride 1 and no max-pool (He et al., 2016, section 4.2,
with the ImageNet block layouts); adaptive average pooling at the end lets the same network
take 32x32 and 8x8 images.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from lrlab.tasks.shapes import check_input_shape

IMAGE_SHAPES = "(H, W) or (C, H, W) images"


def _shortcut(in_channels: int, out_channels: int, stride: int) -> nn.Module:
    """Identity when shapes match, else a strided 1x1 projection with batch norm."""
    if stride == 1 and in_channels == out_channels:
        return nn.Identity()
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False),
        nn.BatchNorm2d(out_channels),
    )


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with batch norm and a shortcut; output has ``channels`` channels."""

    expansion = 1

    def __init__(self, in_channels: int, channels: int, stride: int = 1):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, channels, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels),
        )
        self.shortcut = _shortcut(in_channels, channels, stride)
        self.relu = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        return self.relu(self.body(x) + self.shortcut(x))


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (strided), 1x1 expand by 4, with a shortcut; output ``4 * channels``."""

    expansion = 4

    def __init__(self, in_channels: int, channels: int, stride: int = 1):
        super().__init__()
        out_channels = channels * self.expansion
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, channels, 1, bias=False),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
            nn.Conv2d(channels, channels, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
            nn.Conv2d(channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
        )
        self.shortcut = _shortcut(in_channels, out_channels, stride)
        self.relu = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        return self.relu(self.body(x) + self.shortcut(x))


class ResNet(nn.Module):
    """3x3 stem, stages of residual blocks (each after the first halves the resolution and
    doubles the channels), global average pooling, dropout, linear logits.

    Args:
        block: ``BasicBlock`` or ``Bottleneck``.
        blocks_per_stage: number of blocks in each stage, e.g. ``(2, 2, 2, 2)`` for ResNet-18.
        in_channels: channels of the image (1 for a plain ``(H, W)`` image).
        num_classes: number of output logits.
        width: channels of the stem and the first stage; default 64.
        dropout: dropout probability before the last layer, in ``[0, 1)``; default 0.

    Input: ``(batch, H, W)`` or ``(batch, C, H, W)``; in training mode batch norm needs more
    than one value per channel, so use batches of at least 2.
    """

    def __init__(
        self,
        block: type[BasicBlock] | type[Bottleneck],
        blocks_per_stage: Sequence[int],
        in_channels: int,
        num_classes: int,
        width: int = 64,
        dropout: float = 0.0,
    ):
        super().__init__()
        layers: list[nn.Module] = [
            nn.Conv2d(in_channels, width, 3, padding=1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(),
        ]
        channels_in = width
        for stage, num_blocks in enumerate(blocks_per_stage):
            channels = width * 2**stage
            for index in range(num_blocks):
                stride = 2 if stage > 0 and index == 0 else 1
                layers.append(block(channels_in, channels, stride))
                channels_in = channels * block.expansion
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout)]
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(channels_in, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim == 3:  # (batch, H, W): one channel
            x = x.unsqueeze(1)
        return self.classifier(self.features(x))


def _channels(model: str, input_shape: tuple[int, ...]) -> int:
    shape = check_input_shape(model, input_shape, (2, 3), IMAGE_SHAPES)
    return 1 if len(shape) == 2 else shape[0]


def build_resnet_small(
    input_shape: tuple[int, ...],
    num_classes: int,
    *,
    dropout: float = 0.0,
    width: int | None = None,
) -> ResNet:
    """Three basic blocks (one per stage) for 8x8 digits; ``width`` defaults to 16."""
    channels = _channels("resnet_small", input_shape)
    return ResNet(BasicBlock, (1, 1, 1), channels, num_classes, width or 16, dropout)


def build_resnet18(
    input_shape: tuple[int, ...],
    num_classes: int,
    *,
    dropout: float = 0.0,
    width: int | None = None,
) -> ResNet:
    """CIFAR-style ResNet-18: basic blocks ``(2, 2, 2, 2)``; ``width`` defaults to 64."""
    channels = _channels("resnet18", input_shape)
    return ResNet(BasicBlock, (2, 2, 2, 2), channels, num_classes, width or 64, dropout)


def build_resnet50(
    input_shape: tuple[int, ...],
    num_classes: int,
    *,
    dropout: float = 0.0,
    width: int | None = None,
) -> ResNet:
    """CIFAR-style ResNet-50: bottleneck blocks ``(3, 4, 6, 3)``; ``width`` defaults to 64."""
    channels = _channels("resnet50", input_shape)
    return ResNet(Bottleneck, (3, 4, 6, 3), channels, num_classes, width or 64, dropout)
