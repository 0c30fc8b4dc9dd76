import math
import statistics

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrlab.signals import EMA, Window


def debiased_ema(values: list[float], beta: float) -> float:
    """Closed form: sum_i beta^(n-i) (1-beta) x_i / (1 - beta^n)."""
    n = len(values)
    weights = [(1 - beta) * beta ** (n - 1 - i) for i in range(n)]
    return sum(w * x for w, x in zip(weights, values, strict=True)) / (1 - beta**n)


# ---------------------------------------------------------------- EMA


def test_ema_is_none_before_any_finite_value():
    ema = EMA(0.9)
    assert ema.value is None
    assert ema.update(math.nan) is None
    assert ema.update(math.inf) is None
    assert ema.count == 0


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9, 0.999])
@pytest.mark.parametrize("first", [0.3, 3.0, 7.1, -123.456, 1e-8])
def test_ema_bias_correction_returns_the_first_value(beta, first):
    # Exact up to the rounding of (1 - beta) * x / (1 - beta): at most an ulp or two.
    assert EMA(beta).update(first) == pytest.approx(first, rel=4e-16, abs=0.0)


def test_ema_hand_computed_sequence():
    # beta = 0.5: raw = 1, 2.5, 5.25; corrections 0.5, 0.75, 0.875
    ema = EMA(0.5)
    assert [ema.update(v) for v in (2.0, 4.0, 8.0)] == pytest.approx([2.0, 2.5 / 0.75, 6.0])


def test_ema_matches_closed_form_on_a_random_sequence():
    values = list(np.random.default_rng(0).normal(3.0, 2.0, size=40))
    ema = EMA(0.9)
    for i, v in enumerate(values, start=1):
        assert ema.update(v) == pytest.approx(debiased_ema(values[:i], 0.9), rel=1e-12)


def test_ema_with_zero_beta_is_the_last_value():
    ema = EMA(0.0)
    for v in (1.0, -5.0, 2.5):
        assert ema.update(v) == v


def test_ema_ignores_non_finite_values():
    clean, dirty = EMA(0.8), EMA(0.8)
    for v in (1.0, 2.0, 3.0):
        clean.update(v)
    dirty.update(1.0)
    dirty.update(math.nan)
    dirty.update(2.0)
    dirty.update(math.inf)
    dirty.update(-math.inf)
    assert dirty.update(3.0) == clean.value
    assert dirty.count == 3


@pytest.mark.parametrize("beta", [-0.1, 1.0, 1.5, math.nan])
def test_ema_rejects_beta_outside_zero_one(beta):
    with pytest.raises(ValueError, match="smoothing must be in"):
        EMA(beta)


def test_ema_state_round_trip_continues_identically():
    first = EMA(0.9)
    for v in (1.0, 4.0, 2.0):
        first.update(v)
    second = EMA(0.9)
    second.load_state_dict(first.state_dict())
    assert second.value == first.value
    for v in (5.0, -1.0, 0.5):
        assert second.update(v) == first.update(v)


@settings(max_examples=80, deadline=None)
@given(
    beta=st.floats(0.0, 0.999),
    values=st.lists(
        st.one_of(st.floats(-1e6, 1e6), st.just(math.nan), st.just(math.inf)), min_size=1
    ),
)
def test_ema_stays_within_min_and_max_of_finite_inputs(beta, values):
    ema = EMA(beta)
    seen: list[float] = []
    for v in values:
        value = ema.update(v)
        if math.isfinite(v):
            seen.append(v)
        if not seen:
            assert value is None
            continue
        slack = 1e-9 * max(1.0, max(abs(x) for x in seen))
        assert min(seen) - slack <= value <= max(seen) + slack


# ---------------------------------------------------------------- Window


def test_window_mean_std_against_statistics_and_numpy():
    values = [2.0, 4.0, 4.0, 5.0, 7.0, 9.0]
    window = Window(10)
    for v in values:
        window.update(v)
    assert window.mean == pytest.approx(statistics.fmean(values))
    assert window.std == pytest.approx(statistics.stdev(values))  # ddof=1
    assert window.std == pytest.approx(float(np.std(values, ddof=1)))
    assert window.cv == pytest.approx(statistics.stdev(values) / statistics.fmean(values))
    assert not window.full


def test_window_with_too_few_values_is_nan():
    window = Window(3)
    assert math.isnan(window.mean) and math.isnan(window.std) and math.isnan(window.cv)
    window.update(4.0)
    assert window.mean == 4.0
    assert math.isnan(window.std) and math.isnan(window.cv)


def test_window_cv_is_nan_when_mean_is_zero():
    window = Window(2)
    window.update(-1.0)
    window.update(1.0)
    assert window.mean == 0.0
    assert window.std == pytest.approx(math.sqrt(2))
    assert math.isnan(window.cv)


def test_window_evicts_oldest_beyond_maxlen():
    window = Window(3)
    for v in (100.0, 1.0, 2.0, 3.0):
        window.update(v)
    assert list(window.values) == [1.0, 2.0, 3.0]
    assert window.full
    assert window.mean == 2.0
    assert window.std == 1.0
    assert window.cv == 0.5


def test_window_ignores_non_finite_values():
    window = Window(3)
    for v in (1.0, math.nan, math.inf, -math.inf, 2.0):
        window.update(v)
    assert list(window.values) == [1.0, 2.0]


def test_window_clear_empties_it():
    window = Window(2)
    window.update(1.0)
    window.update(2.0)
    window.clear()
    assert len(window.values) == 0 and not window.full


@pytest.mark.parametrize("size", [1, 0, -3])
def test_window_rejects_size_below_two(size):
    with pytest.raises(ValueError, match="window must be >= 2"):
        Window(size)


def test_window_state_round_trip_keeps_values_and_maxlen():
    first = Window(3)
    for v in (1.0, 2.0, 3.0, 4.0):
        first.update(v)
    second = Window(3)
    second.load_state_dict(first.state_dict())
    assert list(second.values) == [2.0, 3.0, 4.0]
    assert (second.mean, second.std, second.cv) == (first.mean, first.std, first.cv)
    second.update(10.0)
    first.update(10.0)
    assert list(second.values) == list(first.values) == [3.0, 4.0, 10.0]


def test_window_state_dict_is_a_snapshot():
    window = Window(3)
    window.update(1.0)
    state = window.state_dict()
    window.update(2.0)
    assert state == {"values": [1.0]}
