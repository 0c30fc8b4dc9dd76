"""The search: Optuna proposes candidates from the idea space; each trains on the search tasks.

Candidates are asked in generations of ``search.batch``: Optuna's sampler (a seeded TPESampler,
multivariate and grouped for the space's conditions, or CmaEsSampler) proposes each one's
arguments and rate scale; every candidate trains on every search task with every search seed
(its rate: the task's plan rate x its scale). With ``search.pruning`` they train rung by rung:
``epochs / eta^(rungs-1)`` epochs first (:func:`lrlab.study.tuning.rung_epochs`), their value on
that rung reported to Optuna's pruner (median or successive halving), and only those it keeps
train the next rung, the last one the full budget. The value is :mod:`lrlab.research.objective`'s
(lower is better). A candidate whose code raised on any trial is ``failed``, with the error, and
not scored.

Every ask and every tell is written to the search store's ``candidates`` table
(:class:`~lrlab.research.candidates.CandidateLog`) before anything else happens (a generation's asks
in one transaction, so that a kill never leaves half a generation, which a resumed search would
finish as a smaller generation and a new one), and Optuna is
rebuilt from that table at each start: told candidates are added back
(``optuna.trial.create_trial`` + ``study.add_trial``) with their parameters, rung values and
states; candidates that were asked but not told are asked again with their very parameters
(``study.enqueue_trial``), so none is lost or drawn twice. Their trials are content hashes, so
those that had ended are read from the store, not run again. The sampler is re-seeded from
``sampler_seed`` and the candidate's number before each ask, so what it proposes does not depend
on where a search was stopped and resumed.

Budget: stop asking after ``budget.candidates`` candidates, or once ``budget.minutes`` of search
have passed (summed over every run of it); a generation asked is finished; while fewer than
``confirm.k`` candidates have completed, the search goes on asking (at most ``4 x k`` more).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.trial import TrialState

from lrlab.research.candidates import Candidate, CandidateLog
from lrlab.research.driver import TrialDriver
from lrlab.research.objective import candidate_value, describe, trial_score
from lrlab.research.plan import ResearchPlan, ResearchPlanError, SearchBudget
from lrlab.research.space import IdeaSpace
from lrlab.study.plan import Plan
from lrlab.study.tuning import rung_epochs
from lrlab.train.spec import TrialSpec

#: Optuna's states of the table's told states.
OPTUNA_STATES = {"complete": TrialState.COMPLETE, "pruned": TrialState.PRUNED, "failed": TrialState.FAIL}


@dataclass
class SearchOutcome:
    """What the search has done so far: candidates by state, trials run, seconds (every run)."""

    counts: dict[str, int] = field(default_factory=dict)
    trials: int = 0
    seconds: float = 0.0
    ended: bool = False  # the budget is spent and every asked candidate told
    retry: list[str] = field(default_factory=list)  # trials the environment stopped (run again)


def make_sampler(plan: ResearchPlan, number: int) -> optuna.samplers.BaseSampler:
    """The plan's sampler, seeded for candidate ``number``."""
    seed = (plan.search.sampler_seed * 1_000_003 + number) % 2**32
    startup = max(4, plan.search.batch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        if plan.search.sampler == "cmaes":
            return optuna.samplers.CmaEsSampler(seed=seed, n_startup_trials=startup, warn_independent_sampling=False)
        return optuna.samplers.TPESampler(seed=seed, multivariate=True, group=True, n_startup_trials=startup)


def make_pruner(plan: ResearchPlan) -> optuna.pruners.BasePruner:
    pruning = plan.search.pruning
    if pruning.pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=pruning.startup, n_warmup_steps=0)
    if pruning.pruner == "halving":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=pruning.eta)
    return optuna.pruners.NopPruner()


def rungs_of(plan: ResearchPlan, search: Plan) -> dict[str, list[int]]:
    """Each search task's epochs per rung (one rung, the full budget, without pruning)."""
    pruning = plan.search.pruning
    count = 1 if pruning.pruner == "none" else pruning.rungs
    return {t.key: rung_epochs(search.hparams_for(t).epochs, count, pruning.eta) for t in search.tasks}


