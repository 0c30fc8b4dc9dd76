"""The idea space: what the search may propose, as data.

It is the schedule's own ``search_space`` (``CompositeLR.search_space`` by default, a dict of
:class:`~lrlab.schedulers.space.Dimension`), with the plan's ``search.args`` fixed and its
``search.space`` narrowing (or adding) dimensions, plus the rate: ``lr_scale``, a log range of
multiples of each task's plan rate, as the tuning protocol tunes every rate.

A dimension with ``when=(("rule", "trend"),)`` is searched only where that holds, against the
fixed arguments, the values drawn so far and the schedule's defaults, so a point never carries an
argument that does nothing. :meth:`IdeaSpace.suggest` draws a point through an Optuna trial
(define-by-run: Optuna sees the conditional space as it is); :func:`idea_space` checks, before
anything trains, that every range end and every choice builds the schedule and that the space has
a valid point.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from lrlab.schedulers.registry import get_schedule
from lrlab.schedulers.space import Dimension

if TYPE_CHECKING:
    from lrlab.research.plan import ResearchPlan

#: The rate's parameter in Optuna and in the store: a multiple of each task's plan rate.
LR_SCALE = "lr_scale"
#: Points drawn to show that a space has a valid one.
PROBES = 64


def _round(value: float) -> float:
    """Four significant digits, as the tuning protocol's configurations: readable, and stable ids."""
    return float(f"{value:.4g}")


@dataclass(frozen=True)
class IdeaSpace:
    """The searched dimensions (in order), the fixed arguments, the schedule's defaults and the
    rate's range."""

    schedule: str
    dimensions: dict[str, Dimension]
    fixed: dict[str, Any]
    defaults: dict[str, Any]
    lr_scale: tuple[float, float]

    def order(self) -> list[str]:
        """The dimensions in an order where each comes after those its conditions read."""
        done: list[str] = []
        pending = list(self.dimensions)
        while pending:
            ready = [n for n in pending if not any(k in pending and k != n for k, _ in self.dimensions[n].when)]
            if not ready:
                raise ValueError(f"search.space: the conditions (when=) of {pending} read each other in a circle")
            done += ready
            pending = [n for n in pending if n not in ready]
        return done

    def resolve(self, draw: Any) -> dict[str, Any]:
        """The arguments of one point: ``draw(name, dimension)`` gives each active dimension's value;
        an inactive one (its condition fails) is not drawn and stays at its default."""
        args: dict[str, Any] = {}
        for name in self.order():
            dim = self.dimensions[name]
            known = {**self.defaults, **self.fixed, **args}
            if dim.applies(known):
                args[name] = draw(name, dim)
        return {**self.fixed, **args}

    def suggest(self, trial: Any) -> tuple[dict[str, Any], float]:
        """Draw a point through an Optuna trial: (the schedule's arguments, the rate's scale)."""
        def draw(name: str, dim: Dimension) -> Any:
            if dim.choices is not None:
                return trial.suggest_categorical(name, list(dim.choices))
            if dim.integer:
                return trial.suggest_int(name, int(dim.low), int(dim.high), log=dim.log)
            return _round(trial.suggest_float(name, float(dim.low), float(dim.high), log=dim.log))

        args = self.resolve(draw)
        low, high = self.lr_scale
        return args, _round(trial.suggest_float(LR_SCALE, low, high, log=True))

    def random_point(self, rng: random.Random) -> dict[str, Any]:
        """A point drawn uniformly (on each dimension's scale), for the checks."""
        return self.resolve(lambda name, dim: dim.value(rng.random()))

    def describe(self) -> list[str]:
        """One line per dimension: ``name: range``, then the fixed arguments and the rate."""
        lines = [f"{name}: {dim.describe()}" for name, dim in self.dimensions.items()]
        lines += [f"{name} = {value!r} (fixed)" for name, value in self.fixed.items()]
        lines.append(f"rate: each task's plan rate x [{self.lr_scale[0]:g}, {self.lr_scale[1]:g}] (log)")
        return lines

    def as_dict(self) -> dict[str, Any]:
        """Plain values (hashed with the plan, stored with the search)."""
        return {"schedule": self.schedule, "dimensions": {n: d.as_dict() for n, d in self.dimensions.items()},
                "fixed": self.fixed, "lr_scale": list(self.lr_scale)}


