import math

import pytest

from lrlab.signals import ValidationTrend, generalization_gap


def test_docstring_example():
    trend = ValidationTrend("min")
    assert [trend.update(v) for v in (1.0, 0.8, 0.8, 0.81)] == [True, True, False, False]
    assert trend.plateau == 2
    assert trend.best == 0.8
    assert trend.count == 4


def test_mode_max_improves_upwards():
    trend = ValidationTrend("max")
    assert [trend.update(v) for v in (0.5, 0.7, 0.6, 0.7, 0.9)] == [True, True, False, False, True]
    assert trend.best == 0.9
    assert trend.plateau == 0


def test_first_value_always_improves():
    for mode in ("min", "max"):
        trend = ValidationTrend(mode)
        assert trend.update(123.0) is True
        assert (trend.best, trend.plateau) == (123.0, 0)


@pytest.mark.parametrize(
    ("mode", "best", "value", "improves"),
    [
        # min: must go below best - |best| * 0.1
        ("min", 1.0, 0.91, False),
        ("min", 1.0, 0.89, True),
        ("min", 10.0, 9.5, False),  # relative: an absolute 0.5 is only 5% of 10
        ("min", 10.0, 8.9, True),
        ("min", -10.0, -10.5, False),  # the margin uses |best|, so it keeps its sign
        ("min", -10.0, -11.1, True),
        # max: must go above best + |best| * 0.1
        ("max", 1.0, 1.09, False),
        ("max", 1.0, 1.11, True),
        ("max", -10.0, -9.5, False),
        ("max", -10.0, -8.9, True),
    ],
)
def test_threshold_is_relative_to_the_best(mode, best, value, improves):
    trend = ValidationTrend(mode, threshold=0.1)
    trend.update(best)
    assert trend.update(value) is improves
    assert trend.best == (value if improves else best)
    assert trend.plateau == (0 if improves else 1)


def test_zero_threshold_needs_a_strict_improvement():
    trend = ValidationTrend("min", threshold=0.0)
    trend.update(1.0)
    assert trend.update(1.0) is False
    assert trend.update(math.nextafter(1.0, 0.0)) is True


def test_plateau_counts_evaluations_since_last_improvement():
    trend = ValidationTrend("min")
    plateaus = []
    for v in (1.0, 1.0, 1.2, 1.1, 0.5, 0.6):
        trend.update(v)
        plateaus.append(trend.plateau)
    assert plateaus == [0, 1, 2, 3, 0, 1]


def test_nan_never_improves_but_counts_toward_plateau():
    trend = ValidationTrend("min")
    assert trend.update(math.nan) is False
    assert trend.plateau == 1 and math.isnan(trend.best)
    assert trend.update(2.0) is True  # the first finite value sets the best
    assert trend.update(math.nan) is False
    assert trend.update(math.inf) is False
    assert trend.update(-math.inf) is False
    assert (trend.best, trend.plateau, trend.count) == (2.0, 3, 5)
    assert trend.update(1.0) is True


@pytest.mark.parametrize(
    ("mode", "previous", "last", "expected"),
    [("min", 1.0, 0.8, 0.2), ("min", 0.8, 1.0, -0.2), ("max", 0.5, 0.7, 0.2), ("max", 0.7, 0.5, -0.2)],
)
def test_improvement_is_positive_when_better(mode, previous, last, expected):
    trend = ValidationTrend(mode)
    trend.update(previous)
    trend.update(last)
    assert (trend.previous, trend.last) == (previous, last)
    assert trend.improvement == pytest.approx(expected)


def test_improvement_is_nan_before_two_evaluations():
    trend = ValidationTrend("min")
    assert math.isnan(trend.improvement)
    trend.update(1.0)
    assert math.isnan(trend.improvement)


def test_generalization_gap_is_validation_minus_training():
    assert generalization_gap(0.25, 0.75) == 0.5
    assert generalization_gap(train_loss=1.0, val_loss=0.5) == -0.5
    assert isinstance(generalization_gap(1, 3), float)


def test_state_round_trip_continues_identically():
    first = ValidationTrend("max", threshold=0.01)
    for v in (0.5, 0.6, 0.59):
        first.update(v)
    second = ValidationTrend("max", threshold=0.01)
    second.load_state_dict(first.state_dict())
    for key in ("best", "last", "previous", "plateau", "count"):
        assert getattr(second, key) == getattr(first, key)
    for v in (0.6, 0.65, 0.64):
        assert second.update(v) == first.update(v)
        assert second.plateau == first.plateau
    assert second.improvement == first.improvement


def test_state_dict_is_a_snapshot():
    trend = ValidationTrend("min")
    trend.update(1.0)
    state = trend.state_dict()
    trend.update(0.5)
    assert state["best"] == 1.0 and state["count"] == 1


@pytest.mark.parametrize("mode", ["minimum", "MAX", ""])
def test_bad_mode_raises(mode):
    with pytest.raises(ValueError, match="mode must be 'min' or 'max'"):
        ValidationTrend(mode)


@pytest.mark.parametrize("threshold", [-0.1, math.nan])
def test_bad_threshold_raises(threshold):
    with pytest.raises(ValueError, match="threshold must be >= 0"):
        ValidationTrend("min", threshold=threshold)
