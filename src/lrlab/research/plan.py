"""Research plans: a TOML file, validated with pydantic before anything trains.

A research plan says which idea space to search (``schedule``, ``composite`` by default: its
``search_space``, narrowed or fixed by ``[search]``), on which **search tasks** and seeds, with
which sampler and budget, how candidates are pruned, how many of the best (``confirm.k``, fixed
here, before the search) go on, and how they are judged: on **held-out tasks** the search never
sees, on fresh seeds, against tuned baselines and self-tuning optimizers, with the comparison
protocol's ``[tuning]`` budget. Every error is one line naming the file and the field.

Example::

    name = "tiny-research"

    [defaults]
    optimizer = "adam"
    lr = 0.01
    epochs = 6

    [search]
    seeds = [0, 1]
    batch = 2
    budget = { candidates = 8 }

    [[search.tasks]]
    name = "wine"
    target = { metric = "accuracy", value = 0.9 }

    [confirm]
    k = 2
    seeds = [10, 11, 12]
    tuning = { trials = 3, seeds = [100] }

    [[confirm.tasks]]
    name = "breast_cancer"
    target = { metric = "accuracy", value = 0.95 }
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from lrlab.study.plan import (
    MAX_LR,
    MAX_SECONDS,
    MAX_SEEDS,
    Budget,
    ExecutorSettings,
    FolderName,
    Halving,
    Hyperparameters,
    Plan,
    PlanError,
    Seed,
    Seeds,
    TaskEntry,
    first_error,
)

Real = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Count = Annotated[int, Field(strict=True)]

#: The tuned baselines and the self-tuning optimizers of the confirmation, unless the plan says otherwise.
BASELINES = ("constant", "cosine", "linear", "plateau")
SELF_TUNING = ("prodigy_cosine", "schedulefree_adamw")
IDEA_LABEL = "idea-{}"


class ResearchPlanError(PlanError):
    """A research plan that cannot be used; one line naming the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SearchBudget(_Strict):
    """When the search stops asking for candidates: after ``candidates`` of them, or once
    ``minutes`` of search have passed (over every run of it), whichever comes first. Candidates
    already asked are finished; at least ``confirm.k`` candidates complete whatever the clock says."""

    candidates: Count | None = Field(None, ge=1, le=100_000)
    minutes: Real | None = Field(None, gt=0, le=MAX_SECONDS / 60)

    @model_validator(mode="after")
    def _some_budget(self) -> SearchBudget:
        if self.candidates is None and self.minutes is None:
            raise ValueError("give candidates (a count), minutes, or both")
        return self

    def describe(self) -> str:
        parts = ([f"{self.candidates} candidates"] if self.candidates is not None else []) + (
            [f"{self.minutes:g} minutes"] if self.minutes is not None else [])
        return " or ".join(parts)


class Pruning(_Strict):
    """Multi-fidelity pruning: every candidate first trains ``epochs / eta^(rungs-1)`` epochs (rung
    0), is scored on that rung and reported to the pruner; only those it keeps train the next rung,
    the last one the full budget. ``pruner``: ``median`` (Optuna's MedianPruner: pruned when worse
    than the median of the completed candidates at that rung, once ``startup`` have completed),
    ``halving`` (Optuna's SuccessiveHalvingPruner: kept when in the best 1/``eta`` of the candidates
    that reached the rung) or ``none``. ``rungs = 1``: no short rung, no pruning."""

    pruner: Literal["median", "halving", "none"] = "median"
    rungs: Count = Field(2, ge=1, le=4)
    eta: Count = Field(3, ge=2, le=8)
    startup: Count = Field(4, ge=0, le=100_000)


class Search(_Strict):
    """``[search]``: where and how candidates are looked for.

    ``tasks`` (each with a target: the objective is time to it) and ``seeds``: every candidate
    trains on each task with each seed. ``sampler``: ``tpe`` (Optuna's TPESampler, multivariate,
    grouped for the space's conditions) or ``cmaes`` (CmaEsSampler; categorical and conditional
    dimensions fall back to its independent sampler), seeded by ``sampler_seed`` and the
    candidate's number. ``batch``: candidates asked at once (a generation); the next generation is
    asked once this one is told, so the search is the same with any number of workers.
    ``lr_scale``: the rate's log range, as a multiple of each task's plan rate (the tuning
    protocol's default range is 0.1 to 10). ``args``: arguments of the schedule fixed for every
    candidate (not searched); ``space``: dimensions narrowed (``down = [0.6, 0.9]``, ``signal =
    { choices = ["entropy", "grad_noise"] }``) or added (``{ low, high, log, integer }``).
    ``final_weight``: the weight of the final validation metric in the objective (see
    :mod:`lrlab.research.objective`).
    """

    tasks: list[TaskEntry] = Field(min_length=1)
    seeds: Seeds = Field(min_length=1, max_length=MAX_SEEDS)
    sampler: Literal["tpe", "cmaes"] = "tpe"
    sampler_seed: Seed = 0
    batch: Count = Field(2, ge=1, le=64)
    lr_scale: tuple[Real, Real] = (0.1, 10.0)
    args: dict[str, Any] = Field(default_factory=dict)
    space: dict[str, Any] = Field(default_factory=dict)
    budget: SearchBudget
    pruning: Pruning = Field(default_factory=Pruning)
    final_weight: Real = Field(1.0, ge=0, le=100)

    @field_validator("lr_scale")
    @classmethod
    def _scale(cls, scale: tuple[float, float]) -> tuple[float, float]:
        low, high = scale
        if not 0 < low < high <= MAX_LR:
            raise ValueError(f"must be [low, high] with 0 < low < high, got [{low:g}, {high:g}]")
        return scale


