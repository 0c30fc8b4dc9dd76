"""EarlyStopping: count evaluations without a strict improvement."""

from __future__ import annotations

import math

from lrlab.train.early_stopping import EarlyStopping


def feed(stopping: EarlyStopping, values: list[float]) -> list[bool]:
    flags = []
    for value in values:
        stopping.update(value)
        flags.append(stopping.should_stop)
    return flags


def test_stops_after_patience_evaluations_without_improvement() -> None:
    stopping = EarlyStopping(patience=2, mode="min")
    assert feed(stopping, [1.0, 0.9, 0.9, 0.95]) == [False, False, False, True]
    assert stopping.best == 0.9


def test_an_improvement_resets_the_count_and_max_mode_wants_larger() -> None:
    stopping = EarlyStopping(patience=2, mode="max")
    assert feed(stopping, [0.5, 0.4, 0.6, 0.6, 0.7, 0.7, 0.7]) == [False] * 6 + [True]
    assert stopping.best == 0.7


def test_non_finite_values_never_improve() -> None:
    stopping = EarlyStopping(patience=2, mode="min")
    assert feed(stopping, [math.nan, math.inf]) == [False, True]
    assert stopping.best is None


def test_patience_zero_never_stops() -> None:
    assert not any(feed(EarlyStopping(patience=0, mode="min"), [1.0] * 20))


def test_state_round_trip_continues_the_count() -> None:
    first = EarlyStopping(patience=3, mode="min")
    feed(first, [1.0, 2.0, 2.0])
    second = EarlyStopping(patience=3, mode="min")
    second.load_state_dict(first.state_dict())
    assert feed(second, [1.5]) == [True]
