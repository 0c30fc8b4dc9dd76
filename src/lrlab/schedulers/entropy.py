"""EntropyLR: slow down while the model is uncertain (normalised predictive entropy)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from torch import Tensor
from torch.optim import Optimizer

from lrlab.schedulers.base import AdaptiveLR, Decision, Guard, check_int, check_range
from lrlab.schedulers.space import Dimension
from lrlab.signals import EMA, entropy_and_confidence


@dataclass(frozen=True)
class EntropyRule:
    """Every ``interval`` observations, compare smoothed entropy with a threshold or its own trend.

    * ``absolute``: cut (``x factor``) when entropy > ``threshold`` — the rule of the report.
    * ``relative``: cut when entropy exceeds the mean of its last ``window`` decision-point
      values by more than ``tolerance``: uncertainty that stopped falling, whatever its level.
    * With ``increase_factor``, raise the rate when the model is confidently improving: mean
      confidence >= ``confidence_threshold`` and entropy lower than at the last decision.
    """

    threshold: float = 0.5
    factor: float = 0.9
    interval: int = 10
    mode: Literal["absolute", "relative"] = "absolute"
    window: int = 5
    tolerance: float = 0.01
    increase_factor: float | None = None
    confidence_threshold: float = 0.9

    def initial_state(self) -> dict[str, Any]:
        return {"since": 0, "history": [], "last": None}

    def decide(self, state: dict[str, Any], entropy: float, confidence: float) -> tuple[dict[str, Any], Decision | None]:
        since = state["since"] + 1
        if since < self.interval:
            return {**state, "since": since}, None
        history, last = list(state["history"]), state["last"]
        values = {"entropy": entropy, "confidence": confidence}
        decision = None
        if self.mode == "absolute":
            if entropy > self.threshold:
                decision = Decision(self.factor, f"entropy {entropy:.4f} > threshold {self.threshold}", values)
        elif len(history) >= 1:
            reference = sum(history) / len(history)
            values["reference"] = reference
            if entropy > reference + self.tolerance:
                decision = Decision(self.factor, f"entropy {entropy:.4f} > trend {reference:.4f} + {self.tolerance}", values)
        if (decision is None and self.increase_factor is not None and last is not None
                and confidence >= self.confidence_threshold and entropy < last):
            decision = Decision(self.increase_factor,
                                f"confident ({confidence:.4f} >= {self.confidence_threshold}) and entropy falling", values)
        history = (history + [entropy])[-self.window:]
        return {"since": 0, "history": history, "last": entropy}, decision


class EntropyLR(AdaptiveLR):
    """Uncertainty-driven rate: lower it while predictions on training batches are uncertain.

    Each step the loop passes the batch's logits; the normalised entropy
    ``H = -Σ p log p / log C`` (0 = certain, 1 = uniform) is smoothed by an EMA and, every
    ``interval`` steps, :class:`EntropyRule` decides. The report's rule is the default:
    every 10 iterations, if smoothed entropy > 0.5, multiply the rate by 0.9.

    Args:
        optimizer: wrapped optimizer.
        threshold: entropy threshold for ``mode="absolute"``, in (0, 1) (default 0.5).
        factor: multiplier when uncertain, in (0, 1) (default 0.9).
        interval: observations between decisions, >= 1 (default 10).
        smoothing: EMA weight of the past for entropy and confidence, in [0, 1) (default 0.9).
        mode: ``"absolute"`` (default) or ``"relative"`` (compare with the entropy's own trend,
            so that a high start does not freeze learning).
        window: decision points in the relative trend, >= 1 (default 5).
        tolerance: how far above its trend entropy may rise in relative mode, in [0, 1] (default 0.01).
        increase_factor: if set, > 1 and <= 2: multiplier when confidently improving (default None: never raise).
        confidence_threshold: mean max-probability that counts as confident, in (0, 1] (default 0.9).
        min_lr, max_lr, warmup_steps, guard: see :class:`~lrlab.schedulers.base.AdaptiveLR`.
            The guard is on when this scheduler can raise the rate (an ``increase_factor`` is set).

    Example:
        >>> import torch
        >>> model = torch.nn.Linear(4, 3)
        >>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
        >>> sched = EntropyLR(opt, threshold=0.5, interval=2)
        >>> for _ in range(4):
        ...     x, y = torch.randn(8, 4), torch.randint(0, 3, (8,))
        ...     logits = model(x)
        ...     loss = torch.nn.functional.cross_entropy(logits, y)
        ...     opt.zero_grad(); loss.backward(); opt.step()
        ...     sched.observe(logits=logits)
        ...     sched.step()
        >>> sched.get_last_lr()[0] < 0.1   # an untrained model is uncertain: the rate went down
        True
    """

    needs: ClassVar[frozenset[str]] = frozenset({"logits"})
    #: Arguments worth tuning, with ranges (the study tunes every schedule's rate besides these).
    search_space: ClassVar[dict[str, Dimension]] = {
        "threshold": Dimension(0.3, 0.9, when=(("mode", "absolute"),)),
        "factor": Dimension(0.5, 0.99),
        "interval": Dimension(5, 50, log=True, integer=True),
    }
    _stateful = ("entropy_ema", "confidence_ema")

    def __init__(self, optimizer: Optimizer, *, threshold: float = 0.5, factor: float = 0.9,
                 interval: int = 10, smoothing: float = 0.9,
                 mode: Literal["absolute", "relative"] = "absolute", window: int = 5,
                 tolerance: float = 0.01, increase_factor: float | None = None,
                 confidence_threshold: float = 0.9, min_lr: float | Sequence[float] = 0.0,
                 max_lr: float | Sequence[float] | None = None, warmup_steps: int = 0,
                 guard: bool | Guard | Mapping[str, Any] = True, last_epoch: int = -1) -> None:
        check_range("threshold", threshold, 0.0, 1.0, low_open=True, high_open=True)
        check_range("factor", factor, 0.0, 1.0, low_open=True, high_open=True)
        check_int("interval", interval, 1)
        check_range("smoothing", smoothing, 0.0, 1.0, high_open=True)
        if mode not in ("absolute", "relative"):
            raise ValueError(f"mode must be 'absolute' or 'relative', got {mode!r}")
        check_int("window", window, 1)
        check_range("tolerance", tolerance, 0.0, 1.0)
        if increase_factor is not None:
            check_range("increase_factor", increase_factor, 1.0, 2.0, low_open=True)
        check_range("confidence_threshold", confidence_threshold, 0.0, 1.0, low_open=True)
        self.rule = EntropyRule(threshold, factor, interval, mode, window, tolerance,
                                increase_factor, confidence_threshold)
        self.entropy_ema = EMA(smoothing)
        self.confidence_ema = EMA(smoothing)
        super().__init__(optimizer, min_lr=min_lr, max_lr=max_lr, warmup_steps=warmup_steps,
                         guard=guard, last_epoch=last_epoch)

    @property
    def can_raise(self) -> bool:  # type: ignore[override]
        """Raises only with an ``increase_factor``."""
        return self.rule.increase_factor is not None

    def initial_rule_state(self) -> dict[str, Any]:
        return self.rule.initial_state()

    def _observe(self, logits: Tensor | None = None, **_: Any) -> Decision | None:
        if logits is None:
            return None
        entropy, confidence = entropy_and_confidence(logits)
        smoothed_entropy = self.entropy_ema.update(entropy)
        smoothed_confidence = self.confidence_ema.update(confidence)
        self.signals = {"entropy": entropy, "confidence": confidence}
        if smoothed_entropy is None or smoothed_confidence is None:
            return None  # no finite value seen yet
        self.signals.update(entropy_ema=smoothed_entropy, confidence_ema=smoothed_confidence)
        self.rule_state, decision = self.rule.decide(self.rule_state, smoothed_entropy, smoothed_confidence)
        return decision
