"""The plan's ``[tuning]`` section: the same budget of configurations for every schedule, chosen
on tuning seeds and judged on the evaluation seeds (:class:`lrlab.study.plan.Tuning`).

Why a reproduction needs it: a comparison at one untuned rate measures which schedule suits that
rate, not which schedule is better. The report's own settings still run, as the *as given* track;
the *tuned* track searches the rate (each task's rate / 10 to x 10, or the range the report
states) and each schedule's default search space (``lrlab schedules --space``), narrowed where
the report states a range for the proposed rule's setting.

Example:
    >>> budget_of("quick")["trials"], budget_of("full")["halving"]
    (4, {'rungs': 3, 'eta': 2})
"""

from __future__ import annotations

from typing import Any

from lrlab.ingest.decisions import Decisions, Evidence
from lrlab.ingest.schedules_map import ScheduleChoice
from lrlab.ingest.tasks_map import Budget
from lrlab.ingest.toml_out import Table
from lrlab.schedulers.registry import get_schedule, schedule_defaults
from lrlab.schedulers.space import active

TUNING_SEED = 100  # the first tuning seed; evaluation seeds count up from 0
_BUDGETS: dict[str, dict[str, Any]] = {
    # A handful of configurations on one seed: what a 2-core machine affords beside the evaluation.
    "quick": {"trials": 4, "seeds": 1},
    # AlgoPerf-like: more configurations, two seeds, successive halving to spend the epochs on the best.
    "full": {"trials": 16, "seeds": 2, "halving": {"rungs": 3, "eta": 2}},
}


def budget_of(budget: Budget) -> dict[str, Any]:
    return dict(_BUDGETS[budget])


def tuning_table(budget: Budget, evaluation_seeds: list[int], proposed: ScheduleChoice,
                 lr_range: tuple[float, float, Evidence] | None, log: Decisions) -> Table:
    """``[tuning]`` with a comment on each value saying why."""
    chosen = budget_of(budget)
    seeds: list[int] = []
    candidate = TUNING_SEED
    while len(seeds) < chosen["seeds"]:
        if candidate not in evaluation_seeds:
            seeds.append(candidate)
        candidate += 1
    table = Table(comments=[log.decide(
        "[tuning]: every schedule, the proposed one and the baselines alike, gets the same budget of "
        "configurations per task (the rate, and the schedule's own settings over its search space), drawn before "
        "any trial runs; the best on the tuning seeds then runs on the evaluation seeds. A comparison at one "
        "untuned rate measures which schedule suits that rate, not which schedule is better; the report's own "
        "settings still run beside it as the as-given track")])
    other = "full" if budget == "quick" else "quick"
    table.put("trials", chosen["trials"], log.decide(
        f"trials = {chosen['trials']}: configurations per (task, schedule) under --budget {budget} "
        f"(--budget {other}: {_BUDGETS[other]['trials']})"))
    table.put("seeds", seeds, log.decide(
        f"tuning seeds {seeds}: disjoint from the evaluation seeds {evaluation_seeds}, so a configuration is "
        f"judged on seeds it was not chosen on"))
    table.put("objective", "final", log.decide(
        "objective = 'final': configurations are ranked by the validation metric at the end; time to target, "
        "which the report also asks about, is measured by the analysis on both tracks"))
    if lr_range is not None:
        low, high, at = lr_range
        table.put("lr", [low, high], log.decide(f"lr = [{low:g}, {high:g}]: the range the report states for the "
                                                f"rate (instead of each task's rate / 10 to x 10)", at))
    if proposed.space:
        table.put("space", {proposed.name: _narrowed(proposed)}, log.decide(
            f"space.{proposed.name}: the default search space of {proposed.name!r}, with "
            f"{', '.join(f'{k} in [{lo:g}, {hi:g}]' for k, (lo, hi) in proposed.space.items())} as the report "
            f"states; every other schedule searches its default space"))
    if "halving" in chosen:
        table.put("halving", chosen["halving"], log.decide(
            "halving: successive halving, 3 rungs of eta 2: every configuration trains a quarter of the epochs, "
            "the best half goes on to half, the best quarter to all of them"))
    return table


def _narrowed(choice: ScheduleChoice) -> dict[str, Any]:
    """The schedule's default space (the dimensions active for its arguments), with the report's
    ranges in place of the defaults for the arguments it states them for."""
    default = active(get_schedule(choice.name).space, {**schedule_defaults(choice.name), **choice.args})
    space: dict[str, Any] = {}
    for name, dim in default.items():
        if name in choice.space:
            low, high = choice.space[name]
            space[name] = {"low": low, "high": high, "log": dim.log, "integer": dim.integer}
        elif dim.choices is not None:
            space[name] = {"choices": list(dim.choices)}
        else:
            space[name] = {"low": dim.low, "high": dim.high, "log": dim.log, "integer": dim.integer}
    for name, (low, high) in choice.space.items():
        space.setdefault(name, {"low": low, "high": high})
    return space
