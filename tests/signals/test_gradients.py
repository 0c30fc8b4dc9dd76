import copy
import math

import pytest
import torch
from torch import nn

from lrlab.signals import (
    GradientNoiseScale,
    GradientStats,
    grad_norm,
    optimizer_params,
    register_gradient_hook,
)


def small_model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))


def batch(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(16, 4, generator=g), torch.randint(0, 3, (16,), generator=g)


def backward(model: nn.Module, seed: int) -> None:
    x, y = batch(seed)
    nn.functional.cross_entropy(model(x), y).backward()


# ---------------------------------------------------------------- optimizer_params, grad_norm


def test_optimizer_params_in_param_group_order():
    a, b, c = (nn.Parameter(torch.zeros(i + 1)) for i in range(3))
    optimizer = torch.optim.SGD([{"params": [c]}, {"params": [a, b], "lr": 0.5}], lr=0.1)
    assert [id(p) for p in optimizer_params(optimizer)] == [id(c), id(a), id(b)]


def test_grad_norm_equals_clip_grad_norm_total():
    model = small_model()
    backward(model, seed=1)
    clone = copy.deepcopy(model)  # deepcopy leaves .grad behind; clip_grad_norm_ gets its own
    for p, q in zip(model.parameters(), clone.parameters(), strict=True):
        q.grad = p.grad.clone()
    expected = nn.utils.clip_grad_norm_(clone.parameters(), max_norm=1e-3)
    assert grad_norm(clone.parameters()) == pytest.approx(1e-3, rel=1e-4)  # it did clip the copy
    assert grad_norm(model.parameters()) == pytest.approx(float(expected), rel=1e-6)
    by_hand = math.sqrt(sum(float((p.grad.double() ** 2).sum()) for p in model.parameters()))
    assert grad_norm(model.parameters()) == pytest.approx(by_hand, rel=1e-6)


def test_grad_norm_skips_parameters_without_grad():
    used = nn.Parameter(torch.tensor([3.0, 0.0]))
    unused = nn.Parameter(torch.tensor([100.0]))
    (used * torch.tensor([1.0, 4.0])).sum().backward()  # grad = [1, 4]
    assert unused.grad is None
    assert grad_norm([used, unused]) == pytest.approx(math.sqrt(17.0))


def test_grad_norm_without_any_grad_is_zero():
    assert grad_norm([nn.Parameter(torch.ones(3))]) == 0.0
    assert grad_norm([]) == 0.0


# ---------------------------------------------------------------- register_gradient_hook


def test_hook_sees_accumulated_gradients_once_per_step_and_stops_after_remove():
    model = small_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    # What two accumulated backward passes should sum to, measured on a copy.
    reference = copy.deepcopy(model)
    per_batch = []
    for seed in (1, 2):
        reference.zero_grad()
        backward(reference, seed)
        per_batch.append([p.grad.clone() for p in reference.parameters()])
    expected = [a + b for a, b in zip(*per_batch, strict=True)]

    seen: list[list[torch.Tensor]] = []
    handle = register_gradient_hook(
        optimizer, lambda opt: seen.append([p.grad.clone() for p in optimizer_params(opt)])
    )
    params_before = [p.detach().clone() for p in model.parameters()]

    backward(model, seed=1)
    backward(model, seed=2)
    assert seen == []  # backward alone does not trigger it
    optimizer.step()

    assert len(seen) == 1
    for got, want in zip(seen[0], expected, strict=True):
        torch.testing.assert_close(got, want)
    # The hook ran before the update: the step applied exactly those gradients.
    for before, p, g in zip(params_before, model.parameters(), expected, strict=True):
        torch.testing.assert_close(p.detach(), before - 0.1 * g)

    optimizer.zero_grad()
    backward(model, seed=3)
    optimizer.step()
    assert len(seen) == 2

    handle.remove()
    backward(model, seed=4)
    optimizer.step()
    assert len(seen) == 2


# ---------------------------------------------------------------- GradientStats


def test_gradient_stats_window_values():
    stats = GradientStats(window=3)
    assert math.isnan(stats.last_norm) and math.isnan(stats.mean)
    for n in (10.0, 1.0, 2.0, 3.0):
        stats.update(n)
    assert stats.last_norm == 3.0
    assert (stats.mean, stats.std, stats.cv) == (2.0, 1.0, 0.5)


def test_gradient_stats_keeps_non_finite_last_norm_out_of_the_window():
    stats = GradientStats(window=3)
    stats.update(1.0)
    stats.update(3.0)
    stats.update(math.inf)
    assert stats.last_norm == math.inf
    assert stats.mean == 2.0


def test_gradient_stats_state_round_trip():
    first = GradientStats(window=4)
    for n in (1.0, 5.0, 2.0):
        first.update(n)
    second = GradientStats(window=4)
    second.load_state_dict(first.state_dict())
    assert (second.last_norm, second.mean, second.std) == (2.0, first.mean, first.std)
    first.update(7.0)
    second.update(7.0)
    assert (second.mean, second.std, second.cv) == (first.mean, first.std, first.cv)


def test_gradient_stats_rejects_window_below_two():
    with pytest.raises(ValueError, match="window must be >= 2"):
        GradientStats(window=1)


# ---------------------------------------------------------------- GradientNoiseScale


def synthetic_gradients(
    true_grad: torch.Tensor, sigma: float, steps: int, seed: int
) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return [true_grad + sigma * torch.randn(true_grad.shape, generator=g) for _ in range(steps)]


def split(flat: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """The flat gradient as the grads of two parameters of shapes (10, 50) and (500,)."""
    params = [torch.zeros(10, 50), torch.zeros(500)]
    return [flat[:500].reshape(10, 50), flat[500:]], params


@pytest.mark.parametrize("target", [1.0, 10.0])
def test_noise_scale_approaches_trace_over_squared_norm(target):
    d, sigma = 1000, 1.0
    # |G|^2 = d sigma^2 / target, spread evenly over the coordinates.
    true_grad = torch.full((d,), math.sqrt(sigma**2 / target))
    scale = GradientNoiseScale(k=5, smoothing=0.95)
    value = None
    for flat in synthetic_gradients(true_grad, sigma, steps=5 * 400, seed=0):
        grads, params = split(flat)
        value = scale.update(grads, params)
    assert value == pytest.approx(d * sigma**2 / float(true_grad.square().sum()), rel=0.06)
    assert value == pytest.approx(target, rel=0.06)


def test_noise_scale_one_window_by_hand():
    # k = 2, no smoothing: |G|^2 estimate = g1.g2, tr(S) estimate = |g1 - g2|^2 / 2
    scale = GradientNoiseScale(k=2, smoothing=0.0)
    params = [torch.zeros(2)]
    assert scale.update([torch.tensor([3.0, 0.0])], params) is None
    assert scale.update([torch.tensor([1.0, 0.0])], params) == pytest.approx((4.0 / 2) / 3.0)


def test_noise_scale_is_none_before_the_first_full_window():
    scale = GradientNoiseScale(k=5, smoothing=0.9)
    params = [torch.zeros(20)]
    gradients = synthetic_gradients(torch.ones(20), 0.5, steps=5, seed=1)
    values = [scale.update([g], params) for g in gradients]
    assert values[:4] == [None] * 4
    assert values[4] is not None and values[4] > 0


def test_noise_scale_missing_grad_counts_as_zero():
    gradients = synthetic_gradients(torch.ones(6), 0.5, steps=6, seed=2)
    with_none, with_zero = GradientNoiseScale(k=3), GradientNoiseScale(k=3)
    params = [torch.zeros(6), torch.zeros(4)]
    for g in gradients:
        a = with_none.update([g, None], params)
        b = with_zero.update([g, torch.zeros(4)], params)
        assert a == b
    assert with_none.value is not None


def test_noise_scale_skips_non_finite_gradients():
    gradients = synthetic_gradients(torch.ones(6), 0.5, steps=6, seed=3)
    clean, dirty = GradientNoiseScale(k=3), GradientNoiseScale(k=3)
    params = [torch.zeros(6)]
    for i, g in enumerate(gradients):
        clean.update([g], params)
        dirty.update([g], params)
        if i == 1:
            dirty.update([torch.full((6,), math.nan)], params)
    assert dirty.value == clean.value is not None


def test_noise_scale_state_round_trip_gives_identical_values():
    gradients = synthetic_gradients(torch.ones(30), 1.0, steps=40, seed=4)
    params = [torch.zeros(30)]
    first = GradientNoiseScale(k=4, smoothing=0.9)
    for g in gradients[:13]:  # mid-window: the running sum is part of the state
        first.update([g], params)
    second = GradientNoiseScale(k=4, smoothing=0.9)
    second.load_state_dict(first.state_dict())
    assert second.value == first.value
    for g in gradients[13:]:
        assert second.update([g], params) == first.update([g], params)


def test_noise_scale_state_dict_is_a_snapshot():
    gradients = synthetic_gradients(torch.ones(8), 1.0, steps=10, seed=5)
    params = [torch.zeros(8)]
    scale = GradientNoiseScale(k=4)
    for g in gradients[:6]:
        scale.update([g], params)
    state = scale.state_dict()
    after = [scale.update([g], params) for g in gradients[6:]]
    restored = GradientNoiseScale(k=4)
    restored.load_state_dict(state)
    assert [restored.update([g], params) for g in gradients[6:]] == after


def test_noise_scale_rejects_k_below_two():
    with pytest.raises(ValueError, match="k must be >= 2"):
        GradientNoiseScale(k=1)
    with pytest.raises(ValueError, match="smoothing"):
        GradientNoiseScale(k=2, smoothing=1.0)


def test_noise_scale_with_a_given_norm_matches_measuring_it():
    generator = torch.Generator().manual_seed(0)
    params = [torch.zeros(5, 3), torch.zeros(4)]
    measured, given = GradientNoiseScale(k=2, smoothing=0.0), GradientNoiseScale(k=2, smoothing=0.0)
    for _ in range(6):
        grads = [torch.randn(p.shape, generator=generator) + 1.0 for p in params]
        norm = float(torch.linalg.vector_norm(torch.cat([g.reshape(-1) for g in grads])))
        a, b = measured.update(grads, params), given.update(grads, params, norm=norm)
    assert a is not None and b == pytest.approx(a, rel=1e-5)
