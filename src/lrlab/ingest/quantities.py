"""Numbers as reports write them: ``1e-3``, ``3 x 10^-4``, ``10⁻³``, ``1,024``, ``10%``, ``ten``;
ranges (``between 0.3 and 0.9``, ``1e-4 to 1e-2``, ``[0.3, 0.9]``, ``0.3–0.9``); and changes of
the rate (``reduce by 10%``, ``halve``, ``x0.9``, ``divide by 10``, ``by a factor of 10``).

Values are read exactly (``decimal``) and must be finite numbers a plan can hold: ``1e999999``
or a 400-digit integer is a :class:`QuantityError`, never ``inf`` and never a traceback. Whether
a value is in range for what it sets is the caller's check (it knows the field).

Example:
    >>> [n.value for n in numbers("lr 3 x 10^-4, batch 1,024, 10⁻³ and 5%")]
    [0.0003, 1024, 0.001, 0.05]
    >>> span("between 1e-4 and 1e-2").low, rate_changes("if entropy > 0.5, reduce the rate by 10%")[0].multiplier
    (0.0001, 0.9)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from lrlab.ingest.vocabulary import NUMBER_WORDS

MAX_INTEGER = 2**53  # beyond this no float (and so no plan value) holds an integer exactly


class QuantityError(ValueError):
    """A number that no plan can hold; the message is one line, ``line`` the report's line."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_MANTISSA = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?|\.\d+"
_EXPONENT = r"(?:\s*[eE]\s*[-+]?\d+|\s*(?:[x×·*]|\bx)\s*10\s*(?:\^|\*\*)\s*[-+]?\d+)"
_CORE = (rf"(?:[-+](?=[\d.]))?(?:10\s*(?:\^|\*\*)\s*[-+]?\d+|(?:{_MANTISSA}){_EXPONENT}?(?!\w|\.\d)"
         rf"|(?:{'|'.join(NUMBER_WORDS)})\b)")
NUMBER = rf"(?<![\w.]){_CORE}"
_NUMBER = re.compile(NUMBER, re.I)
_PERCENT = re.compile(r"\s*(?:%|percent\b|per\s*cent\b|pct\b)", re.I)


@dataclass(frozen=True)
class Number:
    """A number as written: ``value`` (an ``int`` when written as a whole number, a percentage
    as its fraction), ``text`` as written, and where in the text it stands."""

    value: int | float
    text: str
    start: int
    end: int
    percent: bool = False


def normalise(text: str) -> str:
    """Unicode minus and superscript exponents as plain text (``10⁻³`` -> ``10^-3``)."""
    text = text.replace("−", "-")
    return re.sub(r"([⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+)", lambda m: "^" + m.group(1).translate(_SUPERSCRIPT), text)


def value_of(written: str) -> int | float:
    """The exact value of one number as written; :class:`QuantityError` when no plan can hold it.

    Example:
        >>> value_of("1,024"), value_of("2.5e-4"), value_of("3 x 10^-4")
        (1024, 0.00025, 0.0003)
    """
    words = written.strip().lower()
    if words in NUMBER_WORDS:
        return NUMBER_WORDS[words]
    compact = re.sub(r"\s+", "", words).replace(",", "")
    power = re.fullmatch(r"([-+]?[\d.]+)?(?:[x×·*])?10(?:\^|\*\*)([-+]?\d+)", compact)
    if power and abs(int(power.group(2))) > 400:
        raise QuantityError(f"{_short(written)} is not a finite number a plan can hold")
    try:
        exact = Decimal(power.group(1) or "1").scaleb(int(power.group(2))) if power else Decimal(compact)
    except (InvalidOperation, ValueError):
        raise QuantityError(f"{_short(written)} is not a number") from None
    if not exact.is_finite():
        raise QuantityError(f"{written.strip()!r} is not a finite number")
    whole = not power and re.fullmatch(r"[-+]?\d+", compact) is not None
    if whole:
        if abs(exact) > MAX_INTEGER:
            raise QuantityError(f"{_short(written)} is too large to be a setting ({len(compact.lstrip('+-'))} digits)")
        return int(exact)
    value = float(exact)
    if not math.isfinite(value):
        raise QuantityError(f"{_short(written)} is not a finite number a plan can hold")
    if value == 0 and exact != 0:
        raise QuantityError(f"{_short(written)} is too small to be told from zero")
    return value


