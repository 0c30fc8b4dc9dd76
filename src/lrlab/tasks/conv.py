"""Plain convolutional networks: ``cnn1d`` for signals, ``cnn`` for small images."""

from __future__ import annotations

from torch import Tensor, nn

from lrlab.tasks.shapes import check_input_shape


class Conv1dNet(nn.Module):
    """Three 1-D convolutions (the last two with stride 2), pooled to 4 positions, then linear.

    Pooling to a fixed length keeps coarse position information, which signals such as
    MNIST-1D need, and lets the network take any length.

    Args:
        in_channels: channels of the signal (1 for a plain ``(L,)`` signal).
        num_classes: number of output logits.
        width: channels of every convolution; default 32.
        dropout: dropout probability before the last layer, in ``[0, 1)``; default 0.

    Input: ``(batch, L)`` or ``(batch, C, L)``.
    """

    def __init__(self, in_channels: int, num_classes: int, width: int = 32, dropout: float = 0.0):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv1d(in_channels, width, kernel_size=5, padding=2),
            nn.ReLU(),
            nn.Conv1d(width, width, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv1d(width, width, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool1d(4),
            nn.Flatten(),
        )
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(width * 4, num_classes))

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim == 2:  # (batch, L): one channel
            x = x.unsqueeze(1)
        return self.head(self.features(x))


class Conv2dNet(nn.Module):
    """Three 3x3 convolutions (the second with stride 2), pooled to 2x2, then linear.

    Args:
        in_channels: channels of the image (1 for a plain ``(H, W)`` image).
        num_classes: number of output logits.
        width: channels of the first convolution; the others have ``2 * width``; default 32.
        dropout: dropout probability before the last layer, in ``[0, 1)``; default 0.

    Input: ``(batch, H, W)`` or ``(batch, C, H, W)``.
    """

    def __init__(self, in_channels: int, num_classes: int, width: int = 32, dropout: float = 0.0):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, width, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(width, 2 * width, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(2 * width, 2 * width, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(2),
            nn.Flatten(),
        )
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(2 * width * 4, num_classes))

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim == 3:  # (batch, H, W): one channel
            x = x.unsqueeze(1)
        return self.head(self.features(x))


def build_cnn1d(
    input_shape: tuple[int, ...],
    num_classes: int,
    *,
    dropout: float = 0.0,
    width: int | None = None,
) -> Conv1dNet:
    """Build a :class:`Conv1dNet` for ``(L,)`` or ``(C, L)`` inputs; ``width`` defaults to 32."""
    shape = check_input_shape("cnn1d", input_shape, (1, 2), "(L,) or (C, L) signals")
    channels = 1 if len(shape) == 1 else shape[0]
    return Conv1dNet(channels, num_classes, width=width or 32, dropout=dropout)


def build_cnn(
    input_shape: tuple[int, ...],
    num_classes: int,
    *,
    dropout: float = 0.0,
    width: int | None = None,
) -> Conv2dNet:
    """Build a :class:`Conv2dNet` for ``(H, W)`` or ``(C, H, W)`` inputs; ``width`` defaults to 32."""
    shape = check_input_shape("cnn", input_shape, (2, 3), "(H, W) or (C, H, W) images")
    channels = 1 if len(shape) == 2 else shape[0]
    return Conv2dNet(channels, num_classes, width=width or 32, dropout=dropout)
