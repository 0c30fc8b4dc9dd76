"""The comparison protocol: equal tuning budgets, configurations drawn up front, fresh seeds.

A plan with ``[tuning]`` (:class:`~lrlab.study.plan.Tuning`) has two tracks:

* **as given**: every schedule with the plan's settings, on the evaluation seeds;
* **tuned**: every schedule gets the same budget of configurations on every task — the rate on a
  log range and the schedule's own arguments over its search space — drawn *before any trial
  runs* from one scrambled Halton sequence (AlgoPerf tunes its baselines with quasi-random
  search for the same reason: no tuner state, nothing adaptive to resume, the same points for
  everyone). They train on the tuning seeds, optionally narrowed by successive halving; the best
  by the tuning objective then trains on the evaluation seeds, and only those trials enter the
  statistics (no winner's curse).

Everything here is a pure function of the plan and of the tuning trials' stored outcomes:
:func:`expand` lists every trial knowable so far, so a study killed at any point resumes with
the same configurations, the same promotions and the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch
from scipy.stats import qmc

from lrlab.schedulers.space import Dimension, active, point_to_config
from lrlab.study.plan import Plan, ScheduleEntry, TaskEntry
from lrlab.tasks.metrics import lower_is_better, primary_metric
from lrlab.train.spec import TrialSpec

Track = Literal["given", "tuned"]
Phase = Literal["tuning", "evaluation"]
#: The tuning objective's value of a configuration that failed or diverged on a tuning seed.
WORST = -math.inf


@dataclass(frozen=True)
class Config:
    """One drawn configuration of a (task, schedule): its index in the sequence, rate and arguments."""

    index: int
    lr: float
    args: dict[str, Any]


@dataclass(frozen=True)
class PlannedTrial:
    """A trial and its place in the protocol: track, phase, configuration and halving rung."""

    spec: TrialSpec
    track: Track
    phase: Phase
    config: int | None = None
    rung: int | None = None


@dataclass
class Outcome:
    """What the protocol needs to know of a stored trial."""

    status: str
    summary: dict[str, Any] = field(default_factory=dict)


# -- search spaces ---------------------------------------------------------------------------
def is_tuned(schedule: ScheduleEntry) -> bool:
    """Self-tuning optimizers are not tuned (AlgoPerf's self-tuning track); everything else is."""
    return not schedule.is_optimizer


def _dimension(name: str, value: Any, default: Dimension | None, where: str) -> Dimension:
    """A plan's ``[low, high]``, ``{low, high, log, integer}`` or ``{choices = [...]}`` as a Dimension.
    A bare range keeps the default dimension's scale (log, integer) for that argument."""
    try:
        if isinstance(value, list | tuple):
            if len(value) != 2:
                raise ValueError(f"a range is [low, high], got {len(value)} values (for a list of values use "
                                 "{ choices = [...] })")
            scale = {"log": default.log, "integer": default.integer} if default and default.choices is None else {}
            return Dimension(value[0], value[1], **scale)
        if isinstance(value, dict):
            unknown = set(value) - {"low", "high", "log", "integer", "choices"}
            if unknown:
                raise ValueError(f"unknown key(s) {sorted(unknown)}; use low, high, log, integer or choices")
            if "choices" in value:
                return Dimension(choices=tuple(value["choices"]))
            return Dimension(value.get("low"), value.get("high"), log=bool(value.get("log", False)),
                             integer=bool(value.get("integer", False)))
        raise ValueError(f"expected [low, high] or a table, got {value!r}")
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where}.{name}: {error}") from None


def space_for(plan: Plan, schedule: ScheduleEntry) -> dict[str, Dimension]:
    """The dimensions tuned for ``schedule`` besides the rate: the plan's ``tuning.space`` entry if
    it has one (it replaces the default), else the schedule's default space; only those that apply
    to its fixed arguments. A user's schedule has the space its class declares (``search_space``),
    else none: its rate only."""
    if not is_tuned(schedule):
        return {}
    info = schedule.info()
    default = info.space
    given = (plan.tuning.space if plan.tuning else {}).get(schedule.key)
    where = f"tuning.space.{schedule.key}"
    if given is None:
        space = dict(default)
    else:
        if not isinstance(given, Mapping):
            raise ValueError(f"{where}: expected a table of argument = range, got {given!r}")
        space = {name: _dimension(name, value, default.get(name), where) for name, value in given.items()}
    fixed = {**info.defaults(), **schedule.args}
    return active(space, fixed)