def _short(written: str) -> str:
    text = written.strip()
    return repr(text if len(text) <= 24 else f"{text[:10]}...{text[-6:]}")


def numbers(text: str) -> list[Number]:
    """Every number in ``text``, in order (percentages as fractions)."""
    text = normalise(text)
    found = []
    for match in _NUMBER.finditer(text):
        value = value_of(match.group(0))
        end = match.end()
        percent = _PERCENT.match(text, end)
        if percent:
            value, end = value / 100, percent.end()
        found.append(Number(value, text[match.start():end].strip(), match.start(), end, bool(percent)))
    return found


def first_number(text: str) -> Number | None:
    """The first number in ``text``, or None."""
    found = numbers(text)
    return found[0] if found else None


@dataclass(frozen=True)
class Span:
    """A range of values a report states: ``low`` to ``high`` (both as written, in order)."""

    low: int | float
    high: int | float
    text: str

    def middle(self, log: bool = False) -> float:
        """The range's middle (geometric when ``log``), to 2 significant digits."""
        mid = math.sqrt(self.low * self.high) if log and self.low > 0 else (self.low + self.high) / 2
        return float(f"{mid:.2g}")


_SEP = r"\s*(?:-|–|—|to|~|\.\.)\s*"


def span(text: str) -> Span | None:
    """The first range in ``text`` (``between A and B``, ``from A to B``, ``A to B``, ``A–B``,
    ``[A, B]``, ``{A, B, C}``: its least and greatest), or None.

    Example:
        >>> span("threshold in [0.4, 0.8]"), span("32x32") is None
        (Span(low=0.4, high=0.8, text='[0.4, 0.8]'), True)
    """
    text = normalise(text)
    found = numbers(text)
    for first, second in zip(found, found[1:], strict=False):
        between = text[first.end:second.start]
        before = text[max(0, first.start - 12):first.start].lower()
        bracketed = re.fullmatch(r"\s*,\s*", between) and re.search(r"[\[(]\s*$", before) \
            and re.match(r"\s*[\])]", text[second.end:])
        worded = re.fullmatch(r"\s*and\s*", between) and re.search(r"between\s*$", before)
        ranged = re.fullmatch(_SEP, between) and not (between.strip() == "-" and second.text.startswith(("-", "+")))
        first_value = first.value / 100 if ranged and second.percent and not first.percent else first.value
        if (bracketed or worded or ranged) and (first.percent == second.percent or ranged and second.percent):
            low, high = sorted((first_value, second.value))
            if low != high:
                start = first.start - len(before) + before.rfind("between") if worded else first.start
                end = second.end
                if bracketed:
                    start, end = text.rindex("[" if "[" in before else "(", 0, first.start), text.index("]" if "[" in before else ")", end) + 1
                return Span(low, high, text[start:end].strip())
    braces = re.search(r"\{([^{}]{1,80})\}", text)
    if braces:
        values = [n.value for n in numbers(braces.group(1))]
        if len(values) >= 2 and min(values) != max(values):
            return Span(min(values), max(values), braces.group(0))
    return None


@dataclass(frozen=True)
class Change:
    """A change of the rate a report states: ``multiplier`` (< 1 lowers it), as written."""

    multiplier: float
    text: str
    start: int
    span: Span | None = None  # a range of multipliers ("by 10-50%")