def _narrowed(name: str, value: Any, default: Dimension | None) -> Dimension:
    """The plan's ``[low, high]`` (keeping the default's scale and condition), ``{choices = [...]}``
    or ``{low, high, log, integer}`` as a Dimension."""
    when = default.when if default is not None else ()
    where = f"search.space.{name}"
    try:
        if isinstance(value, list | tuple):
            if len(value) != 2:
                raise ValueError(f"a range is [low, high], got {len(value)} values (for a list of values use "
                                 "{ choices = [...] })")
            if default is not None and default.choices is not None:
                raise ValueError(f"is a choice in the default space ({default.describe()}): narrow it with "
                                 "{ choices = [...] }")
            scale = {"log": default.log, "integer": default.integer} if default is not None else {}
            return Dimension(value[0], value[1], when=when, **scale)
        if isinstance(value, dict):
            unknown = set(value) - {"low", "high", "log", "integer", "choices"}
            if unknown:
                raise ValueError(f"unknown key(s) {sorted(unknown)}; use low, high, log, integer or choices")
            if "choices" in value:
                return Dimension(choices=tuple(value["choices"]), when=when)
            return Dimension(value.get("low"), value.get("high"), log=bool(value.get("log", False)),
                             integer=bool(value.get("integer", False)), when=when)
        raise ValueError(f"expected [low, high] or a table, got {value!r}")
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where}: {error}") from None


def _build(schedule: str, args: Mapping[str, Any]) -> None:
    """Build the schedule with ``args`` on a throw-away optimizer (ValueError if it refuses)."""
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1e-3, momentum=0.9)
    try:
        get_schedule(schedule).build(optimizer, total_steps=100, **args)
    except (TypeError, ValueError) as error:
        raise ValueError(str(error)) from None


def idea_space(plan: ResearchPlan) -> IdeaSpace:
    """The plan's idea space, checked: every argument named exists, every range end and every choice
    builds the schedule (with the conditions that make it active), and a point drawn from the space
    builds it; else a one-line ``ValueError`` naming the field."""
    info = get_schedule(plan.schedule)
    allowed = info.arguments()
    defaults = info.defaults()
    for name in plan.search.args:
        if name not in allowed:
            raise ValueError(f"search.args.{name}: schedule {plan.schedule!r} takes no argument {name!r}; "
                             f"allowed: {sorted(allowed)}")
    space = dict(info.space)
    for name, value in plan.search.space.items():
        if name not in allowed:
            raise ValueError(f"search.space.{name}: schedule {plan.schedule!r} takes no argument {name!r}; "
                             f"allowed: {sorted(allowed)}")
        if name in plan.search.args:
            raise ValueError(f"search.space.{name}: also fixed in search.args; give it one or the other")
        space[name] = _narrowed(name, value, info.space.get(name))
    fixed = dict(plan.search.args)
    # Fixed arguments are not searched; a dimension whose condition contradicts them never applies.
    dimensions = {n: d for n, d in space.items() if n not in fixed
                  and all(k not in fixed or fixed[k] == v for k, v in d.when)}
    result = IdeaSpace(plan.schedule, dimensions, fixed, defaults, tuple(plan.search.lr_scale))
    result.order()
    for name, dim in dimensions.items():
        for value in dim.corners():
            point = {**fixed, **dict(dim.when), name: value}
            try:
                _build(plan.schedule, point)
            except ValueError as error:
                raise ValueError(f"search.space.{name}: {value!r} ({dim.describe()}) is not a valid value of "
                                 f"{plan.schedule!r}: {error}") from None
    rng = random.Random(0)
    last = ""
    for _ in range(PROBES):
        point = result.random_point(rng)
        try:
            _build(plan.schedule, point)
            return result
        except ValueError as error:
            last = f"{point}: {error}"
    raise ValueError(f"search.space: no valid point: {PROBES} points drawn from it, none builds {plan.schedule!r} "
                     f"(the last, {last})")


def space_size(space: IdeaSpace) -> float:
    """How many points the discrete part of the space has (inf with a continuous dimension)."""
    size = 1.0
    for dim in space.dimensions.values():
        if dim.choices is not None:
            size *= len(dim.choices)
        elif dim.integer:
            size *= int(dim.high) - int(dim.low) + 1
        else:
            return math.inf
    return size
