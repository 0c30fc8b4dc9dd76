"""Recurrent sequence classifiers: GRU/LSTM with additive attention pooling, and a BiLSTM.

A 1-D signal of length ``L`` is read as ``L`` steps of one feature; an ``(L, F)`` input is
``L`` steps of ``F`` features. Built with a ``vocab_size``, the same networks read text instead:
``(L,)`` int64 token ids (id 0 is padding, padding last) go through a learned embedding, the
encoder reads each text only up to its length (packed sequences), and pooling ignores padding.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from lrlab.tasks.shapes import check_input_shape

SEQUENCE_SHAPES = "(L,) signals or (L, F) sequences of L steps with F features"
TOKEN_SHAPES = "(L,) token ids"
PAD_ID = 0
"""The token id of padding in text inputs; text loaders map their tokenizer's padding to it."""
EMBEDDING_DIM = 128


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

    def forward(self, states: Tensor, mask: Tensor | None = None) -> Tensor:
        """Pool ``(batch, steps, dim)`` states into ``(batch, dim)``; steps where the boolean
        ``mask`` ``(batch, steps)`` is False get no weight."""
        scores = self.score(torch.tanh(self.project(states))).squeeze(-1)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=1)
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


def token_lengths(ids: Tensor) -> tuple[Tensor, Tensor]:
    """Lengths ``(batch,)`` (non-padding ids, at least 1) and the mask ``(batch, L)`` of the steps
    within them, for right-padded ``ids``."""
    lengths = (ids != PAD_ID).sum(dim=1).clamp(min=1)
    mask = torch.arange(ids.shape[1], device=ids.device)[None, :] < lengths[:, None]
    return lengths, mask


def encode_padded(encoder: nn.RNNBase, steps: Tensor, lengths: Tensor) -> Tensor:
    """Run ``encoder`` on each sequence of ``steps`` ``(batch, L, F)`` up to its length only; the
    states past a sequence's length are zeros. A backward direction starts at the last token,
    not in the padding."""
    packed = pack_padded_sequence(steps, lengths.cpu(), batch_first=True, enforce_sorted=False)
    states, _ = encoder(packed)
    states, _ = pad_packed_sequence(states, batch_first=True, total_length=steps.shape[1])
    return states


class TokenRecurrentAttentionNet(RecurrentAttentionNet):
    """:class:`RecurrentAttentionNet` on token ids: an embedding (id 0 = padding) in front, the
    encoder reading each text up to its length, attention over its tokens only.

    Args:
        cell: ``nn.GRU`` or ``nn.LSTM``.
        vocab_size: number of token ids.
        num_classes: number of output logits.
        hidden: hidden size of the encoder and of the attention network; default 64.
        dropout: dropout probability before the last layer, in ``[0, 1)``; default 0.
        embedding_dim: size of the token embedding; default 128.
    """

    def __init__(
        self,
        cell: type[nn.GRU] | type[nn.LSTM],
        vocab_size: int,
        num_classes: int,
        hidden: int = 64,
        dropout: float = 0.0,
        embedding_dim: int = EMBEDDING_DIM,
    ):
        super().__init__(cell, embedding_dim, num_classes, hidden=hidden, dropout=dropout)
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=PAD_ID)

    def forward(self, ids: Tensor) -> Tensor:
        lengths, mask = token_lengths(ids)
        states = encode_padded(self.encoder, self.embedding(ids), lengths)
        return self.head(self.pool(states, mask))


class TokenBiLSTMPoolNet(BiLSTMPoolNet):
    """:class:`BiLSTMPoolNet` on token ids: an embedding (id 0 = padding) in front, the BiLSTM
    reading each text up to its length, mean and max over its tokens only.

    Args:
        vocab_size: number of token ids.
        num_classes: number of output logits.
        hidden: hidden size of each direction; default 64.
        dropout: dropout probability before the last layer, in ``[0, 1)``; default 0.
        embedding_dim: size of the token embedding; default 128.
    """

    def __init__(
        self,
        vocab_size: int,
        num_classes: int,
        hidden: int = 64,
        dropout: float = 0.0,
        embedding_dim: int = EMBEDDING_DIM,
    ):
        super().__init__(embedding_dim, num_classes, hidden=hidden, dropout=dropout)
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=PAD_ID)

    def forward(self, ids: Tensor) -> Tensor:
        lengths, mask = token_lengths(ids)
        states = encode_padded(self.encoder, self.embedding(ids), lengths)
        mean = states.sum(dim=1) / lengths[:, None].to(states.dtype)  # padded states are zeros
        largest = states.masked_fill(~mask[:, :, None], float("-inf")).amax(dim=1)
        return self.head(torch.cat([mean, largest], dim=1))


def _features(model: str, input_shape: tuple[int, ...]) -> int:
    shape = check_input_shape(model, input_shape, (1, 2), SEQUENCE_SHAPES)
    return 1 if len(shape) == 1 else shape[1]


def _attention_net(
    model: str,
    cell: type[nn.GRU] | type[nn.LSTM],
    input_shape: tuple[int, ...],
    num_classes: int,
    dropout: float,
    width: int | None,
    vocab_size: int | None,
) -> RecurrentAttentionNet:
    hidden = width or 64
    if vocab_size is None:
        features = _features(model, input_shape)
        return RecurrentAttentionNet(cell, features, num_classes, hidden=hidden, dropout=dropout)
    check_input_shape(model, input_shape, (1,), TOKEN_SHAPES)
    return TokenRecurrentAttentionNet(cell, vocab_size, num_classes, hidden=hidden, dropout=dropout)


def build_gru_attention(
    input_shape: tuple[int, ...],
    num_classes: int,
    *,
    dropout: float = 0.0,
    width: int | None = None,
    vocab_size: int | None = None,
) -> RecurrentAttentionNet:
    """Build a GRU :class:`RecurrentAttentionNet` (:class:`TokenRecurrentAttentionNet` on token
    ids when ``vocab_size`` is given); ``width`` is the hidden size, default 64."""
    return _attention_net("gru_attention", nn.GRU, input_shape, num_classes, dropout, width,
                          vocab_size)


def build_lstm_attention(
    input_shape: tuple[int, ...],
    num_classes: int,
    *,
    dropout: float = 0.0,
    width: int | None = None,
    vocab_size: int | None = None,
) -> RecurrentAttentionNet:
    """Build an LSTM :class:`RecurrentAttentionNet` (:class:`TokenRecurrentAttentionNet` on token
    ids when ``vocab_size`` is given); ``width`` is the hidden size, default 64."""
    return _attention_net("lstm_attention", nn.LSTM, input_shape, num_classes, dropout, width,
                          vocab_size)


def build_bilstm(
    input_shape: tuple[int, ...],
    num_classes: int,
    *,
    dropout: float = 0.0,
    width: int | None = None,
    vocab_size: int | None = None,
) -> BiLSTMPoolNet:
    """Build a :class:`BiLSTMPoolNet` (:class:`TokenBiLSTMPoolNet` on token ids when
    ``vocab_size`` is given); ``width`` is the hidden size per direction, default 64."""
    if vocab_size is None:
        features = _features("bilstm", input_shape)
        return BiLSTMPoolNet(features, num_classes, hidden=width or 64, dropout=dropout)
    check_input_shape("bilstm", input_shape, (1,), TOKEN_SHAPES)
    return TokenBiLSTMPoolNet(vocab_size, num_classes, hidden=width or 64, dropout=dropout)
