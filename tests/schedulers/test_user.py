"""A user's own scheduler class: checked, built as the loop builds lrlab's, its needs and space read."""

from __future__ import annotations

import pytest
import torch

from lrlab.schedulers.space import Dimension
from lrlab.schedulers.user import load_source_schedule
from lrlab.source import SourceError, resolve
from user_code import SCHEDULE, write


def sgd() -> torch.optim.Optimizer:
    return torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=0.1)


def test_a_plain_lr_scheduler_gets_total_steps_and_its_args(tmp_path):
    write(tmp_path, "my_schedule.py", SCHEDULE)
    info = load_source_schedule(resolve("my_schedule.py:HalfCosine", tmp_path))
    assert (info.kind, info.needs, info.space) == ("user", frozenset(), {})
    assert info.summary == "Cosine from the initial rate down to a floor over the run."
    assert info.arguments() == {"floor"} and info.defaults() == {"floor": 0.5}
    scheduler = info.build(sgd(), total_steps=10, floor=0.2)
    assert scheduler.total_steps == 10
    for _ in range(10):
        scheduler.optimizer.step()
        scheduler.step()
    assert scheduler.get_last_lr() == pytest.approx([0.02])
    with pytest.raises(ValueError, match="takes no warmup_steps, but the plan sets warmup_steps = 5"):
        info.build(sgd(), total_steps=10, warmup_steps=5)
    with pytest.raises(ValueError, match=r"does not take \['gamma'\]; allowed: \['floor'\]"):
        info.build(sgd(), gamma=0.5)


def test_an_adaptive_one_declares_its_needs_and_its_search_space(tmp_path):
    write(tmp_path, "my_schedule.py", SCHEDULE)
    info = load_source_schedule(resolve("my_schedule.py:HalveOnPlateau", tmp_path))
    assert info.needs == frozenset({"val_metrics"})
    assert info.space == {"factor": Dimension(0.2, 0.8)}
    assert info.arguments() == {"factor"}  # warmup_steps is the loop's, not the plan's args
    scheduler = info.build(sgd(), total_steps=10, warmup_steps=0, factor=0.25)
    scheduler.observe(val_metrics={"loss": 1.0})
    scheduler.observe(val_metrics={"loss": 1.0})
    assert scheduler.get_last_lr() == pytest.approx([0.025])  # applied at once


BROKEN = '''
from torch.optim.lr_scheduler import LRScheduler


def a_function(optimizer):
    return None


class NotAScheduler:
    def __init__(self, optimizer):
        pass


class NoOptimizer(LRScheduler):
    def __init__(self, *, floor=0.5):
        pass


class Required(LRScheduler):
    def __init__(self, optimizer, floor, last_epoch=-1):
        super().__init__(optimizer, last_epoch)


class BadNeeds(LRScheduler):
    needs = {"temperature"}


class NeedsWithoutObserve(LRScheduler):
    needs = frozenset({"logits"})


class BadSpace(LRScheduler):
    search_space = {"floor": (0.1, 0.9)}
'''


@pytest.mark.parametrize(("name", "message"), [
    ("a_function", r"a_function: is a function, not a class"),
    ("NotAScheduler", r"NotAScheduler is not a torch\.optim\.lr_scheduler\.LRScheduler subclass"),
    ("NoOptimizer", r"the constructor must take the optimizer first: NoOptimizer\(optimizer, \*\*args\)"),
    ("Required", r"arguments besides the optimizer need defaults .*\['floor'\] have none"),
    ("BadNeeds", r"needs must be a set of .*got \{'temperature'\}"),
    ("NeedsWithoutObserve", r"needs \['logits'\] but has no observe"),
    ("BadSpace", r"search_space must be a dict of argument name to lrlab\.schedulers\.space\.Dimension"),
])
def test_a_wrong_schedule_is_one_line_naming_the_file_and_what_is_wrong(tmp_path, name, message):
    path = write(tmp_path, "broken.py", BROKEN)
    with pytest.raises(SourceError, match=message) as error:
        load_source_schedule(resolve(f"broken.py:{name}", tmp_path))
    assert str(error.value).startswith(str(path)) and "\n" not in str(error.value)
