import math

import pytest
import torch
from torch import nn

from lrlab.signals import (
    HessianProbe,
    SecantCurvature,
    hessian_vector_product,
    secant_curvature_reference,
)


def spd_matrix(eigenvalues: list[float], seed: int = 0) -> torch.Tensor:
    """Q diag(eigenvalues) Q^T with a random orthogonal Q, in float64."""
    g = torch.Generator().manual_seed(seed)
    n = len(eigenvalues)
    q, _ = torch.linalg.qr(torch.randn(n, n, generator=g, dtype=torch.float64))
    return q @ torch.diag(torch.tensor(eigenvalues, dtype=torch.float64)) @ q.T


def as_params(flat: torch.Tensor) -> list[torch.Tensor]:
    """A 6-vector as two parameter-like tensors of shapes (2,) and (2, 2)."""
    return [flat[:2].clone(), flat[2:].reshape(2, 2).clone()]


def quadratic_grads(a: torch.Tensor, flat: torch.Tensor) -> list[torch.Tensor]:
    """grad of 1/2 theta^T A theta = A theta, in the parameters' layout and dtype."""
    return as_params((a @ flat.double()).to(flat.dtype))


# ---------------------------------------------------------------- SecantCurvature


def test_secant_on_a_quadratic_is_the_rayleigh_quotient_of_the_step():
    eigenvalues = [0.3, 0.7, 1.0, 2.0, 4.0, 9.0]
    a = spd_matrix(eigenvalues)
    g = torch.Generator().manual_seed(1)
    secant = SecantCurvature()
    theta = torch.randn(6, generator=g)
    assert math.isnan(secant.update(as_params(theta), quadratic_grads(a, theta)))
    for _ in range(5):
        new_theta = theta + torch.randn(6, generator=g)
        value = secant.update(as_params(new_theta), quadratic_grads(a, new_theta))
        step = (new_theta - theta).double()
        expected = float(step @ a @ step / (step @ step))
        assert value == pytest.approx(expected, rel=1e-5)
        assert min(eigenvalues) - 1e-5 <= value <= max(eigenvalues) + 1e-5
        theta = new_theta


def test_secant_along_an_eigenvector_is_its_eigenvalue():
    a = torch.diag(torch.tensor([1.0, 5.0, 2.0, 3.0, 0.5, 4.0], dtype=torch.float64))
    theta = torch.ones(6)
    secant = SecantCurvature()
    secant.update(as_params(theta), quadratic_grads(a, theta))
    moved = theta + 0.25 * torch.eye(6)[1]
    assert secant.update(as_params(moved), quadratic_grads(a, moved)) == pytest.approx(5.0)


def test_secant_is_nan_when_parameters_did_not_move():
    secant = SecantCurvature()
    params = [torch.ones(3)]
    secant.update(params, [torch.ones(3)])
    assert math.isnan(secant.update(params, [torch.full((3,), 2.0)]))


def test_secant_is_nan_for_non_finite_inputs_and_recovers():
    secant = SecantCurvature()
    secant.update([torch.zeros(2)], [torch.zeros(2)])
    assert math.isnan(secant.update([torch.ones(2)], [torch.tensor([math.nan, 0.0])]))
    assert math.isnan(secant.grad_norm)
    # The next pair is clean again: step (1, 0), gradient change (3, 0).
    secant.update([torch.ones(2)], [torch.zeros(2)])
    assert secant.update([torch.tensor([2.0, 1.0])], [torch.tensor([3.0, 0.0])]) == 3.0


def test_secant_grad_norm_attribute_is_the_global_gradient_norm():
    secant = SecantCurvature()
    assert math.isnan(secant.grad_norm)
    params = [torch.zeros(2), torch.zeros(3), torch.zeros(1)]
    secant.update(params, [torch.tensor([3.0, 0.0]), None, torch.tensor([4.0])])
    assert secant.grad_norm == pytest.approx(5.0)
    moved = [torch.ones(2), torch.zeros(3), torch.zeros(1)]
    secant.update(moved, [torch.tensor([1.0, 2.0]), torch.tensor([2.0, 0.0, 0.0]), None])
    assert secant.grad_norm == pytest.approx(3.0)


