"""Numbers, ranges and changes of the rate as reports write them; what no plan can hold is a
QuantityError, never inf."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrlab.ingest.quantities import QuantityError, numbers, rate_changes, span, value_of
from lrlab.ingest.rules import statements


@pytest.mark.parametrize(("written", "value"), [
    ("0.001", 0.001), ("1e-3", 0.001), ("1E-3", 0.001), ("3 x 10^-4", 0.0003), ("3×10^-4", 0.0003), ("10^-3", 0.001),
    ("1,024", 1024), (".5", 0.5), ("ten", 10), ("2.5e-5", 2.5e-5), ("64", 64),
])
def test_numbers_as_written(written: str, value: float):
    assert value_of(written) == value
    assert isinstance(value_of(written), int) == isinstance(value, int)


def test_superscript_exponents_percent_and_sentence_ends():
    assert [n.value for n in numbers("a rate of 10⁻³, 5% dropout and 0.9.")] == [0.001, 0.05, 0.9]
    assert numbers("32x32 images, v1.2") == []


@pytest.mark.parametrize(("written", "message"), [
    ("1e999999", "not a finite number"), ("9" * 400, "too large to be a setting (400 digits)"),
    ("1e-999999", "too small to be told from zero"), ("10^-999", "not a finite number"),
])
def test_what_no_plan_can_hold_is_an_error(written: str, message: str):
    with pytest.raises(QuantityError, match=re.escape(message)):
        value_of(written)


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=1e-300, max_value=1e300))
def test_any_finite_number_reads_back(value: float):
    for written in (repr(value), f"{value:.6e}"):
        assert value_of(written) == pytest.approx(float(written), rel=1e-12)


@given(st.integers(min_value=300, max_value=10**6))
def test_huge_exponents_are_errors_not_inf(exponent: int):
    try:
        read = value_of(f"1e{exponent}")
    except QuantityError:
        return
    assert math.isfinite(read)


@pytest.mark.parametrize(("text", "low", "high"), [
    ("between 0.4 and 0.8", 0.4, 0.8), ("from 1e-4 to 1e-2", 1e-4, 1e-2), ("1e-4-1e-2", 1e-4, 1e-2),
    ("[0.3, 0.9]", 0.3, 0.9), ("0.3–0.9", 0.3, 0.9), ("{0.3, 0.5, 0.7}", 0.3, 0.7), ("10-50%", 0.1, 0.5),
    ("5 to 20", 5, 20),
])
def test_ranges(text: str, low: float, high: float):
    found = span(text)
    assert found is not None and (found.low, found.high) == (low, high)


@pytest.mark.parametrize("text", ["32x32", "lr: -1", "0.001 (decayed to 1e-5 by cosine)", "batch 64"])
def test_not_ranges(text: str):
    assert span(text) is None


@pytest.mark.parametrize(("text", "multiplier"), [
    ("reduce learning rate by 10%", 0.9), ("reduce the learning rate 10 percent", 0.9), ("lower it by 25 per cent", 0.75),
    ("halve the learning rate", 0.5), ("cut it in half", 0.5), ("lr ×0.9", 0.9), ("lr x 0.9", 0.9), ("lr * 0.9", 0.9),
    ("divide the learning rate by 10", 0.1), ("reduce the learning rate by a factor of 10", 0.1),
    ("reduce it by a factor of 0.5", 0.5), ("decrease 10-fold", 0.1), ("multiply the rate by 0.8", 0.8),
    ("scale the learning rate by 0.95", 0.95), ("decay factor of 0.9", 0.9), ("reduction factor: 10%", 0.9),
    ("increase by 5%", 1.05), ("double the rate", 2.0), ("reduce it to 10% of its value", 0.1),
])
def test_changes_of_the_rate(text: str, multiplier: float):
    assert [c.multiplier for c in rate_changes(text)] == [multiplier]


@pytest.mark.parametrize("text", ["reduce the learning rate by 0.1", "a factor of 2", "3 x 10^-4", "32x32 images",
                                  "the learning rate of 1e-3"])
def test_not_changes_of_the_rate(text: str):
    assert rate_changes(text) == []  # "reduce by 0.1": a fraction or an amount? not said


@pytest.mark.parametrize("text", ["reduce the learning rate by 150%", "multiply the rate by 0", "scale by -0.5",
                                  "multiply the learning rate by 1e999999"])
def test_changes_that_leave_no_rate_are_errors(text: str):
    with pytest.raises(QuantityError):
        rate_changes(text)


def test_a_range_of_changes():
    change = rate_changes("lower the learning rate by 10-30% when it grows")[0]
    assert change.span is not None and (change.span.low, change.span.high) == (0.7, 0.9)


@pytest.mark.parametrize(("text", "expected"), [
    ("if entropy > threshold, reduce learning rate by 10%", [("decrease", 0.9)]),
    ("Every 20 iterations, if the entropy is above a threshold of 0.6, multiply the learning rate by 0.8",
     [("interval", 20), ("threshold", 0.6), ("decrease", 0.8)]),
    ("Window: Last 5 batches", [("window", 5)]),
    ("Meta-learner learning rate: 0.0005", [("meta_lr", 0.0005)]),
    ("halve the rate if validation loss does not improve for 3 epochs", [("decrease", 0.5), ("patience", 3)]),
    ("Divide the learning rate by 2 after 3 epochs without improvement", [("decrease", 0.5), ("patience", 3)]),
    ("We train for 20 epochs with a batch size of 64.", []),
])
def test_rule_statements(text: str, expected: list[tuple[str, float]]):
    assert [(s.what, s.value) for s in statements([(1, text)])] == expected


def test_a_rule_statement_error_names_its_line():
    with pytest.raises(QuantityError) as raised:
        statements([(1, "fine"), (7, "reduce the learning rate by 200%")])
    assert raised.value.line == 7