class ConfirmTuning(_Strict):
    """``[confirm.tuning]``: the comparison protocol's ``[tuning]`` (:class:`lrlab.study.plan.Tuning`)
    for the confirmation; every schedule gets this budget. The confirmed candidates' own
    arguments are fixed by the search: only their rate is tuned (``space`` is set by the loop)."""

    trials: Count = Field(ge=1, le=1000)
    seeds: Seeds = Field(default_factory=lambda: [1000], min_length=1, max_length=MAX_SEEDS)
    objective: Literal["final", "time_to_target"] = "time_to_target"
    sequence_seed: Seed = 0
    lr: tuple[Real, Real] | None = None
    halving: Halving | None = None


class Confirm(_Strict):
    """``[confirm]``: the top ``k`` candidates on held-out ``tasks``, on fresh ``seeds``, against
    the tuned ``baselines`` and the ``self_tuning`` optimizers (run as given)."""

    k: Count = Field(ge=1, le=50)
    tasks: list[TaskEntry] = Field(min_length=1)
    seeds: Seeds = Field(min_length=2, max_length=MAX_SEEDS)
    baselines: list[str] = Field(default_factory=lambda: list(BASELINES), min_length=1)
    self_tuning: list[str] = Field(default_factory=lambda: list(SELF_TUNING))
    tuning: ConfirmTuning


class Goal(_Strict):
    """``[goal]`` (optional): what the summary checks, as the issue states it. A confirmed candidate
    meets it when its median epochs to the target are no later than the tuned ``baseline``'s on at
    least ``tasks`` held-out tasks, and on ``task`` no later than the self-tuning ``reference``'s,
    with a mean test ``metric`` at least as high."""

    baseline: str = "cosine"
    tasks: Count = Field(3, ge=1)
    task: str | None = None
    reference: str | None = None
    metric: str = "accuracy"