def lr_range(plan: Plan, task: TaskEntry) -> tuple[float, float]:
    """The rate's log range: the plan's ``tuning.lr``, else the task's plan rate / 10 to x 10."""
    if plan.tuning is not None and plan.tuning.lr is not None:
        return plan.tuning.lr
    lr = plan.hparams_for(task).lr
    return lr / 10.0, lr * 10.0


def resolved_spaces(plan: Plan) -> dict[str, Any]:
    """Every schedule's tuned space and every task's rate range, as plain values (hashed with the plan)."""
    return {
        "schedules": {s.key: {n: d.as_dict() for n, d in space_for(plan, s).items()} if is_tuned(s) else None
                      for s in plan.schedules},
        "lr": {t.key: list(lr_range(plan, t)) for t in plan.tasks},
    }


def check_spaces(plan: Plan) -> None:
    """Refuse, before anything runs, a space argument the schedule does not take or a range
    outside its valid values (both ends, every choice, are built on a throw-away optimizer)."""
    for schedule in plan.schedules:
        where = f"tuning.space.{schedule.key}"
        space = space_for(plan, schedule)
        info = schedule.info() if space else None
        for name, dim in space.items():
            if name not in info.arguments():
                raise ValueError(f"{where}.{name}: schedule {schedule.name!r} takes no argument {name!r}; "
                                 f"allowed: {sorted(info.arguments())}")
            for value in dim.corners():
                opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1e-3, momentum=0.9)
                try:
                    info.build(opt, total_steps=100, **{**schedule.args, name: value})
                except (TypeError, ValueError) as error:
                    raise ValueError(f"{where}.{name}: the range {dim.describe()} leaves the schedule's valid "
                                     f"values: {error}") from None


# -- configurations --------------------------------------------------------------------------
def unit_points(count: int, dimensions: int, seed: int) -> np.ndarray:
    """``count`` points of a scrambled Halton sequence in ``[0, 1)^dimensions`` (scipy.stats.qmc)."""
    return qmc.Halton(d=dimensions, scramble=True, seed=seed).random(count)


def _round(value: float) -> float:
    return float(f"{value:.4g}")


def configurations(plan: Plan) -> dict[tuple[str, str], list[Config]]:
    """Per (task label, schedule label) of every tuned schedule: the plan's ``tuning.trials``
    configurations, drawn from one Halton sequence (seed ``tuning.sequence_seed``). Column 0 is the
    rate, so every schedule is tried at the same rates; the next columns fill its own space."""
    if plan.tuning is None:
        return {}
    spaces = {s.key: space_for(plan, s) for s in plan.schedules if is_tuned(s)}
    width = 1 + max((len(space) for space in spaces.values()), default=0)
    points = unit_points(plan.tuning.trials, width, plan.tuning.sequence_seed)
    out = {}
    for task in plan.tasks:
        low, high = lr_range(plan, task)
        for label, space in spaces.items():
            out[(task.key, label)] = [
                Config(i, _round(math.exp(math.log(low) + point[0] * (math.log(high) - math.log(low)))),
                       point_to_config(space, point[1:]))
                for i, point in enumerate(points)]
    return out


# -- successive halving ----------------------------------------------------------------------
def rung_epochs(epochs: int, rungs: int, eta: int) -> list[int]:
    """Epochs of each rung: ``epochs / eta^(rungs-1-k)`` rounded up, the last rung the full budget.

    Example:
        >>> rung_epochs(20, 3, 2)
        [5, 10, 20]
    """
    return [max(1, math.ceil(epochs / eta ** (rungs - 1 - rung))) for rung in range(rungs)]


def objective_value(outcome: Outcome | None, metric: str, objective: str) -> tuple[float, float]:
    """How good one tuning trial was, as a pair to maximise: ``(primary, tie-break)``.

    ``final``: (the final validation ``metric``, signed so that higher is better, 0).
    ``time_to_target``: (−epochs to the target, −inf when never reached; the final metric).
    A trial that failed, diverged or has no value is the worst possible.
    """
    if outcome is None or outcome.status != "completed":
        return WORST, WORST
    value = (outcome.summary.get("final_val") or {}).get(metric)
    if value is None or not math.isfinite(value):
        return WORST, WORST
    signed = -value if lower_is_better(metric) else value
    if objective == "final":
        return signed, 0.0
    epochs = outcome.summary.get("epochs_to_target")
    return (-float(epochs) if epochs is not None else WORST), signed


def score(values: list[tuple[float, float]]) -> tuple[float, float]:
    """A configuration's score over its tuning seeds: the mean of each part (any worst: worst)."""
    if not values or any(v[0] == WORST for v in values):
        return WORST, WORST
    return (float(np.mean([v[0] for v in values])), float(np.mean([v[1] for v in values])))


