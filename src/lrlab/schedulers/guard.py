"""The guard: a scheduler that raises the rate must not wreck the run it schedules.

A rule that raises the rate while things go well (PerformanceLR while validation improves,
GradVarLR while gradients settle, MetaLR's policy, CurvatureLR's ``c / λ̂``, EntropyLR with
``increase_factor``) can push training past the rate it tolerates: the network collapses (the
loss stays finite, so nothing stops the run) and the rule may keep raising. The guard watches one
number — the monitored validation metric after each evaluation (by default the accuracy where
the evaluation reports one, else the loss) or, in a loop that never evaluates, the mean training
loss over windows of ``loss_window`` steps — and when it has
*degraded past a tolerance from its best*, it returns the rate to the rate of the best point and
holds raising off for ``patience`` checks; after that, raises stop at the best point's rate for
the rest of the run (``ceiling=True``), since a rule that raised the rate into one collapse will
raise it into the next one as soon as it may.

"Degraded past a tolerance" asks two things, so that neither early noise nor late overfitting
sets it off, while a collapse does:

1. the value gave back more than ``tolerance`` of the progress made between the first check and
   the best one (``value - best > tolerance x (first - best)`` for a metric to minimise, signs
   flipped for one to maximise): early in training, when progress is small, this alone would
   fire on noise;
2. and it is worse than the best by the factor ``ratio`` (``value > best x ratio`` to minimise,
   ``value < best / ratio`` to maximise; skipped when the best is <= 0): late in training a
   validation loss that doubles from a tiny best (overfitting) has not lost half of the progress.

A non-finite value is degraded. Higher-is-better metrics (accuracy, F1) and lower-is-better
ones (loss, WER) are handled by ``mode``. Accuracy is watched before the loss because the
validation loss of a healthy run that overfits can climb back towards its first value (on
breast_cancer it does within 40 epochs) while its accuracy holds; a collapse shows in both. :class:`Guard` is the pure rule and its arguments;
:class:`~lrlab.schedulers.base.AdaptiveLR` applies it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal

from lrlab.schedulers.decision import Decision

#: Signals the guard needs from the loop, on top of the scheduler's own.
GUARD_NEEDS: frozenset[str] = frozenset({"val_metrics", "loss"})
#: Relative slack when comparing the current rate with the best point's (rounding of scale products).
_SCALE_SLACK = 1e-12


def _check(name: str, ok: bool, allowed: str, value: Any) -> None:
    if not ok or isinstance(value, bool):
        raise ValueError(f"guard.{name} must be {allowed}, got {value!r}")


@dataclass(frozen=True)
class Guard:
    """Arguments and rule of the guard (see the module docstring).

    Args:
        monitor: key of ``val_metrics`` to watch; default None: ``"accuracy"`` if the first
            evaluation reports it, else ``"loss"`` (then kept for the run). An evaluation without
            it is not a check; until one with it arrives, the training loss is watched.
        mode: ``"min"`` or ``"max"``; default ``"min"`` if ``"loss"`` is in the monitored name
            (or ``"wer"``/``"cer"``/``"error"``), else ``"max"``.
        tolerance: share of the progress since the first check that may be given back, > 0
            (default 0.5: losing half of what the run had gained triggers the guard).
        ratio: how much worse than the best the value must also be, >= 1 (default 1.25).
        patience: checks during which the rate may not rise after the guard fired, >= 1
            (default 3); every check that is still degraded starts the count again.
        loss_window: training steps averaged into one check of the training loss, >= 1
            (default 50); only used while no validation metric has been seen.
        ceiling: after firing, never let the rate rise above the best point's rate again
            (default True); False: raises may resume once the hold is over.

    Example:
        >>> guard = Guard(monitor="loss")
        >>> state = guard.initial_state()
        >>> for value, scale in ((1.4, 1.0), (0.8, 1.25), (0.79, 2.0), (2.28, 4.0)):
        ...     state, decision = guard.check(state, "val", value, scale)
        >>> round(decision.multiplier, 4), decision.rule.split(",")[0]
        (0.5, 'guard: validation loss 2.28 > best 0.79 × 1.25')
    """

    monitor: str | None = None
    mode: Literal["min", "max"] | None = None
    tolerance: float = 0.5
    ratio: float = 1.25
    patience: int = 3
    loss_window: int = 50
    ceiling: bool = True

    def __post_init__(self) -> None:
        _check("monitor", self.monitor is None or (isinstance(self.monitor, str) and bool(self.monitor)),
               "a metric name or None", self.monitor)
        _check("mode", self.mode in (None, "min", "max"), "'min', 'max' or None", self.mode)
        _check("tolerance", isinstance(self.tolerance, int | float) and 0 < self.tolerance < math.inf,
               "a number in (0, inf)", self.tolerance)
        _check("ratio", isinstance(self.ratio, int | float) and 1 <= self.ratio < math.inf,
               "a number in [1, inf)", self.ratio)
        for name in ("patience", "loss_window"):
            value = getattr(self, name)
            _check(name, isinstance(value, int) and value >= 1, "an integer >= 1", value)
        if not isinstance(self.ceiling, bool):
            raise ValueError(f"guard.ceiling must be True or False, got {self.ceiling!r}")

    @classmethod
    def from_argument(cls, guard: bool | Guard | Mapping[str, Any] | None) -> Guard | None:
        """``True`` -> the defaults, ``False``/``None`` -> no guard, a mapping -> those arguments."""
        if isinstance(guard, Guard):
            return guard
        if guard is True:
            return cls()
        if guard is False or guard is None:
            return None
        if isinstance(guard, Mapping):
            known = {f.name for f in fields(cls)}
            unknown = sorted(set(guard) - known)
            if unknown:
                raise ValueError(f"guard does not take {unknown}; allowed: {sorted(known)}")
            return cls(**guard)
        raise ValueError(f"guard must be True, False, a Guard or a mapping of its arguments, got {guard!r}")

    def initial_state(self) -> dict[str, Any]:
        """Plain values only. ``val``/``train``: the first and best value of each watched number and
        the rate scale at the best; ``hold``: checks, the current one included, without raising; ``ceiling``: the highest
        scale raises may reach (None: no limit yet); ``loss_sum``/``loss_count``: the training-loss
        window being filled; ``events``: times the guard fired; ``blocked``: raises it held back."""
        return {"monitor": None, "val": None, "train": None, "hold": 0, "ceiling": None,
                "loss_sum": 0.0, "loss_count": 0, "events": 0, "blocked": 0}

    def watch(self, state: dict[str, Any], val_metrics: Mapping[str, float]) -> tuple[dict[str, Any], float | None]:
        """The value an evaluation gives the guard (None: not a check), and the state with the
        monitored metric fixed at the first evaluation that has it."""
        monitor = state["monitor"] or self.monitor or ("accuracy" if "accuracy" in val_metrics else "loss")
        if monitor not in val_metrics:
            return state, None
        return {**state, "monitor": monitor}, float(val_metrics[monitor])

    def mode_of(self, monitor: str) -> str:
        if self.mode is not None:
            return self.mode
        return "min" if any(word in monitor for word in ("loss", "wer", "cer", "error")) else "max"
    def limit(self, state: dict[str, Any], scale: float, new_scale: float) -> float:
        """The scale a decision from ``scale`` to ``new_scale`` may reach: no raise during a hold,
        none above the ceiling (a scale already above it may only fall)."""
        if new_scale <= scale:
            return new_scale
        if state["hold"] > 0:
            return scale
        if state["ceiling"] is not None:
            return max(scale, min(new_scale, state["ceiling"]))
        return new_scale

    def degraded(self, value: float, first: float, best: float, mode: str) -> bool:
        """Whether ``value`` has degraded past the tolerance from ``best`` (see the module docstring)."""
        if not math.isfinite(value):
            return True
        worse = value - best if mode == "min" else best - value
        progress = first - best if mode == "min" else best - first
        if worse <= 0 or worse <= self.tolerance * progress:
            return False
        if best <= 0:
            return True
        return value > best * self.ratio if mode == "min" else value < best / self.ratio

    def check(self, state: dict[str, Any], kind: Literal["val", "train"], value: float,
              scale: float) -> tuple[dict[str, Any], Decision | None]:
        """One check of the watched number: a validation value (``kind="val"``) or a window's mean
        training loss (``"train"``), while the rate's scale is ``scale``.

        Returns the new state and, when the guard fires, a :class:`Decision` whose multiplier takes
        the scale back to the best point's (never up: if the scale is already lower, it stays).
        A degraded check while already holding at or below the best point's rate only restarts the
        hold (one event per degradation, not one per check).
        """
        monitor = state["monitor"] or self.monitor or "loss"
        mode = self.mode_of(monitor) if kind == "val" else "min"
        track = state[kind]
        hold = state["hold"]
        if track is None:
            if math.isfinite(value):
                track = {"first": value, "best": value, "best_scale": scale}
            return {**state, kind: track, "hold": max(0, hold - 1)}, None
        first, best, best_scale = track["first"], track["best"], track["best_scale"]
        if not self.degraded(value, first, best, mode):
            better = value < best if mode == "min" else value > best
            if better:
                track = {**track, "best": value, "best_scale": scale}
            return {**state, kind: track, "hold": max(0, hold - 1)}, None
        state = {**state, "hold": self.patience + 1}  # this check, and the next `patience`
        if hold > 0 and scale <= best_scale * (1 + _SCALE_SLACK):
            return state, None
        state["events"] = state["events"] + 1
        target = min(scale, best_scale)
        if self.ceiling:
            state["ceiling"] = min(best_scale, state["ceiling"] if state["ceiling"] is not None else math.inf)
        return state, Decision(target / scale, self._rule(kind, monitor, value, first, best, mode),
                               {"guard_value": value, "guard_best": best, "guard_first": first,
                                "guard_best_scale": best_scale, "guard_scale": scale})

    def _rule(self, kind: str, monitor: str, value: float, first: float, best: float, mode: str) -> str:
        what = f"validation {monitor}" if kind == "val" else f"training loss (mean of {self.loss_window} steps)"
        relation = f"> best {best:.4g} × {self.ratio:g}" if mode == "min" else f"< best {best:.4g} / {self.ratio:g}"
        progress = first - best if mode == "min" else best - first
        worse = value - best if mode == "min" else best - value
        lost = (f"{worse / progress:.0%} of the gain since the first check ({first:.4g}) lost"
                if progress > 0 and math.isfinite(value) else "no gain left")
        then = "then not above it" if self.ceiling else "then free"
        return (f"guard: {what} {value:.4g} {relation}, {lost} (tolerance {self.tolerance:.0%}): "
                f"rate back to the best point's, raises held for {self.patience} checks, {then}")
