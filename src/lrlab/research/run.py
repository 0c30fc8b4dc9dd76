"""``lrlab research run``: search, choose K, confirm on held-out tasks, write what was found.

The run folder (one writer at a time: :mod:`lrlab.study.lock`, held for the whole run)::

    <out>/
      research.toml     the research plan as given (a copy; written once)
      search/           the search, a study-like folder: study.sqlite (trials, epochs, ... and the
                        candidates table, :mod:`lrlab.research.candidates`), trials/ (checkpoints)
      ideas.json        the K chosen, written once when the search has ended: a list of
                        {label (idea-1..), candidate (its number), args, lr_scale, idea (a
                        sentence), value (its search value)}
      confirm/          the confirmation study: plan.toml, study.sqlite, trials/, report.md ...
      ...               what lrlab.research.report.write_outputs writes (one report per idea,
                        summary.md)

Every stage resumes: the same command again goes on where a kill stopped it (a search asks its
untold candidates again, trials that ended are read from the store, the confirmation resumes as
any study does). A folder holds one research: another plan (other than its search budget) is
refused. Ctrl-C and SIGTERM stop as a study stops; the exit status says how it ended.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from lrlab.errors import ENVIRONMENT, INTERRUPTED, OK, TERMINATED, TRIALS_FAILED
from lrlab.files import write_atomic
from lrlab.research.candidates import CandidateLog
from lrlab.research.confirm import (
    IDEAS_NAME,
    choose_ideas,
    read_ideas,
    run_confirmation,
    write_confirmation_plan,
    write_ideas,
)
from lrlab.research.plan import (
    ResearchPlan,
    ResearchPlanError,
    load_research_plan,
    resolve_research_plan,
)
from lrlab.research.search import Search, SearchOutcome, check_budget, parse_budget
from lrlab.research.space import idea_space
from lrlab.study.lock import study_lock
from lrlab.study.runner import check_executor, trials_root
from lrlab.study.store import STORE_NAME, Store

PLAN_NAME = "research.toml"


@dataclass
class ResearchOutcome:
    """How far a run of the research got, and how it ended."""

    out: Path
    search: SearchOutcome | None = None
    ideas: list[dict[str, Any]] = field(default_factory=list)
    confirm: Any = None  # lrlab.workflow.Outcome
    stopped_by: str = ""  # "Ctrl-C" or "SIGTERM"
    outputs: list[Path] = field(default_factory=list)
    search_seconds: float = 0.0
    confirm_seconds: float = 0.0
    nothing_confirmed: bool = False  # no candidate completed: the search's candidates failed or were pruned

    @property
    def exit_code(self) -> int:
        """As ``lrlab run``: 0 done, 1 done but candidates or trials failed, 75 trials to retry,
        130 Ctrl-C, 143 SIGTERM."""
        if self.stopped_by:
            return TERMINATED if self.stopped_by == "SIGTERM" else INTERRUPTED
        if self.confirm is not None and self.confirm.exit_code != OK:
            return self.confirm.exit_code
        if self.search is not None and self.search.retry:
            return ENVIRONMENT
        if self.nothing_confirmed or (self.search is not None and self.search.counts.get("failed")):
            return TRIALS_FAILED
        return OK


def default_out(plan: ResearchPlan) -> Path:
    return Path("runs") / "research" / plan.name


def research_hash(plan: ResearchPlan, base: Path) -> str:
    search = plan.search_plan(base)
    sources = {ref: s.sha256 for ref, s in search.sources().items()}
    sources.update({t.key: t.resolved_source.sha256 for t in plan.confirm.tasks if t.resolved_source})
    return plan.hash_with(idea_space(plan).as_dict(), sources)


def plan_copy(plan: ResearchPlan, path: Path, base: Path, folder: Path) -> str:
    """``research.toml``: the plan's text as given; where it names a user's file (``source =``) by a
    relative path, the plan rewritten with that path relative to the run folder, so that the copy
    reads from there."""
    text = path.read_text(encoding="utf-8")
    tasks = [*plan.search.tasks, *plan.confirm.tasks]
    if not any(t.source is not None and t.source.rpartition(":")[0].endswith(".py") for t in tasks):
        return text
    from lrlab.report.plan_toml import dump_plan
    from lrlab.research.plan import _entry

    data = plan.model_dump(mode="json", exclude_none=True)
    data["search"]["tasks"] = [_entry(t, base, folder) for t in plan.search.tasks]
    data["confirm"]["tasks"] = [_entry(t, base, folder) for t in plan.confirm.tasks]
    return (f"# {path.name} as lrlab research run read it, its sources' paths relative to this folder\n"
            + dump_plan(data))


def _check_folder(out: Path, digest: str) -> None:
    """Refuse a folder that holds another research (the search budget aside)."""
    path = out / "search" / STORE_NAME
    if not path.exists():
        return
    store = Store(path, readonly=True)
    try:
        existing = CandidateLog(store).get("hash")
    finally:
        store.close()
    if existing is not None and existing != digest:
        raise ResearchPlanError(f"{out}: this folder holds another research (plan {existing}, now {digest}); "
                                "a changed plan is a new research: pass another --out")


def run_research(plan_path: str | Path | None = None, out: str | Path | None = None, *,
                 budget: str | None = None, executor: str = "local", workers: int | None = None,
                 address: str | None = None, device: str = "cpu", stream: TextIO | None = None) -> ResearchOutcome:
    """Run (or resume) the research of ``plan_path`` (default: the shipped plan ``research``) into
    ``out`` (default ``runs/research/<name>``). ``budget`` (``30m``, ``40``) replaces the plan's
    search budget. Every refusal (the plan, the budget, the executor, a folder of another research)
    comes before anything trains."""
    stream = stream or sys.stderr
    path = resolve_research_plan(plan_path)
    plan = load_research_plan(path)
    base = path.resolve().parent
    check_executor(executor, address)
    if workers is not None and workers < 1:
        raise ValueError(f"--workers must be at least 1, got {workers}")
    search_budget = parse_budget(budget) if budget is not None else plan.search.budget
    check_budget(plan, search_budget, "--budget" if budget is not None else "search.budget")
    folder = Path(out) if out is not None else default_out(plan)
    digest = research_hash(plan, base)
    _check_folder(folder, digest)
    from lrlab.tasks.registry import ensure_tasks_available

    ensure_tasks_available((t.name, t.resolved_model()) for t in [*plan.search.tasks, *plan.confirm.tasks]
                           if t.source is None)
    with study_lock(folder, stream):
        outcome = ResearchOutcome(folder)
        copy = folder / PLAN_NAME
        if not copy.exists():
            write_atomic(copy, plan_copy(plan, path, base, folder).encode())
        ideas_path = folder / IDEAS_NAME
        if ideas_path.exists() and budget is not None:
            print(f"--budget {budget}: the search has ended and chose its ideas ({ideas_path}); it does not "
                  "search again", file=stream)
        if not ideas_path.exists() and not _search(plan, base, folder, digest, search_budget, outcome, executor,
                                                   workers, address, device, stream):
            return outcome
        outcome.ideas = read_ideas(ideas_path)
        if not outcome.ideas:
            print("no candidate completed the search: nothing to confirm (`lrlab research summary "
                  f"{folder}` lists every candidate and why it failed)", file=stream)
            outcome.nothing_confirmed = True
            outcome.outputs = write_outputs(folder, stream)
            return outcome
        for idea in outcome.ideas:
            print(f"{idea['label']} (candidate {idea['candidate']}, search value {idea['value']:.4g}): "
                  f"{idea['idea']}", file=stream)
        confirm = folder / "confirm"
        plan_file = write_confirmation_plan(plan, outcome.ideas, base, confirm)
        outcome.confirm = run_confirmation(plan_file, confirm, workers=workers, device=device, executor=executor,
                                           address=address, stream=stream)
        outcome.confirm_seconds = outcome.confirm.study.seconds
        if outcome.confirm.interrupted:
            outcome.stopped_by = outcome.confirm.study.stopped_by
            return outcome
        if outcome.confirm.exit_code == ENVIRONMENT:
            return outcome
        outcome.outputs = write_outputs(folder, stream)
    return outcome


def _search(plan: ResearchPlan, base: Path, folder: Path, digest: str, budget: Any, outcome: ResearchOutcome,
            executor: str, workers: int | None, address: str | None, device: str, stream: TextIO) -> bool:
    """Run (or resume) the search and write ideas.json; False if it stopped before its end."""
    search_plan = plan.search_plan(base)
    where = folder / "search"
    with study_lock(where, stream):
        store = Store(where / STORE_NAME)
        try:
            ideas = _search_in(plan, search_plan, where, store, digest, budget, outcome, executor, workers,
                               address, device, stream)
        finally:
            store.close()
    if ideas is None:
        return False
    if len(ideas) < plan.confirm.k:
        print(f"only {len(ideas)} candidate(s) completed; confirm.k = {plan.confirm.k}: the confirmation runs "
              f"{len(ideas)}", file=stream)
    write_ideas(folder / IDEAS_NAME, ideas)
    return True


def _search_in(plan: ResearchPlan, search_plan: Any, where: Path, store: Store, digest: str, budget: Any,
               outcome: ResearchOutcome, executor: str, workers: int | None, address: str | None, device: str,
               stream: TextIO) -> list[dict[str, Any]] | None:
    """The search in its open store: the ideas it chose, or None if it stopped before its end."""
    from lrlab.report.plan_toml import dump_plan
    from lrlab.research.driver import Stopped, TrialDriver

    plan_json = json.dumps(search_plan.model_dump(mode="json"), sort_keys=True)
    store.bind_plan(search_plan.hash, plan_json, dump_plan(json.loads(plan_json)))
    log = CandidateLog(store)
    log.put(hash=digest)
    driver = TrialDriver(store, trials_root(search_plan, where), search_plan.resources, stream,
                         executor=executor, workers=workers, address=address)
    search = Search(plan, search_plan, idea_space(plan), driver, budget, stream, device=device)
    print(f"research {plan.name!r} ({digest}): search on {', '.join(t.key for t in plan.search.tasks)} x seeds "
          f"{list(plan.search.seeds)}, budget {budget.describe()}, {plan.search.sampler} -> {where}", file=stream)
    try:
        result = search.run()
    except Stopped as stop:
        outcome.stopped_by = stop.by
        said = "interrupted" if stop.by == "Ctrl-C" else "stopped by SIGTERM"
        print(f"{said}: every told candidate and finished trial is stored; run the same command again to "
              "resume", file=stream)
        outcome.search = search.outcome(ended=False)
        return None
    finally:
        driver.close()
    outcome.search = result
    outcome.search_seconds = result.seconds
    counts = ", ".join(f"{n} {state}" for state, n in sorted(result.counts.items()))
    print(f"search: {sum(result.counts.values())} candidate(s) ({counts}), {result.trials} trials, "
          f"{result.seconds / 60:.1f} min", file=stream)
    for line in result.retry:
        print(f"to retry: {line}", file=stream)
    if not result.ended:
        return None
    ideas = choose_ideas(plan, log)
    log.put(chosen=[i["candidate"] for i in ideas])
    return ideas


def research_module(name: str) -> Any:
    """``lrlab.research.<name>`` (summary, adopt, report), or a one-line error where it is missing."""
    if importlib.util.find_spec(f"lrlab.research.{name}") is None:
        raise ResearchPlanError(f"lrlab research: lrlab.research.{name} is not installed in this lrlab")
    return importlib.import_module(f"lrlab.research.{name}")


def write_outputs(folder: Path, stream: TextIO) -> list[Path]:
    """The research's reports and summary (:mod:`lrlab.research.report`), where that module exists."""
    if importlib.util.find_spec("lrlab.research.report") is None:
        print("research reports: lrlab.research.report is not installed here; the confirmation's report is "
              f"{folder / 'confirm' / 'report.md'}", file=stream)
        return []
    from lrlab.research.report import write_outputs as write

    paths = list(write(folder))
    for p in paths:
        print(f"research: {p}", file=stream)
    return paths
