"""What a trial's spec names: a registered task and schedule, or a user's own (``source``).

A spec names a user's task or schedule by its source (:class:`lrlab.source.Source`, with the
file's text), so that the worker that runs the trial, here or on a Ray node, loads the very code
the study was planned with; registered ones by name.
"""

from __future__ import annotations

from lrlab.schedulers.registry import ScheduleInfo, get_schedule
from lrlab.schedulers.user import SourceSchedule, load_source_schedule
from lrlab.source import Source
from lrlab.tasks.registry import Task, get_task
from lrlab.tasks.user import SourceTask, load_source_task
from lrlab.train.spec import TrialSpec


def task_for(spec: TrialSpec) -> Task | SourceTask:
    """The trial's task: the registry's, or the user's function run from the spec's source."""
    if spec.task_source is not None:
        return load_source_task(Source.from_dict(spec.task_source))
    return get_task(spec.task)


def schedule_for(spec: TrialSpec) -> ScheduleInfo | SourceSchedule:
    """The trial's schedule: the registry's entry, or the user's class from the spec's source.
    Either has ``kind``, ``arguments()``, ``defaults()`` and ``build(optimizer, ...)``."""
    if spec.schedule_source is not None:
        return load_source_schedule(Source.from_dict(spec.schedule_source))
    return get_schedule(spec.schedule)
