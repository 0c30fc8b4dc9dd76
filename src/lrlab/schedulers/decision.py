"""What a rule decides: one small record, shared by every scheduler's rule and the guard."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Decision:
    """What a rule decided: multiply the rate by ``multiplier`` because of ``rule``."""

    multiplier: float
    rule: str
    signals: dict[str, float] = field(default_factory=dict)
