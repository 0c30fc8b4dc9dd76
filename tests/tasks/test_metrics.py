import math

import pytest
import torch

from lrlab.tasks import compute_metrics


def one_hot_logits(predictions: list[int], num_classes: int) -> torch.Tensor:
    """Logits whose argmax is each prediction."""
    return torch.nn.functional.one_hot(torch.tensor(predictions), num_classes).float() * 5.0


def test_accuracy_three_of_four():
    logits = one_hot_logits([0, 1, 1, 0], 2)
    targets = torch.tensor([0, 1, 1, 1])
    assert compute_metrics(logits, targets, ["accuracy"]) == {"accuracy": 0.75}


def test_macro_f1_matches_hand_computation():
    # class 0: P=1/2, R=1/2, F1=1/2; class 1: P=2/3, R=1, F1=4/5; class 2: P=1, R=1/2, F1=2/3
    targets = torch.tensor([0, 0, 1, 1, 2, 2])
    logits = one_hot_logits([0, 1, 1, 1, 2, 0], 3)
    result = compute_metrics(logits, targets, ["macro_f1"])
    assert result["macro_f1"] == pytest.approx((1 / 2 + 4 / 5 + 2 / 3) / 3)


def test_loss_is_mean_cross_entropy():
    uniform = torch.zeros(4, 5)
    assert compute_metrics(uniform, torch.tensor([0, 1, 2, 3]), ["loss"])["loss"] == pytest.approx(
        math.log(5)
    )
    # softmax([0, ln 3]) = [1/4, 3/4]; target 1 -> -ln(3/4); target 0 -> -ln(1/4)
    logits = torch.tensor([[0.0, math.log(3)], [0.0, math.log(3)]])
    expected = (-math.log(3 / 4) - math.log(1 / 4)) / 2
    assert compute_metrics(logits, torch.tensor([1, 0]), ["loss"])["loss"] == pytest.approx(
        expected
    )


def binary_logits(scores: list[float]) -> torch.Tensor:
    """Two logits whose softmax probability of class 1 increases with each score."""
    return torch.stack([torch.zeros(len(scores)), torch.tensor(scores)], dim=1)


def test_roc_auc_binary_perfect_reversed_tied_and_partial():
    targets = torch.tensor([0, 0, 1, 1])
    auc = lambda scores: compute_metrics(binary_logits(scores), targets, ["roc_auc"])["roc_auc"]  # noqa: E731
    assert auc([0.1, 0.2, 0.8, 0.9]) == 1.0
    assert auc([0.9, 0.8, 0.2, 0.1]) == 0.0
    assert auc([0.5, 0.5, 0.5, 0.5]) == 0.5
    # of the 4 (negative, positive) pairs, 3 are ranked right: (0.1, 0.35) (0.1, 0.8) (0.4, 0.8)
    assert auc([0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)


def test_roc_auc_multiclass_one_vs_rest_macro():
    targets = torch.tensor([0, 1, 2, 0, 1, 2])
    perfect = one_hot_logits([0, 1, 2, 0, 1, 2], 3)
    assert compute_metrics(perfect, targets, ["roc_auc"])["roc_auc"] == pytest.approx(1.0)
    assert compute_metrics(torch.zeros(6, 3), targets, ["roc_auc"])["roc_auc"] == pytest.approx(0.5)


def test_roc_auc_is_nan_where_undefined():
    one_class = compute_metrics(binary_logits([0.1, 0.9]), torch.tensor([1, 1]), ["roc_auc"])
    assert math.isnan(one_class["roc_auc"])
    missing_class = compute_metrics(torch.randn(4, 3), torch.tensor([0, 1, 0, 1]), ["roc_auc"])
    assert math.isnan(missing_class["roc_auc"])
    diverged = torch.tensor([[float("nan"), 0.0], [0.0, 1.0]])
    assert math.isnan(compute_metrics(diverged, torch.tensor([0, 1]), ["roc_auc"])["roc_auc"])


def test_results_follow_the_order_of_names():
    result = compute_metrics(torch.zeros(2, 2), torch.tensor([0, 1]), ["macro_f1", "loss"])
    assert list(result) == ["macro_f1", "loss"]
    assert all(isinstance(value, float) for value in result.values())


def test_unknown_metric_is_rejected_with_the_allowed_names():
    with pytest.raises(ValueError, match=r"'top5'.*loss, accuracy, macro_f1, roc_auc"):
        compute_metrics(torch.zeros(2, 2), torch.tensor([0, 1]), ["accuracy", "top5"])


def test_mismatched_shapes_are_rejected():
    with pytest.raises(ValueError, match=r"\(3, 2\) and \(2,\)"):
        compute_metrics(torch.zeros(3, 2), torch.tensor([0, 1]), ["accuracy"])


def test_accuracy_agrees_with_scikit_learn():
    from sklearn.metrics import accuracy_score

    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(257, 7, generator=generator)
    targets = torch.randint(0, 7, (257,), generator=generator)
    expected = accuracy_score(targets.numpy(), logits.argmax(dim=1).numpy())
    assert compute_metrics(logits, targets, ["accuracy"])["accuracy"] == expected