@pytest.mark.parametrize("seed", range(5))
def test_fast_secant_agrees_with_reference_on_multi_tensor_inputs(seed):
    g = torch.Generator().manual_seed(seed)
    shapes = [(3, 4), (5,), (2, 2, 2), (7,)]
    rand = lambda: [torch.randn(s, generator=g) for s in shapes]  # noqa: E731
    params_prev, params = rand(), rand()
    grads_prev, grads = rand(), rand()
    grads_prev[2] = None  # a parameter without a gradient at one of the two steps
    zeros_for_none = [
        gp if gp is not None else torch.zeros_like(p)
        for gp, p in zip(grads_prev, params_prev, strict=True)
    ]
    expected = secant_curvature_reference(params_prev, zeros_for_none, params, grads)

    secant = SecantCurvature()
    secant.update(params_prev, grads_prev)
    value = secant.update(params, grads)

    step = torch.cat([(t - tp).reshape(-1) for t, tp in zip(params, params_prev, strict=True)])
    change = torch.cat([(a - b).reshape(-1) for a, b in zip(grads, zeros_for_none, strict=True)])
    scale = float(change.norm() / step.norm())  # Cauchy-Schwarz bound on |value|
    assert value == pytest.approx(expected, rel=1e-5, abs=1e-6 * scale)


def test_reference_secant_is_nan_without_movement():
    params = [torch.ones(2)]
    assert math.isnan(secant_curvature_reference(params, [torch.zeros(2)], params, [torch.ones(2)]))


def test_fast_secant_keeps_float64_precision():
    a = torch.diag(torch.tensor([3.0, 1.0], dtype=torch.float64))
    theta = torch.tensor([1.0, 1.0], dtype=torch.float64)
    moved = theta + 1e-7 * torch.tensor([1.0, 0.5], dtype=torch.float64)
    expected = secant_curvature_reference([theta], [a @ theta], [moved], [a @ moved])
    assert expected == pytest.approx(2.6, rel=1e-6)  # (3 + 0.25) / 1.25
    secant = SecantCurvature()
    secant.update([theta], [a @ theta])
    assert secant.update([moved], [a @ moved]) == pytest.approx(expected, rel=1e-6)


def test_secant_state_round_trip():
    g = torch.Generator().manual_seed(3)
    steps = [([torch.randn(4, generator=g)], [torch.randn(4, generator=g)]) for _ in range(4)]
    first = SecantCurvature()
    for params, grads in steps[:2]:
        first.update(params, grads)
    second = SecantCurvature()
    second.load_state_dict(first.state_dict())
    for params, grads in steps[2:]:
        assert second.update(params, grads) == first.update(params, grads)


# ---------------------------------------------------------------- hessian_vector_product


def tiny_mlp_problem():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    g = torch.Generator().manual_seed(1)
    x = torch.randn(8, 3, generator=g, dtype=torch.float64)
    y = torch.randn(8, 2, generator=g, dtype=torch.float64)
    names = [name for name, _ in model.named_parameters()]
    params = list(model.parameters())
    shapes = [p.shape for p in params]
    sizes = [p.numel() for p in params]

    def loss_fn() -> torch.Tensor:
        return nn.functional.mse_loss(model(x), y)

    def flat_loss(flat: torch.Tensor) -> torch.Tensor:
        pieces = [c.reshape(s) for c, s in zip(flat.split(sizes), shapes, strict=True)]
        out = torch.func.functional_call(model, dict(zip(names, pieces, strict=True)), (x,))
        return nn.functional.mse_loss(out, y)

    flat = torch.cat([p.detach().reshape(-1) for p in params])
    return loss_fn, params, flat_loss, flat, sizes, shapes


