"""CompositeLR: a base schedule times an adaptive factor, the idea space of ``lrlab research``.

The rate at step ``t`` is ``initial rate x warm-up(t) x base(t) x factor``, held inside
``[min_lr, max_lr]``:

* **base** — ``"constant"`` (1), ``"cosine"`` (from 1 after warm-up to 0 at ``total_steps``, as
  lrlab's ``cosine`` baseline, torch's ``CosineAnnealingLR`` after ``LinearLR``) or ``"linear"``
  (from 1 after warm-up to 0 at ``total_steps``, as transformers' linear decay). Warm-up is the
  shell's: ``(t + 1) / warmup_steps`` over the first ``warmup_steps`` steps, no decision meanwhile.
* **factor** — starts at 1 and is multiplied by ``down`` (< 1) or ``up`` (>= 1) when the rule
  says so, kept inside ``[min_factor, max_factor]`` (``max_factor=1``: never above the base).
* **signals** — one, or two (``signal2``, joined by ``combine``), each a measurement of
  :mod:`lrlab.signals`; the loop feeds only what the chosen signals need:

  ============  ===========================================  ========================  ==============
  signal        raw value at a decision point                normalised (threshold)    needs
  ============  ===========================================  ========================  ==============
  entropy       EMA (0.9 per step) of the normalised          the same, in [0, 1]       logits
                predictive entropy of the training batches
  val_loss      validation loss, after each evaluation        / its first value         val_metrics
  grad_cv       CV (std/mean) of the global gradient norm     cv / (1 + cv)             grads (hook)
                over the ``interval`` steps
  grad_noise    gradient-noise scale B = tr(Σ)/|G|² over      B / (1 + B): the noise    grads (hook)
                the ``interval`` batches, in batches          share of a batch
                (McCandlish et al. 2018)                      gradient's squared norm
  curvature     λ̂: EMA (0.5) of the positive secant           rate x λ̂ / 2: the share   grads (hook)
                curvature on the last step pair of each       of the stability limit
                ``interval`` (no extra pass)                  2/λ̂ the rate is at
  loss_trend    mean training loss over the ``interval``      / its first value         loss
                steps
  ============  ===========================================  ========================  ==============

* **rule** — :class:`CompositeRule`. ``"threshold"``: the normalised value is *high* above
  ``threshold``, *low* below it. ``"trend"``: the raw value is *high* when it rose above the mean
  of its last ``history`` decision-point values by more than ``tolerance`` (relative), *low* when
  it fell below it by as much. ``direction="cut_when_high"`` cuts (x ``down``) when high and
  raises (x ``up``, if ``up > 1``) when low; ``"cut_when_low"`` the other way round. A side acts
  once it held at ``patience`` decision points in a row (of that signal), and its count starts
  again after acting. With two signals, ``combine="and"`` acts when both are ready, ``"or"``
  when either is (a cut wins over a raise). Per-step and gradient signals decide every
  ``interval`` steps; ``val_loss`` at each evaluation (``interval`` does not apply to it).

Which lrlab schedules are points of this space (tests check each path step for step):

* ``EntropyLR(threshold=t, factor=f, interval=i)`` (absolute mode, ``smoothing=0.9``, no
  ``increase_factor``) = ``CompositeLR(signal="entropy", rule="threshold", threshold=t, down=f,
  interval=i, patience=1, min_factor=0)``; ``EntropyLR(mode="relative", window=w,
  tolerance=0)`` = the same with ``rule="trend", history=w, tolerance=0``.
* ``GradVarLR(window=w, factor=f, statistic="cv" | "noise_scale", tolerance=t)`` =
  ``CompositeLR(signal="grad_cv" | "grad_noise", rule="trend", history=1, tolerance=t,
  interval=w, down=1 - f, up=1 + f, patience=1, min_factor=0, max_factor=10)`` (10: the shell's
  default ``max_lr`` bound).
* The baselines ``constant``, ``cosine`` and ``linear`` (the latter without warm-up:
  transformers' warm-up starts from 0) = ``CompositeLR(base=..., min_factor=1, max_factor=1)``,
  the factor pinned at 1.

Beside it, as named entries: ``PerformanceLR`` (improvement against the best value, plateau
counting, the overfitting gap), ``CurvatureLR`` (sets the rate to ``c / λ̂``, not a
multiplicative step), ``MetaLR`` (a learned policy), ``EntropyLR`` with ``increase_factor``
(raises on confidence), ``GradVarLR(statistic="std")``, and the baselines ``step``, ``plateau``
and ``onecycle``.

:func:`describe_idea` renders a point as one sentence; :attr:`CompositeLR.search_space` is the
space that ``lrlab research`` searches.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from torch import Tensor
from torch.optim import Optimizer

from lrlab.schedulers.base import AdaptiveLR, Decision, Guard, check_int, check_range
from lrlab.schedulers.space import Dimension
from lrlab.signals import (
    EMA,
    GradientNoiseScale,
    GradientStats,
    SecantCurvature,
    entropy_and_confidence,
    grad_norm,
    optimizer_params,
)

Base = Literal["constant", "cosine", "linear"]
Signal = Literal["entropy", "val_loss", "grad_cv", "grad_noise", "curvature", "loss_trend"]

BASES: tuple[str, ...] = ("constant", "cosine", "linear")
#: Each signal and what the training loop must feed for it.
SIGNAL_NEEDS: dict[str, frozenset[str]] = {
    "entropy": frozenset({"logits"}),
    "val_loss": frozenset({"val_metrics"}),
    "grad_cv": frozenset({"grads"}),
    "grad_noise": frozenset({"grads"}),
    "curvature": frozenset({"grads"}),
    "loss_trend": frozenset({"loss"}),
}
SIGNALS: tuple[str, ...] = tuple(SIGNAL_NEEDS)
GRADIENT_SIGNALS = frozenset({"grad_cv", "grad_noise", "curvature"})
RULES: tuple[str, ...] = ("threshold", "trend")
DIRECTIONS: tuple[str, ...] = ("cut_when_high", "cut_when_low")
COMBINES: tuple[str, ...] = ("and", "or")
#: EMA weights of the past: entropy per step (EntropyLR's default), curvature per decision
#: (CurvatureLR's default).
ENTROPY_SMOOTHING = 0.9
CURVATURE_SMOOTHING = 0.5
#: The shell's arguments besides the idea's (rendered by describe_idea only when given).
_SHELL = ("min_lr", "max_lr", "guard")


def base_factor(base: str, step: int, total_steps: int | None, warmup_steps: int = 0) -> float:
    """The base schedule's multiplier at ``step`` (0-based; warm-up is applied apart).

    Example:
        >>> [round(base_factor("cosine", t, 10, 2), 3) for t in (0, 2, 6, 10, 12)]
        [1.0, 1.0, 0.5, 0.0, 0.0]
        >>> base_factor("linear", 5, 10)
        0.5
    """
    if base == "constant" or step < warmup_steps:
        return 1.0
    assert total_steps is not None
    progress = min(1.0, (step - warmup_steps) / (total_steps - warmup_steps))
    if base == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * progress))
    return 1.0 - progress


def _choice(name: str, value: Any, allowed: Sequence[Any]) -> None:
    if isinstance(value, bool) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(repr(a) for a in allowed)}, got {value!r}")


def _signals(signal: str, signal2: str | None) -> tuple[str, ...]:
    """The distinct signals read (a ``signal2`` equal to ``signal`` adds nothing)."""
    return (signal,) if signal2 is None or signal2 == signal else (signal, signal2)


@dataclass(frozen=True)
class CompositeRule:
    """The pure rule: (state, the signals' values at a decision point) -> (state, decision).

    ``values`` maps each signal that reached a decision point to ``(raw, normalised)``; the
    threshold rule reads the normalised value, the trend rule the raw one. A non-finite value
    leaves that signal's state as it was. See the module docstring for the meaning of each field.
    """

    signals: tuple[str, ...] = ("grad_noise",)
    rule: Literal["threshold", "trend"] = "trend"
    threshold: float = 0.5
    history: int = 3
    tolerance: float = 0.0
    direction: Literal["cut_when_high", "cut_when_low"] = "cut_when_high"
    down: float = 0.8
    up: float = 1.0
    patience: int = 1
    combine: Literal["and", "or"] = "and"

    def initial_state(self) -> dict[str, Any]:
        """Per signal: its trend history and how many decision points in a row called for a
        cut and for a raise (plain values only)."""
        return {"history": {s: [] for s in self.signals}, "cut": dict.fromkeys(self.signals, 0),
                "raise": dict.fromkeys(self.signals, 0)}

    def _judge(self, history: list[float], raw: float, level: float) -> tuple[str | None, float, str]:
        """``("high" | "low" | None, reference, how)`` for one value."""
        if self.rule == "threshold":
            reference = self.threshold
            side = "high" if level > reference else "low" if level < reference else None
            return side, reference, f"{level:.4g} vs threshold {reference:g}"
        if not history:
            return None, math.nan, "no trend yet"
        reference = sum(history) / len(history)
        margin = self.tolerance * abs(reference)
        side = "high" if raw > reference + margin else "low" if raw < reference - margin else None
        return side, reference, f"{raw:.4g} vs trend {reference:.4g}"

    def decide(self, state: dict[str, Any], values: Mapping[str, tuple[float, float]]
               ) -> tuple[dict[str, Any], Decision | None]:
        history = {s: list(h) for s, h in state["history"].items()}
        cut, raise_ = dict(state["cut"]), dict(state["raise"])
        seen: dict[str, float] = {}
        how: dict[str, str] = {}
        for name, (raw, level) in values.items():
            used = level if self.rule == "threshold" else raw
            if not math.isfinite(used):
                continue
            side, reference, how[name] = self._judge(history[name][-self.history:], raw, level)
            if self.rule == "trend":
                history[name] = (history[name] + [raw])[-self.history:]
            cutting = side == ("high" if self.direction == "cut_when_high" else "low")
            raising = side is not None and not cutting
            cut[name] = cut[name] + 1 if cutting else 0
            raise_[name] = raise_[name] + 1 if raising else 0
            seen.update({name: raw, f"{name}_level": level, f"{name}_reference": reference})
        state = {"history": history, "cut": cut, "raise": raise_}
        if not seen:
            return state, None
        decision = None
        for multiplier, counts, verb in ((self.down, cut, "cut"), (self.up, raise_, "raise")):
            if verb == "raise" and self.up == 1.0:
                continue
            ready = [s for s in self.signals if counts[s] >= self.patience]
            if ready and (self.combine == "or" or len(ready) == len(self.signals)):
                reasons = f" {self.combine} ".join(f"{s} {how.get(s, 'unchanged')}" for s in ready)
                streak = f", {self.patience} in a row" if self.patience > 1 else ""
                decision = Decision(multiplier, f"{verb} ({self.rule}): {reasons}{streak}", seen)
                state[verb] = {**counts, **dict.fromkeys(ready, 0)}
                break
        return state, decision


def _check_idea(args: Mapping[str, Any]) -> None:
    """ValueError naming the argument and its allowed values, for the idea's own arguments."""
    _choice("base", args["base"], BASES)
    _choice("signal", args["signal"], SIGNALS)
    _choice("signal2", args["signal2"], (None, *SIGNALS))
    _choice("combine", args["combine"], COMBINES)
    _choice("rule", args["rule"], RULES)
    _choice("direction", args["direction"], DIRECTIONS)
    check_range("threshold", args["threshold"], 0.0, 10.0, low_open=True)
    check_int("history", args["history"], 1)
    check_range("tolerance", args["tolerance"], 0.0, 1.0, high_open=True)
    check_range("down", args["down"], 0.0, 1.0, low_open=True, high_open=True)
    check_range("up", args["up"], 1.0, 2.0)
    check_int("interval", args["interval"], 1)
    check_int("patience", args["patience"], 1)
    check_range("min_factor", args["min_factor"], 0.0, 1.0)
    check_range("max_factor", args["max_factor"], 1.0, 100.0)
    windowed = sorted(set(_signals(args["signal"], args["signal2"])) & {"grad_cv", "grad_noise"})
    if windowed and args["interval"] < 2:
        raise ValueError(f"interval must be an integer >= 2 with signal {windowed[0]!r} (a window's "
                         f"variability needs two steps), got {args['interval']!r}")


class CompositeLR(AdaptiveLR):
    """A base schedule times an adaptive factor driven by one or two signals (module docstring).

    Args:
        optimizer: wrapped optimizer.
        base: ``"constant"`` (default), ``"cosine"`` or ``"linear"``; the last two need
            ``total_steps`` and decay to 0 at it.
        signal: what drives the factor: ``"entropy"``, ``"val_loss"``, ``"grad_cv"``,
            ``"grad_noise"`` (default), ``"curvature"`` or ``"loss_trend"``.
        signal2: a second signal, or None (default; one equal to ``signal`` counts as None).
        combine: with two signals, act when ``"and"`` (default) both or ``"or"`` either call for it.
        rule: ``"trend"`` (default: the raw value against the mean of its last ``history``
            values) or ``"threshold"`` (the normalised value against ``threshold``).
        threshold: for ``rule="threshold"``, in (0, 10] (default 0.5; the normalised values of the
            table above live in [0, 1], except curvature and the losses' ratios, which may pass 1).
        history: for ``rule="trend"``, decision points in the reference mean, >= 1 (default 3;
            1: the previous value).
        tolerance: for ``rule="trend"``, relative change that counts, in [0, 1) (default 0).
        direction: ``"cut_when_high"`` (default: cut when high or rising, raise when low or
            falling) or ``"cut_when_low"``.
        down: multiplier of a cut, in (0, 1) (default 0.8).
        up: multiplier of a raise, in [1, 2] (default 1.0: never raise).
        interval: steps between decisions of per-step and gradient signals, >= 1, >= 2 with
            grad_cv or grad_noise (default 10); ``val_loss`` decides at each evaluation.
        patience: decision points in a row that must call for a change before it is made, >= 1
            (default 1).
        min_factor: lowest factor, in [0, 1] (default 0.1).
        max_factor: highest factor, in [1, 100] (default 1.0: never above the base rate).
        total_steps: optimizer steps in the run, >= 1; needed by the cosine and linear bases
            (the registry passes the run's).
        min_lr, max_lr, warmup_steps, guard: see :class:`~lrlab.schedulers.base.AdaptiveLR`.
            The guard is on when the factor can rise above 1 (``up > 1`` and ``max_factor > 1``).

    Example:
        >>> import torch
        >>> model = torch.nn.Linear(4, 3)
        >>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
        >>> sched = CompositeLR(opt, base="cosine", total_steps=20, signal="entropy",
        ...                     rule="threshold", threshold=0.5, interval=5)
        >>> sorted(sched.needs)
        ['logits']
        >>> for _ in range(20):
        ...     x, y = torch.randn(8, 4), torch.randint(0, 3, (8,))
        ...     logits = model(x)
        ...     loss = torch.nn.functional.cross_entropy(logits, y)
        ...     opt.zero_grad(); loss.backward(); opt.step()
        ...     sched.observe(logits=logits)
        ...     sched.step()
        >>> len(sched.adjustments), round(sched.scale, 4)   # an untrained model is uncertain: 4 cuts
        (4, 0.4096)
        >>> describe_idea({"base": "cosine", "signal": "entropy", "rule": "threshold", "interval": 5})
        'on a cosine base, every 5 steps, cut ×0.8 when the normalised predictive entropy is above 0.5 (the factor between 0.1 and 1: never above the base rate)'
    """

    needs: ClassVar[frozenset[str]] = frozenset({"grads"})  # of the defaults; each instance has its own
    #: The idea space of ``lrlab research`` (and this schedule's tuning space): every structural
    #: choice and the ranges a search would use.
    search_space: ClassVar[dict[str, Dimension]] = {
        "base": Dimension(choices=BASES),
        "signal": Dimension(choices=SIGNALS),
        "signal2": Dimension(choices=(None, *SIGNALS)),
        "combine": Dimension(choices=COMBINES),
        "rule": Dimension(choices=RULES),
        "direction": Dimension(choices=DIRECTIONS),
        "threshold": Dimension(0.05, 0.95, when=(("rule", "threshold"),)),
        "history": Dimension(1, 5, integer=True, when=(("rule", "trend"),)),
        "tolerance": Dimension(0.0, 0.1, when=(("rule", "trend"),)),
        "down": Dimension(0.5, 0.95),
        "up": Dimension(choices=(1.0, 1.05, 1.1, 1.25)),
        "interval": Dimension(5, 50, log=True, integer=True),
        "patience": Dimension(1, 4, integer=True),
        "min_factor": Dimension(0.01, 0.5, log=True),
        "max_factor": Dimension(choices=(1.0, 2.0, 4.0)),
    }
    _stateful = ("entropy_ema", "grad_stats", "noise", "secant", "curvature_ema")

    def __init__(self, optimizer: Optimizer, *, base: Base = "constant", signal: Signal = "grad_noise",
                 signal2: Signal | None = None, combine: Literal["and", "or"] = "and",
                 rule: Literal["threshold", "trend"] = "trend", threshold: float = 0.5,
                 history: int = 3, tolerance: float = 0.0,
                 direction: Literal["cut_when_high", "cut_when_low"] = "cut_when_high",
                 down: float = 0.8, up: float = 1.0, interval: int = 10, patience: int = 1,
                 min_factor: float = 0.1, max_factor: float = 1.0, total_steps: int | None = None,
                 min_lr: float | Sequence[float] = 0.0, max_lr: float | Sequence[float] | None = None,
                 warmup_steps: int = 0, guard: bool | Guard | Mapping[str, Any] = True,
                 last_epoch: int = -1) -> None:
        idea = {"base": base, "signal": signal, "signal2": signal2, "combine": combine, "rule": rule,
                "threshold": threshold, "history": history, "tolerance": tolerance,
                "direction": direction, "down": down, "up": up, "interval": interval,
                "patience": patience, "min_factor": min_factor, "max_factor": max_factor}
        _check_idea(idea)
        if base != "constant":
            if total_steps is None or isinstance(total_steps, bool) or not isinstance(total_steps, int) \
                    or total_steps < 1:
                raise ValueError(f"total_steps must be an integer >= 1 with base {base!r} (it decays to 0 "
                                 f"there), got {total_steps!r}")
            if isinstance(warmup_steps, int) and warmup_steps >= total_steps:
                raise ValueError(f"warmup_steps ({warmup_steps}) must be < total_steps ({total_steps})")
        self.base, self.total_steps = base, total_steps
        self.signal_names = _signals(signal, signal2)
        self.interval = interval
        self.min_factor, self.max_factor = min_factor, max_factor
        self.rule = CompositeRule(self.signal_names, rule, threshold, history, tolerance, direction,
                                  down, up, patience, combine)
        self.needs = frozenset().union(*(SIGNAL_NEEDS[s] for s in self.signal_names))
        self.entropy_ema = EMA(ENTROPY_SMOOTHING)
        self.grad_stats = GradientStats(max(2, interval))
        self.noise = GradientNoiseScale(k=max(2, interval), smoothing=0.0)
        self.secant = SecantCurvature()
        self.curvature_ema = EMA(CURVATURE_SMOOTHING)
        # The curvature's reference group: the largest initial rate, the first to become unstable.
        rates = [float(g.get("initial_lr", g["lr"])) for g in optimizer.param_groups]
        self.reference = max(range(len(rates)), key=rates.__getitem__) if rates else 0
        super().__init__(optimizer, min_lr=min_lr, max_lr=max_lr, warmup_steps=warmup_steps,
                         guard=guard, last_epoch=last_epoch)
        # The factor is the shell's scale: its bounds are the tighter of the rates' and the idea's.
        self.min_scale, self.max_scale = max(self.min_scale, min_factor), min(self.max_scale, max_factor)
        if self.min_scale > self.max_scale:
            raise ValueError(f"min_factor/max_factor [{min_factor:g}, {max_factor:g}] and min_lr/max_lr leave "
                             f"no factor for every param group: it must be >= {self.min_scale:g} and "
                             f"<= {self.max_scale:g}")

    @property
    def can_raise(self) -> bool:  # type: ignore[override]
        """The factor can pass 1 only with ``up > 1`` and ``max_factor > 1``."""
        return self.rule.up > 1.0 and self.max_factor > 1.0

    def initial_rule_state(self) -> dict[str, Any]:
        return {"rule": self.rule.initial_state(), "entropy_steps": 0, "grad_steps": 0,
                "loss_sum": 0.0, "loss_count": 0, "first": {}}

    def _rates(self, scale: float) -> list[float]:
        return super()._rates(scale * base_factor(self.base, self.last_epoch, self.total_steps, self.warmup_steps))

    # -- measuring ---------------------------------------------------------------------------
    def _normalised(self, name: str, raw: float) -> float:
        """The signal's normalised value (module docstring); NaN where it has none."""
        if not math.isfinite(raw):
            return math.nan
        if name == "entropy":
            return raw
        if name in ("grad_cv", "grad_noise"):
            raw = max(raw, 0.0)  # the noise scale's estimate can dip below 0 on small windows
            return raw / (1.0 + raw)
        if name == "curvature":
            return float(self.optimizer.param_groups[self.reference]["lr"]) * raw / 2.0
        first = self.rule_state["first"].get(name)  # the losses: relative to their first value
        if first is None:
            self.rule_state = {**self.rule_state, "first": {**self.rule_state["first"], name: raw}}
            first = raw
        return raw / first if first > 0 else math.nan

    def _ask(self, raw: dict[str, float]) -> Decision | None:
        if not raw:
            return None
        values = {name: (value, self._normalised(name, value)) for name, value in raw.items()}
        self.signals = {**self.signals, **{f"{name}_level": level for name, (_, level) in values.items()}}
        rule_state, decision = self.rule.decide(self.rule_state["rule"], values)
        self.rule_state = {**self.rule_state, "rule": rule_state}
        return decision

    def _observe(self, logits: Tensor | None = None, loss: Any = None,
                 val_metrics: Mapping[str, float] | None = None, **_: Any) -> Decision | None:
        names, state, raw, measured = self.signal_names, self.rule_state, {}, {}
        if "entropy" in names and logits is not None:
            entropy, _confidence = entropy_and_confidence(logits)
            smoothed = self.entropy_ema.update(entropy)
            measured["entropy"] = entropy
            if smoothed is not None:  # no finite value yet: nothing to count
                measured["entropy_ema"] = smoothed
                steps = state["entropy_steps"] + 1
                state = {**state, "entropy_steps": steps}
                if steps % self.interval == 0:
                    raw["entropy"] = smoothed
        if "loss_trend" in names and loss is not None:
            # Summed as a tensor if it is one: one read per interval, not a device sync per step.
            total = state["loss_sum"] + (loss.detach().float() if isinstance(loss, Tensor) else float(loss))
            count = state["loss_count"] + 1
            state = {**state, "loss_sum": total, "loss_count": count}
            if count == self.interval:
                raw["loss_trend"] = float(total) / count
                measured["loss_trend"] = raw["loss_trend"]
                state = {**state, "loss_sum": 0.0, "loss_count": 0}
        if "val_loss" in names and val_metrics is not None:
            if "loss" not in val_metrics:
                raise ValueError(f"val_metrics has no 'loss' (signal 'val_loss'); got {sorted(val_metrics)}")
            raw["val_loss"] = float(val_metrics["loss"])
            measured["val_loss"] = raw["val_loss"]
        self.rule_state = state
        self.signals = {**self.signals, **measured}
        return self._ask(raw)

    def _on_gradients(self, optimizer: Optimizer) -> Decision | None:
        names = self.signal_names
        params = optimizer_params(optimizer)
        steps = self.rule_state["grad_steps"] + 1
        self.rule_state = {**self.rule_state, "grad_steps": steps}
        decides = steps % self.interval == 0
        raw: dict[str, float] = {}
        if "grad_cv" in names or "grad_noise" in names:
            norm = grad_norm(params)  # measured once, shared by both
            self.signals = {**self.signals, "grad_norm": norm}
            if "grad_cv" in names:
                self.grad_stats.update(norm)
            if "grad_noise" in names:
                self.noise.update([p.grad for p in params], params, norm=norm)
            if decides:
                if "grad_cv" in names:
                    raw["grad_cv"] = self.grad_stats.cv
                    self.grad_stats.window.clear()  # windows do not overlap
                if "grad_noise" in names:
                    raw["grad_noise"] = self.noise.value if self.noise.value is not None else math.nan
        if "curvature" in names:
            # The secant of the last pair of consecutive steps of each interval: two steps of
            # bookkeeping per decision (as CurvatureLR).
            position = steps % self.interval
            if self.interval > 1 and position == self.interval - 1:
                self.secant.reset()
            if self.interval == 1 or position in (0, self.interval - 1):
                curvature = self.secant.update(params, [p.grad for p in params])
                if decides:
                    if curvature > 0.0:  # NaN and non-convex directions say nothing of the step size
                        self.curvature_ema.update(curvature)
                    raw["curvature"] = self.curvature_ema.value or math.nan
                    self.signals = {**self.signals, "secant_curvature": curvature, "curvature": raw["curvature"]}
        self.signals = {**self.signals, **{k: v for k, v in raw.items() if k != "curvature"}}
        return self._ask(raw)


# -- the idea in words -------------------------------------------------------------------------
#: (what the trend rule reads, what the threshold rule reads, its unit after the number)
_WORDS: dict[str, tuple[str, str, str]] = {
    "entropy": ("the predictive entropy", "the normalised predictive entropy", ""),
    "val_loss": ("the validation loss", "the validation loss", " of its first value"),
    "grad_cv": ("the gradient-norm variability (CV)", "the gradient-norm variability CV/(1+CV)", ""),
    "grad_noise": ("the gradient-noise scale", "the gradient-noise share B/(1+B)", ""),
    "curvature": ("the curvature λ̂", "the rate", " of the stability limit 2/λ̂"),
    "loss_trend": ("the training loss", "the training loss", " of its first value"),
}


def idea_arguments(args: Mapping[str, Any]) -> dict[str, Any]:
    """Every argument of ``CompositeLR`` for a point: ``args`` over the defaults, validated
    (``ValueError`` naming an unknown or invalid argument). ``total_steps`` is the run's, not the
    idea's, and is left out."""
    parameters = inspect.signature(CompositeLR).parameters
    allowed = [n for n in parameters if n not in ("optimizer", "total_steps", "last_epoch")]
    unknown = sorted(set(args) - set(allowed) - {"total_steps"})
    if unknown:
        raise ValueError(f"composite does not take {unknown}; allowed: {sorted(allowed)}")
    full = {n: args.get(n, parameters[n].default) for n in allowed}
    _check_idea(full)
    check_int("warmup_steps", full["warmup_steps"], 0)
    Guard.from_argument(full["guard"])
    return full


def describe_idea(args: Mapping[str, Any]) -> str:
    """The point ``args`` of the composite space as one sentence, generated from its arguments
    (defaults filled in); every argument that changes the behaviour shows, none that does not.

    Example:
        >>> describe_idea({"base": "cosine", "signal": "grad_noise", "rule": "trend", "history": 1,
        ...                "patience": 3, "max_factor": 1.0})
        'on a cosine base, every 10 steps, cut ×0.8 when the gradient-noise scale has risen above its previous value at 3 checks in a row (the factor between 0.1 and 1: never above the base rate)'
    """
    a = idea_arguments(args)
    names = _signals(a["signal"], a["signal2"])
    base = f"on a {a['base']} base" + (f" after {a['warmup_steps']} warm-up steps" if a["warmup_steps"] else "")
    per_step = [n for n in names if n != "val_loss"]
    cadence = " and ".join(([f"every {a['interval']} steps"] if per_step else [])
                           + (["after each evaluation"] if "val_loss" in names else []))
    streak = f" at {a['patience']} checks in a row" if a["patience"] > 1 else ""
    high = a["direction"] == "cut_when_high"
    joiner = f" {a['combine']} "
    text = (f"{base}, {cadence}, cut ×{a['down']:g} when "
            f"{joiner.join(_condition(n, a, high) for n in names)}{streak}")
    if a["up"] > 1.0:
        text += f", raise ×{a['up']:g} when {joiner.join(_condition(n, a, not high) for n in names)}{streak}"
    low, top = a["min_factor"], a["max_factor"]
    if low == top:
        bounds = "the factor pinned at 1: the base schedule itself"
    else:
        ceiling = "never above the base rate" if top == 1.0 else f"at most ×{top:g} the base rate"
        bounds = (f"the factor between {low:g} and {top:g}: " if low > 0 else "") + ceiling
    text += f" ({bounds})"
    if a["guard"] is not True and a["up"] > 1.0 and top > 1.0:  # the guard only watches raises above 1
        guard = Guard.from_argument(a["guard"])
        text += "; no guard" if guard is None else f"; guard {guard}"
    if a["min_lr"] != 0.0 or a["max_lr"] is not None:
        text += f"; rates within [{a['min_lr']}, {a['max_lr'] if a['max_lr'] is not None else '10x the initial'}]"
    return text


def _condition(name: str, a: Mapping[str, Any], high: bool) -> str:
    trend_words, level_words, unit = _WORDS[name]
    if a["rule"] == "threshold":
        return f"{level_words} is {'above' if high else 'below'} {a['threshold']:g}{unit}"
    by = f" by more than {a['tolerance']:.0%}" if a["tolerance"] else ""
    reference = "its previous value" if a["history"] == 1 else f"the mean of its last {a['history']} values"
    return f"{trend_words} has {'risen' if high else 'fallen'}{by} {'above' if high else 'below'} {reference}"
