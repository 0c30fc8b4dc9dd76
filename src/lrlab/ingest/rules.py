"""What a report states about the proposed rule's own settings, line by line: a threshold, a
change of the rate (``reduce by 10%``, ``halve``, ``x0.9``, ``divide by 10``), a window, an
interval, a patience, a meta-learner's rate; each a value or a range, with the line and the
phrase it came from.

Example:
    >>> [(s.what, s.value, s.line) for s in statements([(4, "if entropy > 0.5, reduce learning rate by 10%")])]
    [('threshold', 0.5, 4), ('decrease', 0.9, 4)]
    >>> [(s.what, s.low, s.high) for s in statements([(9, "Threshold: between 0.4 and 0.8")])]
    [('threshold', 0.4, 0.8)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lrlab.ingest.decisions import Evidence
from lrlab.ingest.markdown import plain
from lrlab.ingest.quantities import NUMBER, QuantityError, numbers, rate_changes, span
from lrlab.ingest.settings import Setting, Unit

_OF = r"(?:\s*(?:(?:of|is|was|value|set\s+to|at|equal\s+to)\b|[=:]))*\s*"
_RANGE = rf"(?:between\s+)?{NUMBER}(?:\s*(?:-|–|—|to|and)\s*{NUMBER})?|\[[^\]]{{1,40}}\]|\{{[^}}]{{1,60}}\}}"
_Q = rf"(?P<q>{_RANGE})"
_PATTERNS: tuple[tuple[str, str], ...] = (  # (what, pattern); "q" holds the value or range
    ("meta_lr", rf"meta[- ]?(?:learner|learning|controller|policy|optimi[sz]er)?(?:'s)?\s+(?:learning[- ]rate|lr|step\s+size|rate){_OF}{_Q}"),
    ("threshold", rf"threshold(?:\s*\([^)]{{0,30}}\))?{_OF}{_Q}"),
    ("threshold", rf"(?:entropy|uncertainty)\s*(?:>=?|≥|exceeds|is\s+above|goes\s+above|rises\s+above|above|is\s+greater\s+than|"
                  rf"greater\s+than|is\s+higher\s+than|higher\s+than|over)\s*(?:a\s+threshold\s+of\s+)?{_Q}"),
    ("window", rf"window(?:\s+(?:size|length))?{_OF}(?:the\s+)?(?:last\s+|previous\s+|past\s+)?{_Q}"),
    ("window", rf"(?:last|previous|past|recent)\s+{_Q}\s+(?:mini-?)?(?:batches|steps|iterations|updates)"),
    ("window", rf"over\s+(?:a\s+window\s+of\s+)?{_Q}\s+(?:consecutive\s+)?(?:mini-?)?(?:batches|steps|iterations)"),
    ("interval", rf"every\s+{_Q}\s+(?:training\s+)?(?:iterations|steps|batches|mini-?batches|updates)"),
    ("interval", rf"(?:frequency|interval|period){_OF}(?:every\s+)?{_Q}"),
    ("patience", rf"patience{_OF}{_Q}"),
    # a setting of its own ("decay: 0.8", "lr_reduction = 0.5"): a multiplier below 1
    ("decrease", rf"^(?:lr[_ ]|learning[_ ]rate[_ ])?(?:decay|reduction|decrease)(?:[_ ](?:factor|rate))?\s*[:=]\s*{_Q}$"),
    ("patience", rf"(?:does\s+not|doesn't|did\s+not|has\s+not|hasn't|have\s+not|haven't|fails?\s+to|no|not)\s+"
                 rf"(?:been\s+)?improve\w*\s+(?:for|in|over|after|within)\s+{_Q}"
                 rf"\s+(?:consecutive\s+)?(?:epochs|evaluations|checks|validations)"),
    ("patience", rf"(?:after\s+)?{_Q}\s+(?:consecutive\s+)?(?:epochs|evaluations)\s+(?:without|with\s+no|of\s+no)\s+"
                 rf"(?:\w+\s+)?improvement"),
)


@dataclass(frozen=True)
class Stated:
    """One setting of the rule as stated: ``value`` (a multiplier for ``decrease`` and
    ``increase``), or a range ``low``..``high`` (``value`` then its middle)."""

    what: str  # threshold | decrease | increase | window | interval | patience | meta_lr
    value: float
    phrase: str
    line: int | None
    low: float | None = None
    high: float | None = None
    evidence: Evidence | None = None  # a setting's own evidence, when it came from one

    def source(self) -> Evidence:
        return self.evidence or Evidence(self.line, self.phrase)


def statements(units: list[Unit]) -> list[Stated]:
    """Every statement about the rule in ``units``, in order of lines; a :class:`QuantityError`
    (with its line) for a number no plan can hold."""
    found: list[Stated] = []
    for line, text in units:
        try:
            found.extend(_in(plain(text), line))
        except QuantityError as error:
            raise QuantityError(str(error), line) from None
    return found


def from_settings(listed: list[Setting]) -> list[Stated]:
    """The statements in settings lrlab has no field for ("Entropy threshold: 0.6",
    "Window: last 5 batches"), with each setting's own evidence."""
    found: list[Stated] = []
    for setting in listed:
        if setting.key is not None:
            continue
        try:
            stated = _in(f"{setting.label}: {setting.value}", setting.line)
        except QuantityError as error:
            raise QuantityError(str(error), setting.line) from None
        found.extend(Stated(s.what, s.value, f"{setting.label}: {setting.value}", s.line, s.low, s.high,
                            setting.evidence) for s in stated)
    return found


def _in(words: str, line: int | None) -> list[Stated]:
    found: list[tuple[int, Stated]] = []
    taken: list[tuple[int, int]] = []
    for what, pattern in _PATTERNS:
        for match in re.finditer(pattern, words, re.I):
            if any(a < match.end() and match.start() < b for a, b in taken):
                continue
            stated = _quantity(what, match.group("q"), match.group(0).strip(), line)
            if stated is not None:
                found.append((match.start(), stated))
                taken.append(match.span())
    for change in rate_changes(words):
        if any(a <= change.start < b for a, b in taken):
            continue
        what = "decrease" if change.multiplier < 1 else "increase"
        low, high = (change.span.low, change.span.high) if change.span else (None, None)
        if change.multiplier != 1:
            found.append((change.start, Stated(what, change.multiplier, change.text, line, low, high)))
    return [s for _, s in sorted(found, key=lambda f: f[0])]


def _quantity(what: str, written: str, phrase: str, line: int | None) -> Stated | None:
    ranged = span(written)
    if ranged is not None:
        if what in ("window", "interval", "patience"):
            low, high = int(ranged.low), int(ranged.high)
            return Stated(what, round((low + high) / 2), phrase, line, low, high)
        return Stated(what, ranged.middle(log=what == "meta_lr"), phrase, line, float(ranged.low), float(ranged.high))
    found = numbers(written)
    if not found:
        return None
    value = found[0].value
    if what in ("window", "interval", "patience") and (value != int(value) or found[0].percent):
        return None  # "a window of 0.5" is not a count
    if what == "decrease":  # "decay: 0.8" multiplies; "decay: 10%" lowers by 10%
        value = 1 - value if found[0].percent else value
        if not 0 < value < 1:
            return None
    return Stated(what, value, phrase, line)
