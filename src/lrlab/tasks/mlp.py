"""A fully connected network that flattens any input (registered as ``mlp`` and ``fcnn``)."""

from __future__ import annotations

import math

from torch import Tensor, nn

from lrlab.tasks.shapes import check_input_shape


class MLP(nn.Module):
    """Flatten, then two hidden ReLU layers with dropout, then a linear layer to the logits.

    Args:
        in_features: number of input values per example (the product of the input shape).
        num_classes: number of output logits.
        width: size of each hidden layer; default 128.
        dropout: dropout probability after each hidden layer, in ``[0, 1)``; default 0.
    """

    def __init__(self, in_features: int, num_classes: int, width: int = 128, dropout: float = 0.0):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Flatten(),
            nn.Linear(in_features, width),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(width, width),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(width, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)


def build_mlp(
    input_shape: tuple[int, ...],
    num_classes: int,
    *,
    dropout: float = 0.0,
    width: int | None = None,
) -> MLP:
    """Build an :class:`MLP` for examples of any shape; ``width`` defaults to 128."""
    shape = check_input_shape("mlp", input_shape, tuple(range(1, 9)), "any shape of 1 to 8 dims")
    return MLP(math.prod(shape), num_classes, width=width or 128, dropout=dropout)
