"""The shell every adaptive scheduler shares: bounds, warm-up, signals in, adjustments logged.

A subclass supplies the measuring (``_observe`` for signals the loop passes, ``_on_gradients``
for gradients read by the optimizer hook) and a pure rule that turns measurements into a
:class:`Decision`. This base applies decisions: it multiplies one *scale* shared by every
parameter group (so groups stay in proportion), keeps every rate inside ``[min_lr, max_lr]``,
holds decisions back during warm-up, logs every change, and saves and restores every bit of
state so that a resumed run follows the same learning-rate path.

When a decision takes effect: one made in ``observe()`` is applied at once, to the optimizer's
groups and to ``get_last_lr()``, so a loop that logs the rate right after an end-of-epoch
``observe(val_metrics=...)`` logs the new rate, and the next optimizer step uses it. One made
from gradients (read inside ``optimizer.step()``, before the update) is applied by the next
``step()``: the step that measured them keeps its rate. Either way the next optimizer step
after the decision trains with the new rate.

The loop's part is checked: a signal in the wrong shape (``observe(val_metrics=0.5)``) is a
``TypeError`` saying what is expected, and a signal the rule needs that never comes (``observe``
never called, or called without it) is a :class:`SignalWarning`, once, naming it: such a
scheduler would otherwise never act, silently. (Per-step signals are expected by the 10th
``step()``, evaluation ones by the ``evaluation_grace``-th, 1000 unless the loop says it evaluates
less often.)

Schedulers whose rule can take the rate above its initial value (``can_raise``) are watched by
the guard (:mod:`lrlab.schedulers.guard`), on by default: when the monitored validation metric
(or, in a loop without evaluations, the smoothed training loss) degrades past a tolerance from its
best, the rate returns to the best point's and raises are held off for a while. ``guard=False``
turns it off; schedulers that cannot raise the rate are never guarded and run exactly as before.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from numbers import Real
from typing import Any, ClassVar

from torch import Tensor
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

from lrlab.schedulers.decision import Decision
from lrlab.schedulers.guard import GUARD_NEEDS, Guard
from lrlab.signals import register_gradient_hook

#: Keyword arguments ``observe`` accepts, and what each is.
SIGNALS: dict[str, str] = {
    "logits": "model outputs of the training batch (Tensor, (N, C) or (N,))",
    "loss": "training loss of the batch (float or 0-d Tensor)",
    "val_metrics": "validation metrics after an evaluation, e.g. {'loss': 0.4, 'accuracy': 0.9}",
    "train_metrics": "training metrics over the same period, e.g. {'loss': 0.3}",
    "loss_closure": "callable returning the loss of one batch with its graph (for Hessian probes)",
}
#: What a scheduler may declare in ``needs``: the signals above, and gradients (read by a hook).
NEEDS: frozenset[str] = frozenset(SIGNALS) | {"grads"}
#: Signals a loop passes every optimizer step, and those it passes after each evaluation.
PER_STEP: frozenset[str] = frozenset({"logits", "loss", "loss_closure"})
PER_EVALUATION: frozenset[str] = frozenset({"val_metrics", "train_metrics"})
#: ``step()`` calls after which a needed signal that never came is warned about: a per-step
#: signal should have come by the 10th step; an evaluation by the 1000th (a loop that evaluates
#: less often is told that the warning is then expected).
STEP_GRACE = 10
EVALUATION_GRACE = 1000


class SignalWarning(UserWarning):
    """A scheduler needs a signal that its loop does not give it, so its rule cannot act."""


def check_signals(signals: Mapping[str, Any]) -> None:
    """``TypeError`` naming the signal and the expected shape, for a signal passed in another.

    Example:
        >>> check_signals({"val_metrics": {"loss": 0.4}, "loss": 0.3})
        >>> check_signals({"val_metrics": 0.5})
        Traceback (most recent call last):
        ...
        TypeError: val_metrics must be a dict of metric name to number, e.g. observe(val_metrics={'loss': 0.42, 'accuracy': 0.91}); got float 0.5
    """
    for name, value in signals.items():
        if value is None:
            continue
        if name in PER_EVALUATION:
            ok = isinstance(value, Mapping) and all(
                isinstance(k, str) and _is_number(v) for k, v in value.items())
            example = "{'loss': 0.42, 'accuracy': 0.91}" if name == "val_metrics" else "{'loss': 0.35}"
            expected = f"a dict of metric name to number, e.g. observe({name}={example})"
        elif name == "logits":
            ok, expected = isinstance(value, Tensor), "a Tensor of shape (batch, classes) (or (batch,) for one logit)"
        elif name == "loss":
            ok = _is_number(value) or (isinstance(value, Tensor) and value.numel() == 1)
            expected = "a number or a 0-d Tensor: the batch's mean training loss"
        elif name == "loss_closure":
            ok, expected = callable(value), "a callable that returns the loss of one batch, with its graph"
        else:
            continue
        if not ok:
            shown = f"{type(value).__name__} {value!r}" if _is_number(value) or isinstance(value, str) \
                else type(value).__name__
            raise TypeError(f"{name} must be {expected}; got {shown}")


def _is_number(value: Any) -> bool:
    return (isinstance(value, Real) and not isinstance(value, bool)) or (
        isinstance(value, Tensor) and value.numel() == 1)


def check_range(name: str, value: float, low: float, high: float, *, low_open: bool = False,
                high_open: bool = False) -> None:
    """Raise ``ValueError`` naming ``name`` unless ``value`` lies in the given interval."""
    ok = (low < value if low_open else low <= value) and (value < high if high_open else value <= high)
    if not ok or isinstance(value, bool):
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ValueError(f"{name} must be in {interval}, got {value!r}")


def check_int(name: str, value: int, minimum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def _per_group(name: str, value: float | Sequence[float], count: int) -> list[float]:
    values = list(value) if isinstance(value, Sequence) else [value] * count
    if len(values) != count:
        raise ValueError(f"{name} has {len(values)} values but the optimizer has {count} param groups")
    for v in values:
        if not (isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 and math.isfinite(v)):
            raise ValueError(f"{name} must be finite and >= 0, got {v!r}")
    return [float(v) for v in values]


class AdaptiveLR(LRScheduler):
    """Base class of lrlab's adaptive schedulers (see the module docstring).

    Args:
        optimizer: the wrapped optimizer; its groups' current ``lr`` are the initial rates.
        min_lr: lower bound on every rate, a float or one per group (default 0).
        max_lr: upper bound, a float or one per group; ``None`` (default) means 10x each group's
            initial rate.
        warmup_steps: linear warm-up from ``lr/warmup_steps`` to ``lr`` over this many steps,
            during which no rule fires (default 0).
        guard: for a scheduler that ``can_raise`` the rate: ``True`` (default) watches the run
            with :class:`~lrlab.schedulers.guard.Guard`'s defaults (validation accuracy where
            evaluations report it, else the loss; 50% of the gain since the first check lost
            and 1.25x worse than the best -> rate back to the best point's, raises held for 3
            checks and then never above that rate); a mapping or a ``Guard`` sets its arguments;
            ``False`` turns it off. Ignored by schedulers that cannot raise the rate. While on, a
            scheduler whose rule does not read ``val_metrics`` also ``needs`` ``val_metrics``
            and ``loss``.
    """

    needs: ClassVar[frozenset[str]] = frozenset()
    #: Attributes with ``state_dict``/``load_state_dict`` (signal trackers) saved with the scheduler.
    _stateful: ClassVar[tuple[str, ...]] = ()
    _saved = ("last_epoch", "_step_count", "base_lrs", "_last_lr", "scale", "rule_state",
              "adjustments", "signals", "observations", "_is_initial")
    #: Whether the rule can take the rate above its initial value; subclasses whose arguments
    #: decide it override this (a property). Only such schedulers are guarded.
    can_raise: bool = False

    def __init__(self, optimizer: Optimizer, *, min_lr: float | Sequence[float] = 0.0,
                 max_lr: float | Sequence[float] | None = None, warmup_steps: int = 0,
                 guard: bool | Guard | Mapping[str, Any] = True, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not a torch.optim.Optimizer")
        check_int("warmup_steps", warmup_steps, 0)
        count = len(optimizer.param_groups)
        initial = [float(g.get("initial_lr", g["lr"])) for g in optimizer.param_groups]
        self.min_lrs = _per_group("min_lr", min_lr, count)
        self.max_lrs = (_per_group("max_lr", max_lr, count) if max_lr is not None
                        else [10.0 * lr for lr in initial])
        for i, (low, high) in enumerate(zip(self.min_lrs, self.max_lrs, strict=True)):
            if low > high:
                raise ValueError(f"min_lr ({low}) must be <= max_lr ({high}) (param group {i})")
        # One scale for all groups keeps them in proportion; its bounds keep every group in range.
        ratios = [(lo / lr, hi / lr) for lo, hi, lr in zip(self.min_lrs, self.max_lrs, initial, strict=True) if lr > 0]
        self.min_scale = max((r[0] for r in ratios), default=0.0)
        self.max_scale = min((r[1] for r in ratios), default=math.inf)
        if self.min_scale > self.max_scale:
            raise ValueError(
                "min_lr/max_lr cannot hold every param group in proportion to its initial rate: "
                f"scale must be >= {self.min_scale:g} and <= {self.max_scale:g}")
        self.warmup_steps = warmup_steps
        self.scale = min(max(1.0, self.min_scale), self.max_scale)
        self.rule_state: dict[str, Any] = self.initial_rule_state()
        self.adjustments: list[dict[str, Any]] = []
        self.signals: dict[str, float] = {}
        self.observations = 0
        configured = Guard.from_argument(guard)  # validated even where it will not be used
        self.guard: Guard | None = configured if self.can_raise else None
        self.guard_state: dict[str, Any] = self.guard.initial_state() if self.guard else {}
        # A rule that reads validation metrics gets every check the guard needs already; one that
        # does not (gradients, logits) may raise between evaluations, or in a loop without any:
        # the guard asks for both, and falls back to the training loss until an evaluation comes.
        extra = GUARD_NEEDS if self.guard is not None and "val_metrics" not in self.needs else frozenset()
        self._guard_only = extra - frozenset(self.needs)  # what only the guard reads
        self.needs = frozenset(self.needs) | extra
        # What the loop has fed since this object was made, for the warnings (not saved: a
        # resumed run is checked afresh).
        self._fed: set[str] = set()
        self._warned: set[str] = set()
        self._calls = 0
        #: ``step()`` calls after which evaluation signals that never came are warned about; a loop
        #: that knows it evaluates less often (every epoch of 5000 steps) sets it higher.
        self.evaluation_grace = EVALUATION_GRACE
        super().__init__(optimizer, last_epoch)
        self._calls = 0  # the constructor's own step() is not the loop's
        self._hook = register_gradient_hook(optimizer, self._read_gradients) if "grads" in self.needs else None

    # -- what subclasses provide -------------------------------------------------------------
    def initial_rule_state(self) -> dict[str, Any]:
        """The rule's starting state (plain values only, so that it saves with ``weights_only``)."""
        return {}

    def _observe(self, **signals: Any) -> Decision | None:
        """Measure what the loop passed and ask the rule; default: nothing to do."""
        return None

    def _on_gradients(self, optimizer: Optimizer) -> Decision | None:
        """Measure the gradients about to be applied and ask the rule; default: nothing to do."""
        return None

    # -- signals in -------------------------------------------------------------------------
    def observe(self, **signals: Any) -> None:
        """Feed signals measured by the training loop: once per step, and after each evaluation.

        Accepted names are the keys of :data:`SIGNALS`; signals a scheduler does not need are
        ignored, so a loop may pass the same ones to any scheduler. A decision made here is
        applied at once: ``get_last_lr()`` and the optimizer's groups show the new rate as soon
        as this returns, and the next optimizer step trains with it.

        Example (validation-driven: ``step()`` every batch, ``observe`` after each evaluation)::

            for epoch in range(epochs):
                for x, y in train_loader:
                    ...; optimizer.step(); scheduler.step()
                val_loss, val_accuracy = evaluate(model, val_loader)
                scheduler.observe(val_metrics={"loss": val_loss, "accuracy": val_accuracy},
                                  train_metrics={"loss": mean_train_loss})
                print(scheduler.get_last_lr())   # already the rate the next epoch trains with
        """
        unknown = set(signals) - set(SIGNALS)
        if unknown:
            raise ValueError(f"unknown signal(s) {sorted(unknown)}; allowed: {sorted(SIGNALS)}")
        check_signals(signals)
        needed = {k: v for k, v in signals.items() if k in self.needs and v is not None}
        self._check_together(needed)
        self._fed.update(needed)
        if not (needed and needed.keys() <= self._guard_only):  # the guard's own calls are not the rule's
            self.observations += 1
        before = self.scale
        if self.guard is not None and not self.in_warmup:
            self._guard_check(needed)
        self._decide(self._observe(**needed))
        if self.scale != before:  # applied now, not at the next step(): what get_last_lr() says is true
            rates = self._rates(self.scale)
            for group, lr in zip(self.optimizer.param_groups, rates, strict=True):
                group["lr"] = lr
            self._last_lr = rates

    def step(self, epoch: int | None = None) -> None:  # type: ignore[override]
        super().step() if epoch is None else super().step(epoch)
        self._calls += 1
        if self._calls == STEP_GRACE:
            self._check_fed(PER_STEP)
        if self._calls == self.evaluation_grace:
            self._check_fed(PER_EVALUATION)

    # -- what the loop feeds -----------------------------------------------------------------
    @property
    def rule_needs(self) -> frozenset[str]:
        """The signals the rule itself reads (``needs`` less gradients and the guard's own)."""
        return frozenset(self.needs) - {"grads"} - self._guard_only

    def _warn(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            warnings.warn(message, SignalWarning, stacklevel=4)

    def _check_fed(self, kind: frozenset[str]) -> None:
        """After ``STEP_GRACE`` / ``EVALUATION_GRACE`` steps: warn about needed signals never fed."""
        name = type(self).__name__
        for signal in sorted((self.rule_needs & kind) - self._fed):
            when = ("every step, after optimizer.step()" if kind is PER_STEP
                    else "after each evaluation")
            late = ("" if kind is PER_STEP else
                    f" (if your loop evaluates less often than every {self.evaluation_grace} steps, this is "
                    "expected: set scheduler.evaluation_grace to more steps than that)")
            self._warn(signal, f"{name} needs {signal!r} but has had none in {self._calls} steps, so its rule "
                               f"cannot act: call scheduler.observe({signal}=...) {when}{late}")
        if kind is PER_STEP and "loss" in self._guard_only and not self._fed & GUARD_NEEDS:
            self._warn("guard", f"{name}'s guard (on because it can raise the rate) has had neither 'loss' nor "
                                f"'val_metrics' in {self._calls} steps, so it cannot step in: pass "
                                "observe(loss=...) every step or observe(val_metrics=...) after each "
                                "evaluation, or build it with guard=False")

    def _check_together(self, given: Mapping[str, Any]) -> None:
        """A call that carries some of the rule's signals of one kind but not the others it needs."""
        for kind in (PER_STEP, PER_EVALUATION):
            wanted = self.rule_needs & kind
            if given.keys() & wanted:
                for signal in sorted(wanted - given.keys()):
                    present = ", ".join(sorted(given.keys() & wanted))
                    self._warn(signal, f"{type(self).__name__} needs {signal!r} with {present}, but observe() "
                                       f"was called without it; pass both in one call")

    def _read_gradients(self, optimizer: Optimizer) -> None:
        self._decide(self._on_gradients(optimizer))

    def _decide(self, decision: Decision | None) -> None:
        if decision is None or self.in_warmup:
            return
        multiplier = decision.multiplier
        if not (math.isfinite(multiplier) and multiplier > 0.0):
            return
        new_scale = min(max(self.scale * multiplier, self.min_scale), self.max_scale)
        if self.guard is not None and new_scale > self.scale:
            allowed = self.guard.limit(self.guard_state, self.scale, new_scale)
            if allowed < new_scale:  # the guard holds this raise back (or part of it)
                self.guard_state = {**self.guard_state, "blocked": self.guard_state["blocked"] + 1}
                new_scale = allowed
        if new_scale == self.scale:
            return
        self._apply(new_scale, decision)

    def _apply(self, new_scale: float, decision: Decision) -> None:
        old_lrs = self._rates(self.scale)
        self.scale = new_scale
        self.adjustments.append({
            "step": self.last_epoch, "old_lr": old_lrs, "new_lr": self._rates(new_scale),
            "rule": decision.rule, "signals": dict(decision.signals),
        })

    # -- the guard ---------------------------------------------------------------------------
    def _guard_check(self, signals: dict[str, Any]) -> None:
        """A check on the monitored validation metric, or on a full window of training losses
        while no validation metric has been seen; a firing is logged even if the rate is already
        at the best point's (it starts a hold)."""
        guard, state = self.guard, self.guard_state
        assert guard is not None
        val_metrics = signals.get("val_metrics")
        watched = guard.watch(state, val_metrics) if val_metrics is not None else (state, None)
        if watched[1] is not None:
            kind, (state, value) = "val", watched
        elif signals.get("loss") is not None and state["val"] is None:
            loss = signals["loss"]
            # Summed as a tensor if it is one: one read per window, not a device sync per step.
            loss_sum = state["loss_sum"] + (loss.detach().float() if hasattr(loss, "detach") else float(loss))
            count = state["loss_count"] + 1
            if count < guard.loss_window:
                self.guard_state = {**state, "loss_sum": loss_sum, "loss_count": count}
                return
            kind, value = "train", float(loss_sum) / count
            state = {**state, "loss_sum": 0.0, "loss_count": 0}
        else:
            return
        self.guard_state, decision = guard.check(state, kind, value, self.scale)
        if decision is not None:
            self._apply(min(max(self.scale * decision.multiplier, self.min_scale), self.max_scale), decision)

    # -- rates out --------------------------------------------------------------------------
    @property
    def in_warmup(self) -> bool:
        return self.last_epoch < self.warmup_steps

    def _rates(self, scale: float) -> list[float]:
        warm = min(1.0, (self.last_epoch + 1) / self.warmup_steps) if self.warmup_steps else 1.0
        return [min(max(float(base) * scale * warm, lo), hi)
                for base, lo, hi in zip(self.base_lrs, self.min_lrs, self.max_lrs, strict=True)]

    def get_lr(self) -> list[float]:  # type: ignore[override]
        return self._rates(self.scale)

    # -- state ------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer, as plain values and tensors (loads with weights_only)."""
        state = {key: getattr(self, key) for key in self._saved}
        state["guard_state"] = self.guard_state
        state["trackers"] = {name: getattr(self, name).state_dict() for name in self._stateful}
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        for key in self._saved:
            setattr(self, key, state_dict[key])
        if self.guard is not None:  # a checkpoint from before the guard existed has none
            self.guard_state = state_dict.get("guard_state") or self.guard.initial_state()
        for name, tracker_state in state_dict["trackers"].items():
            getattr(self, name).load_state_dict(tracker_state)

    def detach(self) -> None:
        """Remove the optimizer hook (when the scheduler is discarded before the optimizer)."""
        if self._hook is not None:
            self._hook.remove()
            self._hook = None