def best(scores: dict[int, tuple[float, float]], keep: int) -> list[int]:
    """The ``keep`` best configuration indices, best first; ties go to the earlier configuration."""
    return sorted(scores, key=lambda i: (-scores[i][0], -scores[i][1], i))[:keep]


# -- the trials ------------------------------------------------------------------------------
def _task_metric(task: TaskEntry) -> str:
    return primary_metric(task.target.metric if task.target else None, task.resolved_metrics())


@dataclass
class Group:
    """The tuning of one (task, schedule): its trials rung by rung, and the choice when known."""

    task: TaskEntry
    schedule: ScheduleEntry
    rungs: list[list[PlannedTrial]] = field(default_factory=list)
    scores: list[dict[int, tuple[float, float]]] = field(default_factory=list)
    chosen: Config | None = None


def tune_groups(plan: Plan, outcomes: Mapping[str, Outcome], device: str = "cpu") -> list[Group]:
    """Every (task, tuned schedule) of the plan, with its tuning trials as far as they are known
    from ``outcomes`` (trial id → outcome of the trials that ended) and the chosen configuration
    once its last rung has ended."""
    if plan.tuning is None:
        return []
    tuning = plan.tuning
    configs = configurations(plan)
    groups = []
    for task in plan.tasks:
        metric, epochs = _task_metric(task), plan.hparams_for(task).epochs
        rungs = tuning.halving.rungs if tuning.halving else 1
        eta = tuning.halving.eta if tuning.halving else 1
        epochs_of = rung_epochs(epochs, rungs, eta) if tuning.halving else [epochs]
        for schedule in plan.schedules:
            if not is_tuned(schedule):
                continue
            group = Group(task, schedule)
            candidates = configs[(task.key, schedule.key)]
            for rung in range(rungs):
                trials = [PlannedTrial(plan.spec(task, schedule, seed, device=device, lr=c.lr, args=c.args,
                                                 epochs=epochs_of[rung], phase="tuning"),
                                       "tuned", "tuning", c.index, rung)
                          for c in candidates for seed in tuning.seeds]
                group.rungs.append(trials)
                if not all(t.spec.trial_id in outcomes for t in trials):
                    break  # this rung has not ended: the next is not known yet
                scores = {c.index: score([objective_value(outcomes[t.spec.trial_id], metric, tuning.objective)
                                          for t in trials if t.config == c.index]) for c in candidates}
                group.scores.append(scores)
                if rung == rungs - 1:
                    group.chosen = next(c for c in candidates if c.index == best(scores, 1)[0])
                else:
                    keep = set(best(scores, max(1, math.ceil(len(candidates) / eta))))
                    candidates = [c for c in candidates if c.index in keep]
            groups.append(group)
    return groups


def given_trials(plan: Plan, device: str = "cpu") -> list[PlannedTrial]:
    """The as-given track: the plan's settings on the evaluation seeds."""
    return [PlannedTrial(plan.spec(task, schedule, seed, device=device), "given", "evaluation")
            for task in plan.tasks for schedule in plan.schedules for seed in plan.seeds]


def expand(plan: Plan, outcomes: Mapping[str, Outcome], device: str = "cpu") -> list[PlannedTrial]:
    """Every trial knowable now: tuning trials first (rung by rung as rungs end), then each chosen
    configuration on the evaluation seeds, then the as-given track. Self-tuning optimizers have no
    tuned trials: the analysis reads their as-given trials in both tracks."""
    tuning, evaluation = [], []
    for group in tune_groups(plan, outcomes, device):
        for rung in group.rungs:
            tuning += rung
        if group.chosen is not None:
            c = group.chosen
            evaluation += [PlannedTrial(plan.spec(group.task, group.schedule, seed, device=device, lr=c.lr,
                                                  args=c.args, phase="tuned"), "tuned", "evaluation", c.index)
                           for seed in plan.seeds]
    return tuning + evaluation + given_trials(plan, device)


def planned_count(plan: Plan) -> int:
    """How many trials the whole study has, tuning rungs included (known before any result)."""
    count = len(plan.seeds) * len(plan.tasks) * len(plan.schedules)
    if plan.tuning is None:
        return count
    tuned = sum(is_tuned(s) for s in plan.schedules) * len(plan.tasks)
    configs, per_group = plan.tuning.trials, 0
    rungs = plan.tuning.halving.rungs if plan.tuning.halving else 1
    for _ in range(rungs):
        per_group += configs * len(plan.tuning.seeds)
        if plan.tuning.halving:
            configs = max(1, math.ceil(configs / plan.tuning.halving.eta))
    return count + tuned * (per_group + len(plan.seeds))