class _Replay:
    """Stands in for an Optuna trial to replay stored parameters through the space: gives back the
    stored values and records the distribution each came from (what ``create_trial`` needs)."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = params
        self.distributions: dict[str, Any] = {}

    def suggest_categorical(self, name: str, choices: list[Any]) -> Any:
        self.distributions[name] = CategoricalDistribution(choices)
        return self.params[name]

    def suggest_int(self, name: str, low: int, high: int, log: bool = False) -> int:
        self.distributions[name] = IntDistribution(low, high, log=log)
        return self.params[name]

    def suggest_float(self, name: str, low: float, high: float, log: bool = False) -> float:
        self.distributions[name] = FloatDistribution(low, high, log=log)
        return self.params[name]


def step(rung: int) -> int:
    """Optuna's step of a rung: 1, 2, ... (successive halving's first rung is at step
    ``min_resource`` = 1)."""
    return rung + 1


def _round(value: float) -> float:
    return float(f"{value:.4g}")


class Search:
    """One search: its plan, idea space, store (through ``driver``) and the Optuna study rebuilt
    from the candidates table."""

    def __init__(self, plan: ResearchPlan, search_plan: Plan, space: IdeaSpace, driver: TrialDriver,
                 budget: SearchBudget, stream: TextIO, *, device: str = "cpu") -> None:
        self.plan, self.search_plan, self.space, self.driver = plan, search_plan, space, driver
        self.budget, self.stream, self.device = budget, stream, device
        self.store = driver.store
        self.log = CandidateLog(self.store)
        self.rungs = rungs_of(plan, search_plan)
        self.schedule = search_plan.schedule_entry(plan.schedule)
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.study = optuna.create_study(direction="minimize", sampler=make_sampler(plan, 0),
                                         pruner=make_pruner(plan))
        self.trials: dict[int, optuna.Trial] = {}  # candidate number -> its live Optuna trial
        self.started = time.monotonic()
        self.seconds_before = float(self.log.get("seconds", 0.0))

    # -- the table -> Optuna ------------------------------------------------------------------
    def rebuild(self) -> list[Candidate]:
        """Add every told candidate back to Optuna; return the asked-but-untold ones (re-asked by
        :meth:`run_generation` with their parameters)."""
        untold = []
        for candidate in self.log.all():
            if not candidate.told:
                untold.append(candidate)
                continue
            replay = _Replay(candidate.params)
            self.space.suggest(replay)
            intermediate = {step(r["rung"]): r["value"] for r in candidate.rungs if r.get("value") is not None}
            state = OPTUNA_STATES[candidate.state]
            self.study.add_trial(optuna.trial.create_trial(
                state=state, value=candidate.value if state == TrialState.COMPLETE else None,
                params=candidate.params, distributions=replay.distributions,
                intermediate_values=intermediate, user_attrs={"candidate": candidate.number},
                system_attrs=self.log.get(f"system_attrs.{candidate.number}", {})))
        return untold

    # -- asking -------------------------------------------------------------------------------
    def ask(self, number: int, generation: int, params: dict[str, Any] | None = None) -> Candidate:
        """Ask Optuna for candidate ``number`` (``params``: the stored ones of an untold candidate)."""
        self.study.sampler = make_sampler(self.plan, number)
        if params is not None:
            self.study.enqueue_trial(params, skip_if_exists=False)
        trial = self.study.ask()
        trial.set_user_attr("candidate", number)
        args, scale = self.space.suggest(trial)
        self.trials[number] = trial
        return Candidate(number, generation, dict(trial.params), args, scale)  # saved with its generation

    def specs(self, candidate: Candidate, rung: int) -> list[TrialSpec]:
        """The candidate's trials at ``rung``: every search task x seed."""
        out = []
        for task in self.search_plan.tasks:
            lr = _round(self.search_plan.hparams_for(task).lr * (candidate.lr_scale or 1.0))
            for seed in self.search_plan.seeds:
                out.append(self.search_plan.spec(task, self.schedule, seed, device=self.device, lr=lr,
                                                 args=candidate.args, epochs=self.rungs[task.key][rung]))
        return out

    # -- one generation -----------------------------------------------------------------------
    def run_generation(self, candidates: list[Candidate]) -> bool:
        """Train ``candidates`` rung by rung and tell Optuna; False if trials were left to retry."""
        alive = list(candidates)
        count = len(next(iter(self.rungs.values())))
        for rung in range(count):
            specs = {c.number: self.specs(c, rung) for c in alive}
            every = [s for group in specs.values() for s in group]
            self.store.register(every, {self.schedule.key: "proposed"},
                                {s.trial_id: {"track": "search", "phase": "search", "config": n, "rung": rung}
                                 for n, group in specs.items() for s in group})
            for c in alive:
                c.state = "running"
                c.trials = list(dict.fromkeys([*c.trials, *(s.trial_id for s in specs[c.number])]))
                self.log.save(c)
            generation = alive[0].generation
            what = (f"search: generation {generation}, candidates {', '.join(str(c.number) for c in alive)}"
                    + (f", rung {rung + 1} of {count}" if count > 1 else ""))
            try:
                self.driver.run(every, what)
            finally:
                self.log.put(seconds=self.seconds())
            if self.driver.retry:
                return False
            ended = self.store.ended()
            if any(s.trial_id not in ended for s in every):  # not run: stopped from outside
                return False
            # Every candidate's value on this rung is reported before the pruner judges any of them,
            # so that the judgement does not depend on the order within the generation.
            scored = [c for c in alive if self._score(c, specs[c.number], ended, rung)]
            alive = [c for c in scored if self._decide(c, rung, last=rung == count - 1)]
            if not alive:
                break
        return True

    def _score(self, c: Candidate, specs: list[TrialSpec], ended: dict[str, Any], rung: int) -> bool:
        """Score candidate ``c`` on ``rung`` and report it to Optuna; False (and told failed) if a
        trial of it failed."""
        trial = self.trials[c.number]
        failed = [s for s in specs if ended[s.trial_id][0] == "failed"]
        if failed:
            errors = {r["trial_id"]: r["error"] for r in self.store.failed()}
            first = failed[0]
            c.state, c.value = "failed", None
            c.error = f"{first.task_label} / seed {first.seed}: {errors.get(first.trial_id) or 'failed'}"
            self._tell(trial, state=TrialState.FAIL)
            self.log.save(c)
            return False
        scores = []
        for s in specs:
            status, summary = ended[s.trial_id]
            scores.append(trial_score(status, summary, asdict(s.target), s.epochs))
        value = candidate_value(scores, self.plan.search.final_weight)
        epochs = {task: rungs[rung] for task, rungs in self.rungs.items()}
        c.rungs = [r for r in c.rungs if r["rung"] != rung] + [{"rung": rung, "epochs": epochs, "value": value,
                                                               "pruned": False}]
        trial.report(value, step(rung))
        return True

    def _tell(self, trial: optuna.Trial, value: float | None = None, state: TrialState | None = None) -> None:
        """Tell Optuna, and keep what its sampler wrote on the trial (CMA-ES keeps its search
        distribution there) so that a rebuilt study has it too; written before the candidate's
        told state, so a kill in between leaves the candidate to be asked again."""
        self.study.tell(trial, value, state=state)
        attrs = next(t for t in self.study.get_trials(deepcopy=False) if t.number == trial.number).system_attrs
        if attrs:
            self.log.put(**{f"system_attrs.{trial.user_attrs['candidate']}": attrs})

    def _decide(self, c: Candidate, rung: int, last: bool) -> bool:
        """After ``rung``: complete (the last rung), pruned, or on to the next rung; True if it goes on."""
        trial = self.trials[c.number]
        value = c.rungs[-1]["value"]
        if last:
            c.state, c.value = "complete", value
            self._tell(trial, value)
        elif trial.should_prune():
            c.rungs[-1]["pruned"] = True
            c.state = "pruned"
            self._tell(trial, state=TrialState.PRUNED)
        self.log.save(c)
        return c.state == "running"

    # -- the whole search ---------------------------------------------------------------------
    def seconds(self) -> float:
        return self.seconds_before + time.monotonic() - self.started

    def spent(self, asked: int, complete: int) -> bool:
        """Whether to stop asking: the budget is spent and K have completed (or the extra asks for
        K ran out)."""
        k = self.plan.confirm.k
        by_count = self.budget.candidates is not None and asked >= self.budget.candidates
        by_clock = self.budget.minutes is not None and self.seconds() >= self.budget.minutes * 60
        if not (by_count or by_clock):
            return False
        if complete >= k:
            return True
        limit = self.log.get("extra_limit")
        if limit is None:
            limit = asked + 4 * k
            self.log.put(extra_limit=limit)
        return asked >= limit

    def run(self) -> SearchOutcome:
        """Search until the budget is spent (resuming what a killed run left)."""
        self.log.put(budget=self.budget.model_dump(mode="json", exclude_none=True),
                     space=self.space.as_dict(), objective=describe(self.plan.search.final_weight))
        untold = self.rebuild()
        candidates = self.log.all()
        if untold:
            print(f"search: resuming; {len(candidates) - len(untold)} candidate(s) told, "
                  f"{len(untold)} asked again with their parameters", file=self.stream)
            generation = untold[0].generation
            again = [self.ask(c.number, generation, c.params) for c in untold]
            for new, old in zip(again, untold, strict=True):
                new.trials = old.trials
            self.log.save(*again)
            if not self.run_generation(again):
                return self.outcome(ended=False)
        while True:
            candidates = self.log.all()
            complete = sum(c.state == "complete" for c in candidates)
            if self.spent(len(candidates), complete):
                break
            number = 1 + max((c.number for c in candidates), default=-1)
            generation = 1 + max((c.generation for c in candidates), default=-1)
            size = self.plan.search.batch
            if self.budget.candidates is not None and len(candidates) < self.budget.candidates:
                size = min(size, self.budget.candidates - len(candidates))
            batch = [self.ask(number + i, generation) for i in range(size)]
            self.log.save(*batch)  # the whole generation in one transaction, before any of it trains
            if not self.run_generation(batch):
                return self.outcome(ended=False)
        self.log.put(ended=True, seconds=self.seconds())
        return self.outcome(ended=True)

    def outcome(self, ended: bool) -> SearchOutcome:
        counts: dict[str, int] = {}
        trials: set[str] = set()
        for c in self.log.all():
            counts[c.state] = counts.get(c.state, 0) + 1
            trials.update(c.trials)
        return SearchOutcome(counts, len(trials), self.seconds(), ended, list(self.driver.retry))


