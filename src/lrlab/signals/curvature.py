"""Loss curvature: a free secant estimate along the last update, and amortised Hessian probes.

* :class:`SecantCurvature` — ``(g_t - g_{t-1})·(θ_t - θ_{t-1}) / ‖θ_t - θ_{t-1}‖²``, the
  curvature of the loss along the last step, from quantities the optimizer already has (no
  extra forward or backward pass; two parameter-sized buffers).
* :class:`HessianProbe` — the top Hessian eigenvalue by power iteration on Hessian-vector
  products (warm-started from the last eigenvector) and a Hutchinson estimate of the trace,
  both on one batch, sharing one first-order graph. Meant to run every K steps.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor


def flatten(tensors: Sequence[Tensor | None], like: Sequence[Tensor], out: Tensor | None = None) -> Tensor:
    """One flat float vector; a missing tensor (``None``) counts as zeros of its parameter's size.

    ``out``, when it has the right size, dtype and device, receives the result (no allocation).
    """
    # At least float32 (bf16/fp16 dots lose too much), and float64 kept where it is used.
    dtype = torch.float32
    for p in like:
        dtype = torch.promote_types(dtype, p.dtype)
    parts = [
        (t if t is not None else torch.zeros_like(p)).detach().reshape(-1).to(dtype)
        for t, p in zip(tensors, like, strict=True)
    ]
    if not parts:
        return torch.zeros(0)
    size = sum(part.numel() for part in parts)
    if out is not None and out.numel() == size and out.dtype == dtype and out.device == parts[0].device:
        return torch.cat(parts, out=out)
    return torch.cat(parts)


def secant_curvature_reference(
    params_prev: Sequence[Tensor], grads_prev: Sequence[Tensor],
    params: Sequence[Tensor], grads: Sequence[Tensor],
) -> float:
    """Plain per-tensor version of the secant estimate, for reading and for testing the fast one."""
    numerator = 0.0
    denominator = 0.0
    for tp, gp, t, g in zip(params_prev, grads_prev, params, grads, strict=True):
        step = (t - tp).double()
        numerator += float(((g - gp).double() * step).sum())
        denominator += float((step * step).sum())
    return numerator / denominator if denominator > 0.0 else math.nan


class SecantCurvature:
    """Curvature along the last update, from consecutive (parameters, gradients) pairs.

    Call :meth:`update` right before each optimizer step (the gradients then belong to the
    current parameters). Returns NaN on the first call, when the parameters did not move, or
    when an input is not finite. Negative values (non-convex directions) are returned as they
    are; the caller decides what to do with them.
    """

    def __init__(self) -> None:
        self.prev_params: Tensor | None = None
        self.prev_grads: Tensor | None = None
        self.grad_norm = math.nan  # global gradient norm at the last update, measured on the way
        self.slope = math.nan  # g_{t-1}·(θ_t - θ_{t-1}): < 0 when the step went downhill
        self.step_sq = math.nan  # ‖θ_t - θ_{t-1}‖²
        # Two spare buffers, reused: fresh parameter-sized allocations every call cost more in
        # page faults than the arithmetic itself.
        self._spare: tuple[Tensor | None, Tensor | None] = (None, None)

    def reset(self) -> None:
        """Forget the previous pair: the next :meth:`update` starts a new secant."""
        if self.prev_params is not None:
            self._spare = (self.prev_params, self.prev_grads)
        self.prev_params = None
        self.prev_grads = None

    def update(self, params: Sequence[Tensor], grads: Sequence[Tensor | None]) -> float:
        theta = flatten(params, params, out=self._spare[0])
        grad = flatten(grads, params, out=self._spare[1])
        value = math.nan
        if self.prev_params is not None and self.prev_grads is not None:
            # In place in the previous buffers: (θp - θ)·(gp - g) = (θ - θp)·(g - gp).
            step = self.prev_params.sub_(theta)
            change = self.prev_grads.sub_(grad)
            # One stack, one device sync for all four numbers.
            numbers = torch.stack([torch.dot(change, step), torch.dot(step, step), torch.dot(grad, grad),
                                   torch.dot(grad, step)])
            numerator, denominator, grad_sq, grad_step = numbers.tolist()
            # g_{t-1}·Δθ = (change + g)·(-step): the slope of the loss along the step, where it began.
            self.slope = -numerator - grad_step
            self.step_sq = denominator
            if denominator > 0.0 and math.isfinite(numerator) and math.isfinite(denominator):
                value = numerator / denominator
        else:
            grad_sq = float(torch.dot(grad, grad))
            self.slope = self.step_sq = math.nan
        self.grad_norm = math.sqrt(grad_sq) if grad_sq >= 0 else math.nan
        self._spare = (self.prev_params, self.prev_grads)
        self.prev_params, self.prev_grads = theta, grad
        return value

    def state_dict(self) -> dict[str, Any]:
        # Copies: the live buffers are reused in place by the next update.
        return {"prev_params": None if self.prev_params is None else self.prev_params.clone(),
                "prev_grads": None if self.prev_grads is None else self.prev_grads.clone()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.prev_params = None if state["prev_params"] is None else state["prev_params"].clone()
        self.prev_grads = None if state["prev_grads"] is None else state["prev_grads"].clone()


def _dot(a: Sequence[Tensor], b: Sequence[Tensor]) -> Tensor:
    return sum((x * y).sum() for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def _first_order_graph(loss_fn: Callable[[], Tensor], params: Sequence[Tensor]) -> list[Tensor]:
    loss = loss_fn()
    grads = torch.autograd.grad(loss, params, create_graph=True, allow_unused=True)
    return [g if g is not None else torch.zeros_like(p) for g, p in zip(grads, params, strict=True)]


def _hvp(grads: Sequence[Tensor], params: Sequence[Tensor], vec: Sequence[Tensor]) -> list[Tensor]:
    dot = _dot(grads, vec)
    if not dot.requires_grad:  # the loss is linear in the parameters: the Hessian is zero
        return [torch.zeros_like(p) for p in params]
    out = torch.autograd.grad(dot, params, retain_graph=True, allow_unused=True)
    return [h.detach() if h is not None else torch.zeros_like(p) for h, p in zip(out, params, strict=True)]


def hessian_vector_product(
    loss_fn: Callable[[], Tensor], params: Sequence[Tensor], vec: Sequence[Tensor]
) -> list[Tensor]:
    """H·v for the Hessian of ``loss_fn()`` with respect to ``params`` (double backprop)."""
    return _hvp(_first_order_graph(loss_fn, params), params, vec)


def _random_like(params: Sequence[Tensor], generator: torch.Generator, rademacher: bool) -> list[Tensor]:
    out = []
    for p in params:
        if rademacher:
            r = torch.randint(0, 2, p.shape, generator=generator, dtype=torch.int8).to(p.dtype) * 2 - 1
        else:
            r = torch.randn(p.shape, generator=generator, dtype=p.dtype)
        out.append(r.to(p.device))
    return out


def _normalised(vec: Sequence[Tensor]) -> list[Tensor]:
    norm = torch.sqrt(_dot(vec, vec))
    return [v / norm for v in vec]


class HessianProbe:
    """Top Hessian eigenvalue (power iteration) and Hutchinson trace, on one batch.

    Power iteration converges to the eigenvalue of largest *magnitude*; the Rayleigh quotient
    is returned with its sign. The eigenvector is kept and warm-starts the next call, so a few
    iterations per call suffice once training moves slowly.

    Args:
        iters: power iterations (Hessian-vector products) per call, >= 1 (default 3).
        trace_samples: Rademacher probes for the trace, >= 0 (default 1; 0 skips the trace).
        seed: seed of the probe's own random generator (the global RNG is never touched).
    """

    def __init__(self, iters: int = 3, trace_samples: int = 1, seed: int = 0) -> None:
        if iters < 1:
            raise ValueError(f"hessian_iters must be >= 1, got {iters}")
        if trace_samples < 0:
            raise ValueError(f"trace_samples must be >= 0, got {trace_samples}")
        self.iters = iters
        self.trace_samples = trace_samples
        self.generator = torch.Generator().manual_seed(seed)
        self.vector: list[Tensor] | None = None

    def estimate(self, loss_fn: Callable[[], Tensor], params: Sequence[Tensor]) -> dict[str, float]:
        """Returns ``{"eigenvalue": λ̂, "trace": tr̂}`` (trace NaN when ``trace_samples`` is 0)."""
        params = list(params)
        grads = _first_order_graph(loss_fn, params)
        vec = self.vector
        if vec is None or len(vec) != len(params):
            vec = _random_like(params, self.generator, rademacher=False)
        vec = _normalised(vec)
        eigenvalue = math.nan
        for _ in range(self.iters):
            hv = _hvp(grads, params, vec)
            eigenvalue = float(_dot(vec, hv))
            norm = float(torch.sqrt(_dot(hv, hv)))
            if not math.isfinite(norm) or norm == 0.0:
                break
            vec = [h / norm for h in hv]
        self.vector = [v.detach() for v in vec]
        trace = math.nan
        if self.trace_samples:
            total = 0.0
            for _ in range(self.trace_samples):
                z = _random_like(params, self.generator, rademacher=True)
                total += float(_dot(z, _hvp(grads, params, z)))
            trace = total / self.trace_samples
        return {"eigenvalue": eigenvalue, "trace": trace}

    def state_dict(self) -> dict[str, Any]:
        return {"vector": self.vector, "generator": self.generator.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.vector = None if state["vector"] is None else [v.clone() for v in state["vector"]]
        self.generator.set_state(state["generator"])
