"""Recurrent sequence classifiers: GRU/LSTM with additive attention pooling, and a BiLSTM.

A 1-D signal of length ``L`` is read as ``L`` steps of one feature; an ``(L, F)`` input is
``L`` steps of ``F`` features.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from lrlab.tasks.shapes import check_input_shape

SEQUENCE_SHAPES = "(L,) signals or (L, F) sequences of L steps with F features"


def _as_steps(x: Tensor) -> Tensor:
    """``(batch, L)`` -> ``(batch, L, 1)``; ``(batch, L, F)`` unchanged."""
    return x.unsqueeze(-1) if x.ndim == 2 else x


class AdditiveAttentionPool(nn.Module):
    """Additive (Bahdanau) attention pooling over time.

    ``score_t = v . tanh(W h_t + b)``, ``a = softmax_t(score)``, output ``sum_t a_t h_t``
    (Bahdanau, Cho and Bengio, 2015).

    Args:
        dim: size of each step's hidden state.
        attention_dim: size of the hidden layer of the scoring network.
    """

    def __init__(self, dim: int, attention_dim: int):
        super().__init__()
        self.project = nn.Linear(dim, attention_dim)
        self.score = nn.Linear(attention_dim, 1, bias=False)

    def forward(self, states: Tensor) -> Tensor:
        """Pool ``(batch, steps, dim)`` states into ``(batch, dim)``."""
        weights = torch.softmax(self.score(torch.tanh(self.project(states))).squeeze(-1), dim=1)
        return torch.einsum("bt,btd->bd", weights, states)


class RecurrentAttentionNet(nn.Module):
    """A one-layer GRU or LSTM encoder, additive attention pooling, dropout, linear logits.

    Args:
        cell: ``nn.GRU`` or ``nn.LSTM``.
        features: features per step.
        num_classes: number of output logits.
        hidden: hidden size of the encoder and of the attention network; default 64.
        dropout: dropout probability before the last layer, in ``[0, 1)``; default 0.
    """

    def __init__(
        self,
        cell: type[nn.GRU] | type[nn.LSTM],
        features: int,
        num_classes: int,
        hidden: int = 64,
        dropout: float = 0.0,
    ):
        super().__init__()
        self.encoder = cell(features, hidden, batch_first=True)
        self.pool = AdditiveAttentionPool(hidden, hidden)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(hidden, num_classes))

    def forward(self, x: Tensor) -> Tensor:
        states, _ = self.encoder(_as_steps(x))
        return self.head(self.pool(states))


class BiLSTMPoolNet(nn.Module):
    """A one-layer bidirectional LSTM; mean and max of its states over time, concatenated.

    Args:
        features: features per step.
        num_classes: number of output logits.
        hidden: hidden size of each direction; default 64.
        dropout: dropout probability before the last layer, in ``[0, 1)``; default 0.
    """

    def __init__(self, features: int, num_classes: int, hidden: int = 64, dropout: float = 0.0):
        super().__init__()
        self.encoder = nn.LSTM(features, hidden, batch_first=True, bidirectional=True)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(4 * hidden, num_classes))

    def forward(self, x: Tensor) -> Tensor:
        states, _ = self.encoder(_as_steps(x))
        return self.head(torch.cat([states.mean(dim=1), states.amax(dim=1)], dim=1))


def _features(model: str, input_shape: tuple[int, ...]) -> int:
    shape = check_input_shape(model, input_shape, (1, 2), SEQUENCE_SHAPES)
    return 1 if len(shape) == 1 else shape[1]


def build_gru_attention(
    input_shape: tuple[int, ...],
    num_classes: int,
    *,
    dropout: float = 0.0,
    width: int | None = None,
) -> RecurrentAttentionNet:
    """Build a GRU :class:`RecurrentAttentionNet`; ``width`` is the hidden size, default 64."""
    features = _features("gru_attention", input_shape)
    return RecurrentAttentionNet(nn.GRU, features, num_classes, hidden=width or 64, dropout=dropout)


def build_lstm_attention(
    input_shape: tuple[int, ...],
    num_classes: int,
    *,
    dropout: float = 0.0,
    width: int | None = None,
) -> RecurrentAttentionNet:
    """Build an LSTM :class:`RecurrentAttentionNet`; ``width`` is the hidden size, default 64."""
    features = _features("lstm_attention", input_shape)
    return RecurrentAttentionNet(
        nn.LSTM, features, num_classes, hidden=width or 64, dropout=dropout
    )


def build_bilstm(
    input_shape: tuple[int, ...],
    num_classes: int,
    *,
    dropout: float = 0.0,
    width: int | None = None,
) -> BiLSTMPoolNet:
    """Build a :class:`BiLSTMPoolNet`; ``width`` is the hidden size per direction, default 64."""
    features = _features("bilstm", input_shape)
    return BiLSTMPoolNet(features, num_classes, hidden=width or 64, dropout=dropout)