class ResearchPlan(_Strict):
    name: FolderName
    title: str = ""
    idea: str = ""
    schedule: str = "composite"
    defaults: Hyperparameters = Field(default_factory=Hyperparameters)
    search: Search
    confirm: Confirm
    goal: Goal | None = None
    budget: Budget = Field(default_factory=Budget)
    executor: ExecutorSettings | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ResearchPlan:
        from lrlab.schedulers.registry import SCHEDULES

        info = SCHEDULES.get(self.schedule)
        if info is None or info.kind == "optimizer":
            known = sorted(n for n, i in SCHEDULES.items() if i.kind != "optimizer" and i.space)
            raise ValueError(f"schedule: {self.schedule!r} is no schedule with an idea space; known: {known}")
        for where, entries in (("search.tasks", self.search.tasks), ("confirm.tasks", self.confirm.tasks)):
            for entry in entries:
                if entry.target is None:
                    raise ValueError(f"{where}[{entry.key}]: needs a target (the objective is the time to it)")
        searched = {_identity(t): t.key for t in self.search.tasks}
        for entry in self.confirm.tasks:
            if _identity(entry) in searched:
                raise ValueError(f"confirm.tasks[{entry.key}]: is also a search task (search.tasks"
                                 f"[{searched[_identity(entry)]}]); held-out tasks must be tasks the search never saw")
        if self.search.budget.candidates is not None and self.confirm.k > self.search.budget.candidates:
            raise ValueError(f"confirm.k: {self.confirm.k} is larger than the candidates the search budget "
                             f"allows ({self.search.budget.candidates})")
        used = {"search.seeds": set(self.search.seeds), "confirm.tuning.seeds": set(self.confirm.tuning.seeds)}
        for where, seeds in used.items():
            overlap = sorted(seeds & set(self.confirm.seeds))
            if overlap:
                raise ValueError(f"confirm.seeds must be fresh: {overlap} are also {where}; the held-out verdict "
                                 "must rest on seeds nothing was chosen on")
        for name in self.confirm.baselines:
            if name not in SCHEDULES or SCHEDULES[name].kind != "baseline":
                raise ValueError(f"confirm.baselines: {name!r} is no baseline; known: "
                                 f"{sorted(n for n, i in SCHEDULES.items() if i.kind == 'baseline')}")
        for name in self.confirm.self_tuning:
            if name not in SCHEDULES or SCHEDULES[name].kind != "optimizer":
                raise ValueError(f"confirm.self_tuning: {name!r} is no self-tuning optimizer; known: "
                                 f"{sorted(n for n, i in SCHEDULES.items() if i.kind == 'optimizer')}")
        for where, names in (("confirm.baselines", self.confirm.baselines),
                             ("confirm.self_tuning", self.confirm.self_tuning)):
            if len(set(names)) != len(names):
                raise ValueError(f"{where}: each at most once, got {names}")
        if self.goal is not None:
            self._check_goal(self.goal)
        return self

    def _check_goal(self, goal: Goal) -> None:
        if goal.baseline not in self.confirm.baselines:
            raise ValueError(f"goal.baseline: {goal.baseline!r} is not among confirm.baselines {self.confirm.baselines}")
        if goal.tasks > len(self.confirm.tasks):
            raise ValueError(f"goal.tasks: {goal.tasks} is more than the {len(self.confirm.tasks)} held-out task(s)")
        labels = [t.key for t in self.confirm.tasks]
        if goal.task is not None and goal.task not in labels:
            raise ValueError(f"goal.task: {goal.task!r} is no held-out task; held out: {labels}")
        if goal.reference is not None and goal.reference not in self.confirm.self_tuning:
            raise ValueError(f"goal.reference: {goal.reference!r} is not among confirm.self_tuning "
                             f"{self.confirm.self_tuning}")
        if (goal.task is None) != (goal.reference is None):
            raise ValueError("goal: give task and reference together (the held-out task and the self-tuning "
                             "optimizer it is compared with there)")

    # -- the plans it makes ------------------------------------------------------------------
    def search_plan(self, base: Path) -> Plan:
        """The search tasks and seeds as a study plan, whose :meth:`~lrlab.study.plan.Plan.spec`
        makes each candidate's trials (the schedule with its fixed args; a constant baseline only
        because a plan needs one: it never runs)."""
        data = {"name": f"{self.name}-search", "seeds": list(self.search.seeds),
                "defaults": self.defaults.model_dump(mode="json"),
                "tasks": [_entry(t) for t in self.search.tasks],
                "schedules": [{"name": self.schedule, "role": "proposed", "args": dict(self.search.args)},
                              {"name": "constant", "role": "baseline"}],
                "budget": self.budget.model_dump(mode="json")}
        if self.executor is not None:
            data["executor"] = self.executor.model_dump(mode="json")
        return Plan.model_validate(data, context={"base": base})

    def confirmation_plan(self, ideas: list[dict[str, Any]], base: Path, out: Path) -> dict[str, Any]:
        """The confirmation study as a plan dict: ``ideas`` (each ``{"label", "args", "idea"}``) as
        proposed schedules, the tuned baselines and the self-tuning optimizers, the held-out tasks
        (a file ``source`` rewritten relative to ``out``, where the plan is written), the fresh seeds
        and ``[tuning]``: the same budget for everyone, the ideas' rate only."""
        lines = "; ".join(f"{i['label']}: {i['idea']}" for i in ideas)
        tuning = {k: v for k, v in self.confirm.tuning.model_dump(mode="json").items() if v is not None}
        tuning["space"] = {i["label"]: {} for i in ideas}
        plan: dict[str, Any] = {
            "name": f"{self.name}-confirm",
            "title": f"Held-out confirmation of {self.name}'s top {len(ideas)} candidate(s)",
            "idea": (f"{self.idea} " if self.idea else "") + f"Candidates found by the search on "
                    f"{', '.join(t.key for t in self.search.tasks)}, judged here on held-out tasks. {lines}",
            "seeds": list(self.confirm.seeds),
            "defaults": self.defaults.model_dump(mode="json", exclude_none=True),
            "tasks": [_entry(t, base, out) for t in self.confirm.tasks],
            "schedules": [{"name": self.schedule, "label": i["label"], "role": "proposed", "args": i["args"]}
                          for i in ideas]
                         + [{"name": n, "role": "baseline"} for n in [*self.confirm.baselines, *self.confirm.self_tuning]],
            "tuning": tuning,
        }
        if self.budget.max_trial_seconds is not None:
            plan["budget"] = {"max_trial_seconds": self.budget.max_trial_seconds}
        if self.executor is not None:
            plan["executor"] = self.executor.model_dump(mode="json", exclude_none=True)
        return plan

    def hash_with(self, resolved_space: dict[str, Any], sources: dict[str, str]) -> str:
        """The research's identity: the plan without its search budget (a longer search of the same
        plan is the same research, until its confirmation starts), the idea space as resolved, and
        the SHA-256 of every user's file it names."""
        data = self.model_dump(mode="json")
        data["search"].pop("budget")
        data["resolved_space"] = resolved_space
        if sources:
            data["source_sha256"] = sources
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _identity(task: TaskEntry) -> str:
    """What makes two task entries the same data: the registered name, or the user's source."""
    source = task.resolved_source
    return f"source:{source.sha256}" if source is not None else f"task:{task.name}"