def test_hvp_on_a_small_mlp_equals_the_explicit_hessian_times_v():
    loss_fn, params, flat_loss, flat, sizes, shapes = tiny_mlp_problem()
    v_flat = torch.randn(flat.numel(), generator=torch.Generator().manual_seed(2), dtype=flat.dtype)
    v = [c.reshape(s) for c, s in zip(v_flat.split(sizes), shapes, strict=True)]

    got = torch.cat([h.reshape(-1) for h in hessian_vector_product(loss_fn, params, v)])

    hessian = torch.autograd.functional.hessian(flat_loss, flat)
    torch.testing.assert_close(got, hessian @ v_flat, rtol=1e-10, atol=1e-12)
    _, hvp = torch.autograd.functional.hvp(flat_loss, flat, v_flat)
    torch.testing.assert_close(got, hvp, rtol=1e-10, atol=1e-12)


def test_hvp_gives_zeros_for_a_parameter_the_loss_does_not_use():
    w = nn.Parameter(torch.tensor([1.0, 2.0], dtype=torch.float64))
    unused = nn.Parameter(torch.ones(3, dtype=torch.float64))
    # loss = w0^2 w1 -> H = [[2 w1, 2 w0], [2 w0, 0]] = [[4, 2], [2, 0]]
    hv = hessian_vector_product(
        lambda: w[0] ** 2 * w[1], [w, unused], [torch.tensor([1.0, 1.0]), torch.ones(3)]
    )
    torch.testing.assert_close(hv[0], torch.tensor([6.0, 2.0], dtype=torch.float64))
    torch.testing.assert_close(hv[1], torch.zeros(3, dtype=torch.float64))


# ---------------------------------------------------------------- HessianProbe


def quadratic_loss(a: torch.Tensor, seed: int = 0):
    """Parameters (two tensors) and loss 1/2 theta^T A theta + b^T theta, whose Hessian is A."""
    g = torch.Generator().manual_seed(seed)
    n = a.shape[0]
    params = [
        nn.Parameter(torch.randn(n - 2, generator=g, dtype=torch.float64)),
        nn.Parameter(torch.randn(2, generator=g, dtype=torch.float64)),
    ]
    b = torch.randn(n, generator=g, dtype=torch.float64)

    def loss_fn() -> torch.Tensor:
        theta = torch.cat(params)
        return 0.5 * theta @ a @ theta + b @ theta

    return params, loss_fn


GAPPED = [8.0, 3.0, 2.0, 1.0, 0.5, 0.1]


def test_probe_power_iteration_finds_the_top_eigenvalue():
    a = spd_matrix(GAPPED)
    params, loss_fn = quadratic_loss(a)
    estimate = HessianProbe(iters=50, trace_samples=0).estimate(loss_fn, params)
    assert estimate["eigenvalue"] == pytest.approx(float(torch.linalg.eigvalsh(a).max()), rel=1e-8)
    assert math.isnan(estimate["trace"])


def test_probe_returns_the_largest_magnitude_eigenvalue_with_its_sign():
    a = spd_matrix([-6.0, 2.0, 1.0, 0.5])
    params, loss_fn = quadratic_loss(a)
    estimate = HessianProbe(iters=60, trace_samples=0).estimate(loss_fn, params)
    assert estimate["eigenvalue"] == pytest.approx(-6.0, rel=1e-8)


def test_probe_warm_start_is_accurate_after_one_iteration():
    a = spd_matrix(GAPPED)
    top = float(torch.linalg.eigvalsh(a).max())
    params, loss_fn = quadratic_loss(a)

    cold = HessianProbe(iters=1, trace_samples=0).estimate(loss_fn, params)["eigenvalue"]
    assert abs(cold - top) > 0.1 * top  # one iteration from a random start is not enough

    probe = HessianProbe(iters=50, trace_samples=0)
    probe.estimate(loss_fn, params)
    warm = HessianProbe(iters=1, trace_samples=0)
    warm.load_state_dict(probe.state_dict())
    assert warm.estimate(loss_fn, params)["eigenvalue"] == pytest.approx(top, rel=1e-8)

    probe.iters = 1  # the same probe, asked for one iteration on the next call
    with torch.no_grad():  # training moved on; the Hessian of a quadratic does not change
        params[0].add_(0.3)
    assert probe.estimate(loss_fn, params)["eigenvalue"] == pytest.approx(top, rel=1e-8)


