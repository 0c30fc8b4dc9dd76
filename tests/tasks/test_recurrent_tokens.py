"""The recurrent models on token ids: an embedding in front, padding ignored; float inputs unchanged."""

from __future__ import annotations

import pytest
import torch

from lrlab.tasks import build_model
from lrlab.tasks.recurrent import (
    PAD_ID,
    BiLSTMPoolNet,
    RecurrentAttentionNet,
    TokenBiLSTMPoolNet,
    TokenRecurrentAttentionNet,
)

TOKEN_MODELS = ["bilstm", "lstm_attention", "gru_attention"]


def padded_ids() -> torch.Tensor:
    ids = torch.randint(1, 50, (4, 12), generator=torch.Generator().manual_seed(0))
    ids[0, 5:] = PAD_ID
    ids[1, 1:] = PAD_ID
    ids[2, :] = PAD_ID  # an empty text reads as one padding token
    return ids


@pytest.mark.parametrize("name", TOKEN_MODELS)
def test_padding_changes_nothing(name: str) -> None:
    torch.manual_seed(0)
    model = build_model(name, (12,), 3, vocab_size=50).eval()
    ids = padded_ids()
    logits = model(ids)
    assert logits.shape == (4, 3) and torch.isfinite(logits).all()
    # The same texts with less padding, or one text alone: the same logits.
    torch.testing.assert_close(model(ids[:, :8])[:3], logits[:3], rtol=0, atol=1e-6)
    torch.testing.assert_close(model(ids[1:2, :3]), logits[1:2], rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", TOKEN_MODELS)
def test_token_models_have_finite_gradients_and_no_gradient_for_padding(name: str) -> None:
    torch.manual_seed(0)
    model = build_model(name, (12,), 2, vocab_size=50)
    torch.nn.functional.cross_entropy(model(padded_ids()), torch.tensor([0, 1, 0, 1])).backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())
    assert torch.equal(model.embedding.weight.grad[PAD_ID], torch.zeros(model.embedding.embedding_dim))


def test_vocab_size_picks_the_token_classes_and_none_keeps_the_float_ones() -> None:
    assert type(build_model("bilstm", (40,), 2)) is BiLSTMPoolNet
    assert type(build_model("lstm_attention", (12, 3), 2)) is RecurrentAttentionNet
    assert type(build_model("bilstm", (40,), 2, vocab_size=30)) is TokenBiLSTMPoolNet
    assert type(build_model("gru_attention", (40,), 2, vocab_size=30)) is TokenRecurrentAttentionNet
    # Without a vocabulary the float networks are built exactly as before: same weights.
    torch.manual_seed(0)
    before = BiLSTMPoolNet(1, 2)
    torch.manual_seed(0)
    after = build_model("bilstm", (40,), 2)
    assert all(torch.equal(a, b) for a, b in zip(before.state_dict().values(),
                                                 after.state_dict().values(), strict=True))


def test_models_that_cannot_read_tokens_and_bad_vocabularies_are_refused() -> None:
    with pytest.raises(ValueError, match=r"model 'cnn' cannot read token ids.*bilstm"):
        build_model("cnn", (1, 8, 8), 10, vocab_size=30)
    with pytest.raises(ValueError, match=r"vocab_size must be an integer >= 2"):
        build_model("bilstm", (40,), 2, vocab_size=1)
    with pytest.raises(ValueError, match=r"model 'bilstm' cannot take input shape \(12, 3\).*token ids"):
        build_model("bilstm", (12, 3), 2, vocab_size=30)
