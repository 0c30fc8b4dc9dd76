"""CurvatureLR: set the rate from the loss curvature, c / λ̂, never above the stability limit 2 / λ̂."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import torch
from torch import Tensor
from torch.optim import Optimizer

from lrlab.schedulers.base import AdaptiveLR, Decision, Guard, check_int, check_range
from lrlab.schedulers.space import Dimension
from lrlab.signals import EMA, HessianProbe, SecantCurvature, grad_norm, optimizer_params


@dataclass(frozen=True)
class CurvatureRule:
    """Move the reference group's rate to ``c / λ̂`` (``policy="set"``), or to
    ``min(initial rate, c / λ̂)`` (``policy="cap"``). With ``c < 2`` the rate stays below the
    gradient-descent stability limit ``2 / λ̂``. No positive λ̂ yet: nothing to decide.
    """

    c: float = 1.0
    policy: Literal["set", "cap"] = "set"

    def decide(self, curvature: float | None, current_lr: float, initial_lr: float) -> Decision | None:
        if curvature is None or not math.isfinite(curvature) or curvature <= 0.0 or current_lr <= 0.0:
            return None
        target = self.c / curvature
        if self.policy == "cap":
            target = min(target, initial_lr)
        values = {"curvature": curvature, "target_lr": target, "stability_limit": 2.0 / curvature}
        return Decision(target / current_lr, f"lr -> {self.c}/λ̂ with λ̂ = {curvature:.4g}"
                        + (" (capped at the initial rate)" if target == initial_lr else ""), values)


class CurvatureLR(AdaptiveLR):
    """Loss-landscape rate: estimate the curvature λ̂ of the loss and set the rate to ``c / λ̂``.

    For gradient descent on a quadratic, ``1/λ`` is the best step along an eigendirection of
    curvature λ and ``2/λ_max`` is the stability limit; ``c`` in (0, 2) keeps below it.

    * ``mode="secant"`` (default, no extra pass): λ̂ is an EMA of the positive secant estimates
      ``(g_t - g_{t-1})·(θ_t - θ_{t-1}) / ‖θ_t - θ_{t-1}‖²``, read through the optimizer hook —
      the curvature along the path actually taken (≤ λ_max). Every ``interval`` steps, the
      secant of the last two steps updates λ̂ and the rule decides (so the bookkeeping costs
      two steps in ``interval``).
    * ``mode="hessian"``: every ``hessian_interval`` steps, the top Hessian eigenvalue by power
      iteration on Hessian-vector products (warm-started) and a Hutchinson trace, on the batch
      of the ``loss_closure`` the loop passes to ``observe``. The global RNG is not touched.

    The multiplier applies to every group in proportion; the *reference* group is the one with
    the largest initial rate (the first to become unstable). With adaptive optimizers (Adam),
    the preconditioner changes the effective curvature: use ``rate_rule="quadratic_step"``,
    which measures the best step along the update the optimizer actually takes, or
    ``policy="cap"``, which only ever lowers the rate below its initial value.

    Args:
        optimizer: wrapped optimizer.
        mode: ``"secant"`` or ``"hessian"`` (default ``"secant"``).
        c: target rate times curvature, in (0, 2) (default 1.0).
        policy: ``"set"`` (rate follows c/λ̂ up and down, default) or ``"cap"``.
        rate_rule: ``"inverse_curvature"`` (default: rate = c/λ̂, gradient descent's rule) or
            ``"quadratic_step"`` (secant mode only): rate = c x the rate that minimises the
            quadratic model of the loss along the update actually taken, which accounts for
            momentum and Adam's preconditioning and equals c/λ̂ for plain gradient descent.
        smoothing: EMA weight of the past for λ̂ (one update per decision), in [0, 1) (default 0.5).
        interval: steps between decisions in secant mode, >= 1 (default 10).
        hessian_interval: steps between Hessian probes, >= 1 (default 100).
        hessian_iters: power iterations per probe, >= 1 (default 3; warm-started).
        trace_samples: Hutchinson probes per probe, >= 0 (default 1).
        seed: seed of the probes' own generator (default 0).
        min_lr, max_lr, warmup_steps, guard: see :class:`~lrlab.schedulers.base.AdaptiveLR`.
            The guard is on when this scheduler can raise the rate (``policy="set"``).

    Example:
        >>> import torch
        >>> torch.manual_seed(0) and None
        >>> model = torch.nn.Linear(8, 1)
        >>> opt = torch.optim.SGD(model.parameters(), lr=0.01)
        >>> sched = CurvatureLR(opt, interval=5, max_lr=1.0)
        >>> x = torch.randn(64, 8); y = x.sum(dim=1, keepdim=True)
        >>> for _ in range(30):
        ...     loss = (model(x) - y).pow(2).mean()
        ...     opt.zero_grad(); loss.backward(); opt.step()
        ...     sched.observe(loss=loss.item())  # for its guard (it can raise the rate)
        ...     sched.step()
        >>> lam = torch.linalg.eigvalsh(2 * torch.cat([x, torch.ones(64, 1)], 1).T
        ...                             @ torch.cat([x, torch.ones(64, 1)], 1) / 64)
        >>> bool(1 / lam.max() <= sched.get_last_lr()[0] <= 1 / lam.min())
        True
    """

    _stateful = ("secant", "probe", "curvature_ema")
    #: Arguments worth tuning, with ranges (the study tunes every schedule's rate besides these).
    search_space: ClassVar[dict[str, Dimension]] = {
        "c": Dimension(0.1, 1.5, log=True),
        "smoothing": Dimension(0.0, 0.9),
        "interval": Dimension(5, 50, log=True, integer=True),
    }

    def __init__(self, optimizer: Optimizer, *, mode: Literal["secant", "hessian"] = "secant",
                 c: float = 1.0, policy: Literal["set", "cap"] = "set",
                 rate_rule: Literal["inverse_curvature", "quadratic_step"] = "inverse_curvature",
                 smoothing: float = 0.5,
                 interval: int = 10, hessian_interval: int = 100, hessian_iters: int = 3,
                 trace_samples: int = 1, seed: int = 0, min_lr: float | Sequence[float] = 0.0,
                 max_lr: float | Sequence[float] | None = None, warmup_steps: int = 0,
                 guard: bool | Guard | Mapping[str, Any] = True, last_epoch: int = -1) -> None:
        if mode not in ("secant", "hessian"):
            raise ValueError(f"mode must be 'secant' or 'hessian', got {mode!r}")
        check_range("c", c, 0.0, 2.0, low_open=True, high_open=True)
        if policy not in ("set", "cap"):
            raise ValueError(f"policy must be 'set' or 'cap', got {policy!r}")
        check_range("smoothing", smoothing, 0.0, 1.0, high_open=True)
        check_int("interval", interval, 1)
        check_int("hessian_interval", hessian_interval, 1)
        if rate_rule not in ("inverse_curvature", "quadratic_step"):
            raise ValueError(f"rate_rule must be 'inverse_curvature' or 'quadratic_step', got {rate_rule!r}")
        if rate_rule == "quadratic_step" and mode == "hessian":
            raise ValueError("rate_rule='quadratic_step' needs mode='secant' (it measures along the update taken)")
        self.rate_rule = rate_rule
        self.mode = mode
        self.needs = frozenset({"grads", "loss_closure"} if mode == "hessian" else {"grads"})
        self.interval = interval
        self.hessian_interval = hessian_interval
        self.rule = CurvatureRule(c, policy)
        self.secant = SecantCurvature()
        self.probe = HessianProbe(hessian_iters, trace_samples, seed)
        self.curvature_ema = EMA(smoothing)
        # The reference group: the largest initial rate, the first to become unstable.
        rates = [float(g.get("initial_lr", g["lr"])) for g in optimizer.param_groups]
        self.reference = max(range(len(rates)), key=rates.__getitem__)
        super().__init__(optimizer, min_lr=min_lr, max_lr=max_lr, warmup_steps=warmup_steps,
                         guard=guard, last_epoch=last_epoch)

    @property
    def can_raise(self) -> bool:  # type: ignore[override]
        """Follows c/λ̂ up with ``policy="set"``; ``"cap"`` never passes the initial rate."""
        return self.rule.policy == "set"

    def initial_rule_state(self) -> dict[str, Any]:
        return {"steps": 0, "probes": 0, "step_lr": math.nan}

    def _decision(self) -> Decision | None:
        initial = float(self.base_lrs[self.reference])
        return self.rule.decide(self.curvature_ema.value, initial * self.scale, initial)

    def _effective_curvature(self, curvature: float, lr: float) -> float:
        """Curvature per unit of learning rate along the step actually taken (``quadratic_step``).

        Along the last update Δθ (taken with rate ``lr``), the quadratic model of the loss has its
        minimum at α* = -(g_{t-1}·Δθ) / (Δg·Δθ) times that step, i.e. at rate α*·lr. Returned as
        1 / (α*·lr), so that ``c / value`` is c times that rate; for plain gradient descent
        (Δθ = -lr·g) it equals the secant curvature itself.
        """
        slope, step_sq = self.secant.slope, self.secant.step_sq
        if not (curvature > 0.0 and slope < 0.0 and step_sq > 0.0 and lr > 0.0):
            return math.nan
        return curvature * step_sq / (-slope * lr)

    def _on_gradients(self, optimizer: Optimizer) -> Decision | None:
        steps = self.rule_state["steps"] + 1
        self.rule_state = {**self.rule_state, "steps": steps}
        params = optimizer_params(optimizer)
        if self.mode == "hessian":
            if steps % self.hessian_interval == 0:  # logged beside each probe, not every step
                self.signals = {**self.signals, "grad_norm": grad_norm(params)}
            return None
        # The secant is measured on the last pair of consecutive steps of each interval: two
        # steps of bookkeeping per decision instead of one every step (the rule decides only
        # every `interval` steps anyway).
        position = steps % self.interval
        if self.interval > 1 and position == self.interval - 1:
            self.secant.reset()
        if self.interval > 1 and position not in (0, self.interval - 1):
            return None
        step_lr = self.rule_state["step_lr"]  # the rate the step between this pair was taken with
        self.rule_state = {**self.rule_state, "step_lr": float(optimizer.param_groups[self.reference]["lr"])}
        curvature = self.secant.update(params, [p.grad for p in params])
        if position != 0:
            return None
        measured = curvature if self.rate_rule == "inverse_curvature" else self._effective_curvature(curvature, step_lr)
        if measured > 0.0:  # NaN and non-convex directions say nothing about the step size
            self.curvature_ema.update(measured)
        self.signals = {"grad_norm": self.secant.grad_norm, "secant_curvature": curvature,
                        "curvature": self.curvature_ema.value or math.nan}
        if self.rate_rule == "quadratic_step":
            self.signals["effective_curvature"] = measured
        return self._decision()

    def _observe(self, loss_closure: Callable[[], Tensor] | None = None, **_: Any) -> Decision | None:
        if self.mode != "hessian" or loss_closure is None:
            return None
        probes = self.rule_state["probes"]
        self.rule_state = {**self.rule_state, "probes": probes + 1}
        if probes % self.hessian_interval != 0:
            return None
        params = [p for p in optimizer_params(self.optimizer) if p.requires_grad]
        cuda = sorted({p.device.index or 0 for p in params if p.device.type == "cuda"})
        with torch.random.fork_rng(devices=cuda):  # dropout in the closure must not shift training's RNG
            estimate = self.probe.estimate(loss_closure, params)
        if estimate["eigenvalue"] > 0.0:
            self.curvature_ema.update(estimate["eigenvalue"])
        self.signals = {**self.signals, "hessian_eigenvalue": estimate["eigenvalue"],
                        "hessian_trace": estimate["trace"], "curvature": self.curvature_ema.value or math.nan}
        return self._decision()