_DOWN = r"reduc|decreas|lower|cut|drop|decay|shrink|diminish|scal\w*\s+down|slash"
_UP = r"increas|rais|boost|grow|scal\w*\s+up|bump"
_VERB = rf"(?P<verb>{_DOWN}|{_UP}|multipl|scal|divid)\w*"
_GAP = r"(?P<gap>(?:\s+(?!by\b|to\b|with\b)[\w'-]+){0,5}?)"
_Q = rf"(?P<q>{_CORE}(?:\s*(?:-|–|—|to)\s*{NUMBER})?)"
_FORMS = (
    ("percent_by", rf"{_VERB}{_GAP}\s+by\s+(?:about\s+|roughly\s+)?{_Q}\s*(?:%|percent\b|per\s*cent\b)"),
    ("percent_to", rf"{_VERB}{_GAP}\s+to\s+{_Q}\s*(?:%|percent\b|per\s*cent\b)"),
    ("percent_bare", rf"(?P<verb>{_DOWN}|{_UP})\w*{_GAP}\s*:?\s+{_Q}\s*(?:%|percent\b|per\s*cent\b)"),
    ("factor", rf"{_VERB}{_GAP}\s+by\s+a\s+factor\s+(?:of\s+)?{_Q}"),
    ("divide", rf"(?P<verb>divid)\w*{_GAP}\s+by\s+{_Q}"),
    ("times", rf"{_VERB}{_GAP}\s+by\s+{_Q}(?!\s*(?:%|percent|per\s*cent))"),
    ("fold", rf"(?P<verb>{_DOWN}|{_UP})\w*{_GAP}\s+{_Q}\s*-?\s*fold"),
    ("sign", rf"(?P<verb>)(?:×|(?<![\w.])x|\*)\s*(?!10\s*(?:\^|\*\*)){_Q}"),
    ("named_factor", rf"(?P<verb>{_DOWN}|multiplicative|adjustment)\w*\s+factor(?:\s*(?:of|is|=|:|\()\s*){_Q}"),
    ("bare_factor", rf"(?P<verb>)\bfactor\s*(?:of|is|=|:)\s*{_Q}"),
)
_HALVE = re.compile(r"\bhalv(?:e|es|ed|ing)\b|\bcut\s+(?:it\s+|the\s+(?:learning[- ]rate|lr|rate)\s+)?in\s+half\b"
                    r"|\bby\s+half\b", re.I)
_DOUBLE = re.compile(r"\bdoubl(?:e|es|ed|ing)\b", re.I)


def rate_changes(text: str) -> list[Change]:
    """The changes of the rate ``text`` states, in order; :class:`QuantityError` for one that
    leaves no positive rate ("reduce by 150%", "multiply by 0").

    Example:
        >>> [c.multiplier for c in rate_changes("halve it; x0.9; divide by 10; raise by 5%")]
        [0.5, 0.9, 0.1, 1.05]
    """
    text = normalise(text)
    found: list[Change] = []
    taken: list[tuple[int, int]] = []
    for match in _HALVE.finditer(text):
        found.append(Change(0.5, match.group(0), match.start()))
        taken.append(match.span())
    for match in _DOUBLE.finditer(text):
        found.append(Change(2.0, match.group(0), match.start()))
        taken.append(match.span())
    for form, pattern in _FORMS:
        for match in re.finditer(pattern, text, re.I):
            if any(a < match.end() and match.start() < b for a, b in taken):
                continue
            change = _change(form, match)
            if change is not None:
                found.append(change)
                taken.append(match.span())
    return sorted(found, key=lambda c: c.start)


def _change(form: str, match: re.Match[str]) -> Change | None:
    verb = (match.group("verb") or "").lower()
    down = bool(re.match(_DOWN, verb)) or verb.startswith("divid")
    up = bool(re.match(_UP, verb))
    quantity = match.group("q")
    values = [n.value for n in numbers(quantity)]
    written = match.group(0).strip()
    if not values or (not form.startswith("percent") and _PERCENT.match(match.string, match.end())):
        return None

    def one(value: float) -> float | None:
        if form in ("percent_by", "percent_bare"):
            if not (down or up):
                return None
            fraction = value / 100
            if down and fraction >= 1:
                raise QuantityError(f"{written!r}: lowering the rate by {value:g}% leaves no positive rate")
            return 1 - fraction if down else 1 + fraction
        if form == "percent_to":
            return value / 100
        if form == "divide" or (form in ("factor", "fold", "named_factor") and down and value > 1):
            return 1 / value if value != 0 else 0.0
        if form == "times" and not verb.startswith(("multipl", "scal")):
            return None  # "reduce by 0.1": a factor or an amount? not said
        if form == "bare_factor" and value >= 1:
            return None  # "a factor of 2": up or down? not said
        return value

    multipliers = [one(v) for v in values]
    if any(m is None for m in multipliers):
        return None
    for m in multipliers:
        if not (m is not None and math.isfinite(m) and m > 0):
            raise QuantityError(f"{written!r}: leaves no positive rate (multiplier {m:g})")
    if len(multipliers) == 2:
        low, high = sorted(multipliers)  # type: ignore[type-var]
        return Change(float(f"{(low + high) / 2:.3g}"), written, match.start(), Span(low, high, quantity))
    return Change(float(f"{multipliers[0]:.6g}"), written, match.start())
