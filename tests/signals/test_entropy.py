import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lrlab.signals import entropy_and_confidence, mean_confidence, predictive_entropy


def numpy_entropy_and_confidence(logits: np.ndarray) -> tuple[float, float]:
    """Mean normalised entropy and mean max-probability, written plainly in float64."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=-1, keepdims=True)
    entropy = -(probs * np.log(probs)).sum(axis=-1).mean() / math.log(logits.shape[-1])
    return float(entropy), float(probs.max(axis=-1).mean())


@pytest.mark.parametrize("classes", [2, 3, 10, 1000])
def test_uniform_logits_have_entropy_one_and_confidence_one_over_c(classes):
    logits = torch.full((4, classes), 3.7)
    assert predictive_entropy(logits) == pytest.approx(1.0, abs=1e-5)
    assert predictive_entropy(logits, normalize=False) == pytest.approx(math.log(classes), rel=1e-5)
    assert mean_confidence(logits) == pytest.approx(1.0 / classes, rel=1e-5)


def test_large_margin_logits_have_entropy_zero_and_confidence_one():
    logits = torch.tensor([[50.0, 0.0, 0.0], [0.0, 0.0, 50.0]])
    assert predictive_entropy(logits) == pytest.approx(0.0, abs=1e-12)
    assert mean_confidence(logits) == pytest.approx(1.0)


def test_two_classes_by_hand():
    # softmax([0, ln 3]) = [1/4, 3/4]; softmax([0, 0]) = [1/2, 1/2]
    logits = torch.tensor([[0.0, math.log(3)], [0.0, 0.0]])
    h_first = -(0.25 * math.log(0.25) + 0.75 * math.log(0.75))
    h_second = math.log(2)
    expected = (h_first + h_second) / 2
    assert predictive_entropy(logits, normalize=False) == pytest.approx(expected, rel=1e-6)
    assert predictive_entropy(logits) == pytest.approx(expected / math.log(2), rel=1e-6)
    assert mean_confidence(logits) == pytest.approx((0.75 + 0.5) / 2, rel=1e-6)


def test_three_classes_against_numpy():
    logits = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0], [4.0, -2.0, 0.3]])
    entropy, confidence = numpy_entropy_and_confidence(logits)
    as_tensor = torch.tensor(logits, dtype=torch.float32)
    assert predictive_entropy(as_tensor) == pytest.approx(entropy, rel=1e-5)
    assert mean_confidence(as_tensor) == pytest.approx(confidence, rel=1e-5)


@pytest.mark.parametrize("shape", [(5,), (5, 1)])
def test_single_logit_is_a_binary_sigmoid(shape):
    scores = torch.tensor([-2.0, -0.5, 0.0, 1.0, 3.0])
    # sigmoid(s) = softmax([0, s])[1]
    two_class = torch.stack([torch.zeros(5), scores], dim=-1)
    single = scores.reshape(shape)
    assert predictive_entropy(single) == pytest.approx(predictive_entropy(two_class), rel=1e-6)
    assert mean_confidence(single) == pytest.approx(mean_confidence(two_class), rel=1e-6)
    p = torch.sigmoid(scores).double()
    by_hand = -(p * p.log() + (1 - p) * (1 - p).log()).mean().item() / math.log(2)
    assert predictive_entropy(single) == pytest.approx(by_hand, rel=1e-5)


def test_sequence_logits_are_flattened_over_batch_and_time():
    logits = torch.randn(3, 7, 5, generator=torch.Generator().manual_seed(0))
    flat = logits.reshape(-1, 5)
    assert predictive_entropy(logits) == pytest.approx(predictive_entropy(flat), rel=1e-6)
    assert mean_confidence(logits) == pytest.approx(mean_confidence(flat), rel=1e-6)
    expected = numpy_entropy_and_confidence(flat.double().numpy())
    assert entropy_and_confidence(logits) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("shape", [(8, 4), (8,), (8, 1), (2, 3, 6)])
def test_entropy_and_confidence_equals_the_separate_functions(shape):
    logits = torch.randn(*shape, generator=torch.Generator().manual_seed(1)) * 2.0
    entropy, confidence = entropy_and_confidence(logits)
    assert entropy == pytest.approx(predictive_entropy(logits), rel=1e-6)
    assert confidence == pytest.approx(mean_confidence(logits), rel=1e-6)


@pytest.mark.parametrize(
    "logits",
    [
        torch.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]]),
        torch.tensor([1e4, -1e4]),
        torch.tensor([[1e4], [-1e4]]),
    ],
)
def test_extreme_logits_give_finite_saturated_values(logits):
    entropy, confidence = entropy_and_confidence(logits)
    assert math.isfinite(entropy) and math.isfinite(confidence)
    assert entropy == pytest.approx(0.0, abs=1e-12)
    assert confidence == pytest.approx(1.0)
    assert predictive_entropy(logits) == pytest.approx(0.0, abs=1e-12)
    assert mean_confidence(logits) == pytest.approx(1.0)


def test_gradient_carrying_logits_are_accepted_and_left_alone():
    logits = torch.randn(4, 3, requires_grad=True)
    assert predictive_entropy(logits) == pytest.approx(
        predictive_entropy(logits.detach()), rel=1e-7
    )


@pytest.mark.parametrize("fn", [predictive_entropy, mean_confidence, entropy_and_confidence])
def test_scalar_logits_raise(fn):
    with pytest.raises(ValueError, match="at least one dimension"):
        fn(torch.tensor(1.0))


finite_float32 = st.floats(allow_nan=False, allow_infinity=False, width=32)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(1, 4),
    classes=st.integers(1, 6),
    data=st.data(),
)
def test_entropy_in_unit_interval_and_confidence_at_least_one_over_c(rows, classes, data):
    values = data.draw(st.lists(finite_float32, min_size=rows * classes, max_size=rows * classes))
    logits = torch.tensor(values, dtype=torch.float32).reshape(rows, classes)
    entropy, confidence = entropy_and_confidence(logits)
    effective_classes = max(classes, 2)  # one logit per row is a binary sigmoid
    assert 0.0 <= entropy <= 1.0 + 1e-5
    assert 1.0 / effective_classes - 1e-6 <= confidence <= 1.0 + 1e-6