def top_candidates(log: CandidateLog, k: int) -> list[Candidate]:
    """The ``k`` completed candidates with the lowest value (ties: the earlier asked)."""
    complete = [c for c in log.all() if c.state == "complete" and c.value is not None and math.isfinite(c.value)]
    return sorted(complete, key=lambda c: (c.value, c.number))[:k]


def parse_budget(text: str) -> SearchBudget:
    """``--budget``: ``30m`` / ``90s`` / ``1.5h`` (wall clock) or ``40`` (candidates)."""
    value = text.strip().lower()
    units: dict[str, Callable[[float], float]] = {"s": lambda v: v / 60, "m": lambda v: v, "h": lambda v: v * 60}
    try:
        if value and value[-1] in units:
            minutes = units[value[-1]](float(value[:-1]))
            if not math.isfinite(minutes) or minutes <= 0:
                raise ValueError
            return SearchBudget(minutes=minutes)
        count = int(value)
        if count < 1:
            raise ValueError
        return SearchBudget(candidates=count)
    except ValueError:
        raise ResearchPlanError(f"--budget: expected a number of candidates (e.g. 40) or a duration (30m, 90s, "
                                f"1.5h) above zero, got {text!r}") from None


def check_budget(plan: ResearchPlan, budget: SearchBudget, where: str) -> None:
    """Refuse a budget that cannot give the confirmation its K candidates or one trial its time."""
    if budget.candidates is not None and budget.candidates < plan.confirm.k:
        raise ResearchPlanError(f"{where}: {budget.candidates} candidate(s) is fewer than confirm.k = "
                                f"{plan.confirm.k}; the search must be able to complete K candidates")
    limit = plan.budget.max_trial_seconds
    if budget.minutes is not None and limit is not None and budget.minutes * 60 < limit:
        raise ResearchPlanError(f"{where}: {budget.minutes:g} minutes is too small for one trial (a trial may "
                                f"take [budget] max_trial_seconds = {limit:g}s)")