def _entry(task: TaskEntry, base: Path | None = None, out: Path | None = None) -> dict[str, Any]:
    """A task entry as a plan's ``[[tasks]]`` dict; a file ``source`` relative to ``out`` when given."""
    data = task.model_dump(mode="json", exclude_none=True)
    if task.source is not None:
        data.pop("name", None)
        where, _, attribute = task.source.rpartition(":")
        is_file = where.endswith(".py") or "/" in where or "\\" in where
        if is_file and base is not None and out is not None:
            path = Path(where).expanduser()
            absolute = path if path.is_absolute() else base / path
            data["source"] = f"{Path(os.path.relpath(absolute.resolve(), out.resolve())).as_posix()}:{attribute}"
    return data


def parse_research_plan(text: str, source: str = "<research plan>", base: str | Path | None = None) -> ResearchPlan:
    """Validate TOML text as a research plan, and everything it implies before anything trains:
    the idea space (it has a valid point; every range and choice builds the schedule), the search
    and confirmation studies it makes (their tasks, models, metrics, targets, optimizers, baselines,
    seeds, tuning), K against the budget, held-out tasks apart from search tasks, fresh seeds.
    Errors are :class:`ResearchPlanError` naming ``source`` and the field."""
    from lrlab.research.space import idea_space

    if base is None:
        base = Path(source).parent if Path(source).is_file() else Path.cwd()
    base = Path(base).resolve()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ResearchPlanError(f"{source}: not valid TOML: {error}") from None
    except RecursionError:
        raise ResearchPlanError(f"{source}: nested too deeply") from None
    try:
        plan = ResearchPlan.model_validate(data, context={"base": base})
    except ValidationError as error:
        raise ResearchPlanError(f"{source}: {first_error(error)}") from None
    except ValueError as error:
        raise ResearchPlanError(f"{source}: {error}") from None
    try:
        search = plan.search_plan(base)
        search.check_sources()
        search.check_schedules()
    except ValidationError as error:
        raise ResearchPlanError(f"{source}: search: {first_error(error)}") from None
    except ValueError as error:
        raise ResearchPlanError(f"{source}: search: {_search_where(str(error), plan)}") from None
    try:
        idea_space(plan)
    except ValueError as error:
        raise ResearchPlanError(f"{source}: {error}") from None
    placeholder = [{"label": IDEA_LABEL.format(i + 1), "args": dict(plan.search.args), "idea": ""}
                   for i in range(plan.confirm.k)]
    try:
        confirmation = Plan.model_validate(plan.confirmation_plan(placeholder, base, base), context={"base": base})
        confirmation.check_sources()
        confirmation.check_schedules()
    except ValidationError as error:
        raise ResearchPlanError(f"{source}: confirm: {first_error(error)}") from None
    except ValueError as error:
        raise ResearchPlanError(f"{source}: confirm: {error}") from None
    return plan


def _search_where(message: str, plan: ResearchPlan) -> str:
    """The search plan's field names as the research plan's (its schedule's args are search.args)."""
    return message.replace(f"schedules[{plan.schedule}].args", "search.args")


def load_research_plan(path: str | Path) -> ResearchPlan:
    """Read and validate a research plan file."""
    path = Path(path)
    if not path.is_file():
        raise ResearchPlanError(f"{path}: no such research plan file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ResearchPlanError(f"{path}: not UTF-8 text; a research plan is a TOML file") from None
    except OSError as error:
        raise ResearchPlanError(f"{path}: cannot be read ({error.strerror})") from None
    return parse_research_plan(text, str(path))


RESEARCH_PLANS_DIR = Path(__file__).resolve().parent.parent / "plans" / "research"


def resolve_research_plan(name_or_path: str | Path | None) -> Path:
    """A research plan file, or the name of a shipped one (``research``, the default)."""
    path = Path(name_or_path or "research")
    if path.is_file():
        return path
    shipped = RESEARCH_PLANS_DIR / f"{path}.toml"
    if shipped.is_file():
        return shipped
    names = sorted(p.stem for p in RESEARCH_PLANS_DIR.glob("*.toml"))
    raise ResearchPlanError(f"{name_or_path}: no such research plan file, nor a shipped one (shipped: "
                            f"{', '.join(names) or 'none'})")
