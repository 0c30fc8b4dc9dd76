"""Search spaces: data beside each schedule, mapped from the unit cube, valid at both ends."""

from __future__ import annotations

import math

import pytest
import torch

from lrlab.schedulers.registry import SCHEDULES, describe_spaces, make_scheduler, schedule_defaults
from lrlab.schedulers.space import Dimension, active, point_to_config


def test_a_range_maps_the_unit_interval_onto_itself_end_to_end():
    dim = Dimension(0.5, 0.9)
    assert dim.value(0.0) == 0.5 and dim.value(0.5) == 0.7
    assert dim.value(1.0) == pytest.approx(0.9, rel=1e-3)  # u = 1 is just inside the range
    log = Dimension(1e-4, 1e-2, log=True)
    assert log.value(0.5) == pytest.approx(1e-3)


def test_integers_get_equal_shares_of_the_interval():
    dim = Dimension(1, 4, integer=True)
    values = [dim.value(u / 1000) for u in range(1000)]
    assert sorted(set(values)) == [1, 2, 3, 4]
    assert all(abs(values.count(v) - 250) <= 1 for v in (1, 2, 3, 4))
    log = Dimension(5, 50, log=True, integer=True)
    values = [log.value(u / 1000) for u in range(1000)]
    assert min(values) == 5 and max(values) == 50 and all(isinstance(v, int) for v in values)
    assert values.count(5) > values.count(49)  # each value's share is even on the log scale


def test_choices_and_when():
    dim = Dimension(choices=("a", "b", "c"), when=(("mode", "x"),))
    assert [dim.value(u) for u in (0.0, 0.4, 0.99)] == ["a", "b", "c"]
    assert dim.applies({"mode": "x"}) and not dim.applies({"mode": "y"})
    space = {"d": dim, "e": Dimension(0.0, 1.0)}
    assert list(active(space, {"mode": "y"})) == ["e"]
    assert point_to_config(space, [0.0, 0.25]) == {"d": "a", "e": 0.25}
    with pytest.raises(ValueError, match="cannot fill"):
        point_to_config(space, [0.5])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"low": 0.9, "high": 0.5}, "empty range"),
    ({"low": 0.5, "high": 0.5}, "empty range"),
    ({"low": 0.0, "high": 1.0, "log": True}, "log range needs low > 0"),
    ({"low": 1.5, "high": 3, "integer": True}, "whole-number"),
    ({"low": math.inf, "high": 3}, "finite"),
    ({"low": True, "high": 3}, "finite number"),
    ({"choices": ()}, "must not be empty"),
    ({"low": 1.0}, "needs low and high"),
])
def test_bad_dimensions_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Dimension(**kwargs)


@pytest.mark.parametrize("name", sorted(n for n, info in SCHEDULES.items() if info.kind != "optimizer"))
def test_every_default_space_builds_its_schedule_at_both_ends(name: str):
    """A default space that left the schedule's valid values would fail every tuned study."""
    info = SCHEDULES[name]
    fixed = schedule_defaults(name)
    for arg, dim in info.space.items():
        assert arg in fixed or arg in {"patience", "gamma"}, arg  # a real argument of the schedule
        for value in dim.corners():
            optimizer = torch.optim.Adam(torch.nn.Linear(2, 2).parameters(), lr=1e-3)
            make_scheduler(name, optimizer, total_steps=100, **{arg: value})


def test_the_listing_names_every_schedule_and_its_space():
    text = describe_spaces()
    for name in SCHEDULES:
        assert f"\n{name} " in f"\n{text}"
    assert "threshold: [0.3, 0.9] when mode='absolute'" in text
    assert "not tuned: self-tuning" in describe_spaces("optimizer")
    assert "entropy" not in describe_spaces("baseline")