def test_probe_trace_is_exact_for_a_diagonal_hessian():
    # Rademacher z has z_i^2 = 1, so z^T D z = tr(D) for every probe.
    a = torch.diag(torch.tensor([4.0, -1.0, 2.5, 0.5, 3.0], dtype=torch.float64))
    params, loss_fn = quadratic_loss(a)
    estimate = HessianProbe(iters=1, trace_samples=1).estimate(loss_fn, params)
    assert estimate["trace"] == pytest.approx(9.0, rel=1e-12)


def test_probe_hutchinson_trace_averages_to_the_trace():
    a = spd_matrix(GAPPED, seed=4)
    params, loss_fn = quadratic_loss(a)
    samples = 2000
    estimate = HessianProbe(iters=1, trace_samples=samples).estimate(loss_fn, params)
    off_diagonal = a - torch.diag(torch.diag(a))
    std = math.sqrt(2.0 * float(off_diagonal.square().sum()) / samples)
    assert estimate["trace"] == pytest.approx(float(torch.trace(a)), abs=4 * std)
    assert abs(estimate["trace"] - float(torch.trace(a))) < 0.02 * float(torch.trace(a))


def test_probe_leaves_global_rng_and_grads_alone():
    a = spd_matrix(GAPPED)
    params, loss_fn = quadratic_loss(a)
    params[0].grad = torch.full_like(params[0], 7.0)
    sentinel = params[0].grad
    rng_before = torch.get_rng_state()

    HessianProbe(iters=3, trace_samples=2).estimate(loss_fn, params)

    assert torch.equal(torch.get_rng_state(), rng_before)
    assert params[0].grad is sentinel
    assert torch.equal(params[0].grad, torch.full_like(params[0], 7.0))
    assert params[1].grad is None


def test_probe_depends_only_on_its_own_seed():
    a = spd_matrix(GAPPED)
    params, loss_fn = quadratic_loss(a)
    torch.manual_seed(123)
    first = HessianProbe(iters=1, trace_samples=1, seed=5).estimate(loss_fn, params)
    torch.manual_seed(456)
    second = HessianProbe(iters=1, trace_samples=1, seed=5).estimate(loss_fn, params)
    other = HessianProbe(iters=1, trace_samples=1, seed=6).estimate(loss_fn, params)
    assert first == second
    assert other["eigenvalue"] != first["eigenvalue"]


def test_probe_state_round_trip_reproduces_the_next_estimate():
    a = spd_matrix([5.0, 4.5, 4.0, 1.0, 0.5, 0.2])  # small gap: the vector is still moving
    params, loss_fn = quadratic_loss(a)
    probe = HessianProbe(iters=2, trace_samples=3, seed=1)
    probe.estimate(loss_fn, params)
    state = probe.state_dict()
    expected = probe.estimate(loss_fn, params)

    restored = HessianProbe(iters=2, trace_samples=3, seed=99)
    restored.load_state_dict(state)
    assert restored.estimate(loss_fn, params) == expected


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"iters": 0}, "hessian_iters must be >= 1"),
    ({"trace_samples": -1}, "trace_samples must be >= 0"),
])
def test_probe_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        HessianProbe(**kwargs)


def test_probe_on_a_linear_loss_reports_zero_curvature():
    w = nn.Parameter(torch.tensor([1.0, -2.0, 0.5]))
    x = torch.tensor([3.0, 1.0, 2.0])
    estimate = HessianProbe(iters=3, trace_samples=2).estimate(lambda: (w * x).sum(), [w])
    assert estimate == {"eigenvalue": 0.0, "trace": 0.0}
