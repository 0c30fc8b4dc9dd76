"""What a research run found, read from its folder: the plan, every candidate, the K confirmed, the
held-out analysis. Read-only: the reports, the summary and ``adopt`` all start here.

A run folder holds ``research.toml`` (the plan), ``search/study.sqlite`` (the search's store, with
the ``candidates`` table of :mod:`lrlab.research.candidates`), ``ideas.json`` (the K confirmed:
label, ``candidate`` (its number), arguments, rate scale, sentence, search value) and ``confirm/`` (the
confirmation, an ordinary study folder). A run stopped early lacks the later ones; what exists is
read, what does not is said.

The held-out numbers come from :func:`lrlab.analysis.analyze` of ``confirm/``, the same analysis
its ``report.md`` is written from; nothing here computes a statistic. The goal check
(:func:`goal_check`) only compares medians of the stored epochs to target.
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrlab.errors import LrlabError
from lrlab.research.candidates import Candidate, CandidateLog
from lrlab.research.plan import ResearchPlan, ResearchPlanError, load_research_plan
from lrlab.study.store import STORE_NAME, Store

PLAN_FILE = "research.toml"
SEARCH_DIR = "search"
IDEAS_FILE = "ideas.json"
CONFIRM_DIR = "confirm"
REPORTS_DIR = "reports"
SUMMARY_FILE = "summary.md"


class ResearchRunError(LrlabError, ValueError):
    """A research run folder that cannot be read, or a candidate it does not hold; one line."""


@dataclass(frozen=True)
class Idea:
    """One confirmed candidate (an entry of ``ideas.json``)."""

    label: str
    number: int
    args: dict[str, Any]
    lr_scale: float | None
    idea: str
    value: float | None


@dataclass
class Findings:
    """Everything a run folder holds (``analysis``: the confirmation's, or None before it has a store)."""

    run_dir: Path
    plan: ResearchPlan
    candidates: list[Candidate]
    ideas: list[Idea]
    meta: dict[str, Any] = field(default_factory=dict)
    analysis: dict[str, Any] | None = None

    @property
    def confirm_dir(self) -> Path:
        return self.run_dir / CONFIRM_DIR

    def candidate(self, number: int) -> Candidate | None:
        return next((c for c in self.candidates if c.number == number), None)

    def idea_of(self, number: int) -> Idea | None:
        return next((i for i in self.ideas if i.number == number), None)

    def by_state(self) -> dict[str, int]:
        """How many candidates are in each state: complete, pruned, failed, then unfinished ones."""
        order = ("complete", "pruned", "failed", "running", "asked")
        states = sorted({c.state for c in self.candidates}, key=lambda s: (order.index(s) if s in order else 99, s))
        return {s: sum(c.state == s for c in self.candidates) for s in states}

    def counts_text(self) -> str:
        """``5 candidate(s): 2 complete, 1 pruned, 1 failed, 1 asked``."""
        return (f"{len(self.candidates)} candidate(s): "
                + (", ".join(f"{n} {s}" for s, n in self.by_state().items()) or "none"))

    def ranked(self) -> list[Candidate]:
        """Every candidate by search value (lower is better), those without a value last, by number."""
        return sorted(self.candidates, key=lambda c: (c.value is None or not math.isfinite(c.value),
                                                      c.value if c.value is not None else 0.0, c.number))

    def rank_of(self, number: int) -> tuple[int, int] | None:
        """(rank, of how many) among the complete candidates, by search value."""
        complete = [c for c in self.ranked() if c.state == "complete" and c.value is not None]
        for index, c in enumerate(complete):
            if c.number == number:
                return index + 1, len(complete)
        return None


def read_run(run_dir: str | Path, *, analysis: bool = True) -> Findings:
    """Read the run folder ``run_dir`` (``analysis``: also analyse its confirmation, when it has one).
    :class:`ResearchRunError` for a folder that is no research run."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ResearchRunError(f"{run_dir}: no such research run folder")
    if not (run_dir / PLAN_FILE).is_file():
        raise ResearchRunError(f"{run_dir}: not a research run folder (no {PLAN_FILE}; lrlab research run writes it)")
    try:
        plan = load_research_plan(run_dir / PLAN_FILE)
    except ResearchPlanError as error:
        raise ResearchRunError(f"{run_dir}: its plan cannot be used: {error}") from None
    store_path = run_dir / SEARCH_DIR / STORE_NAME
    if not store_path.is_file():
        raise ResearchRunError(f"{run_dir}: the search has not started (no {SEARCH_DIR}/{STORE_NAME})")
    store = Store(store_path, readonly=True)
    try:
        candidates = CandidateLog(store).all()
        rows = store.db.execute("SELECT key, value FROM meta WHERE key LIKE 'research.%' ORDER BY key").fetchall()
        meta = {r["key"].removeprefix("research."): _json_or_text(r["value"]) for r in rows}
    finally:
        store.close()
    findings = Findings(run_dir, plan, candidates, _read_ideas(run_dir), meta)
    if analysis and (findings.confirm_dir / STORE_NAME).is_file():
        from lrlab.analysis import analyze

        findings.analysis = analyze(findings.confirm_dir)
    return findings


def rung_epochs(epochs: Any) -> str:
    """A rung's epochs as the candidates table keeps them (per search task, or one number): ``wine: 1 epochs``."""
    if isinstance(epochs, dict):
        return ", ".join(f"{task}: {n}" for task, n in epochs.items()) + " epochs"
    return f"{epochs} epochs"


def _json_or_text(value: str) -> Any:
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


def _read_ideas(run_dir: Path) -> list[Idea]:
    path = run_dir / IDEAS_FILE
    if not path.is_file():
        return []
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
        return [Idea(str(e["label"]), int(e["candidate"] if "candidate" in e else e["number"]), dict(e["args"]),
                     e.get("lr_scale"), str(e.get("idea", "")), e.get("value")) for e in entries]
    except (ValueError, KeyError, TypeError) as error:
        raise ResearchRunError(f"{path}: not a list of confirmed ideas ({error})") from None


# -- the held-out verdict, read from the analysis --------------------------------------------------
def verdict_cells(analysis: dict[str, Any], label: str) -> list[dict[str, Any]]:
    """Per held-out task, the deciding track's verdict of ``label`` against the best baseline:
    ``{task, metric, verdict, label, difference, ci_low, ci_high, p_holm, n, baseline, as_given}``."""
    verdict = analysis["verdict"]
    decides = verdict["decides"]
    out = []
    for entry in verdict["tasks"]:
        row = next((r for r in entry["rows"] if r["schedule"] == label), None)
        if row is None:
            continue
        cell = row["tracks"][decides]
        given = row["tracks"].get("given") if decides != "given" else None
        out.append({"task": entry["task"], "metric": entry["metric"], **cell, "notes": row["notes"],
                    "track": analysis["track_names"][decides], "as_given": given})
    return out


def describe_cell(cell: dict[str, Any]) -> str:
    """``no detectable difference vs constant: -0.0044 [-0.0088, 0], p=0.5 (n=3)`` and the like."""
    from lrlab.report.formatting import interval, pvalue, signed

    verdict = cell.get("verdict", "not comparable")
    against = f" vs {cell['baseline']}" if cell.get("baseline") else ""
    if verdict == "not comparable" or not cell.get("n"):
        return f"not comparable{against} (no paired seeds completed)"
    if verdict == "tie":
        return f"tie{against} (= {cell['equals']} on every seed, n={cell['n']})"
    return (f"{cell.get('label', verdict)}{against}: {signed(cell['difference'], 3)} "
            f"{interval(cell['ci_low'], cell['ci_high'], 3, sign=True)}, p={pvalue(cell['p_holm'])} (n={cell['n']})")


def verdict_lines(analysis: dict[str, Any], label: str) -> list[str]:
    """One line per held-out task: ``task (metric, tuned): <verdict>`` (Holm over the whole family)."""
    family = analysis["verdict"]["power"]["family_size"]
    return [f"{c['task']} ({c['metric']}, {c['track']}): {describe_cell(c)}; Holm over {family}"
            for c in verdict_cells(analysis, label)]


# -- epochs to target and the goal -------------------------------------------------------------------
def epochs_to_target(analysis: dict[str, Any], task: str, schedule: str) -> dict[str, Any]:
    """The deciding track's epochs to target of ``schedule`` on ``task``: per ended trial (None: never
    reached), how many reached, and the median over all of them with never counted as infinite."""
    track = analysis["tracks"][analysis["decides"]]
    conv = track["convergence"].get(task, {}).get(schedule)
    if not conv:
        return {"values": [], "reached": 0, "ended": 0, "trials": 0, "median": None}
    values = conv["epochs_to_target"]["values"]
    finite = [math.inf if v is None else float(v) for v in values]
    return {"values": values, "reached": conv["reached"], "ended": conv["ended"], "trials": conv["trials"],
            "median": statistics.median(finite) if finite else None}


def mean_test(analysis: dict[str, Any], task: str, schedule: str, metric: str) -> dict[str, Any] | None:
    """The deciding track's mean test ``metric`` (with its 95 % interval) of ``schedule`` on ``task``."""
    track = analysis["tracks"][analysis["decides"]]
    return track["results"].get(task, {}).get(schedule, {}).get(f"eval_{metric}")


def no_later(mine: float | None, theirs: float | None) -> bool:
    """Reached the target (a finite median) no later than the other."""
    return mine is not None and math.isfinite(mine) and (theirs is None or mine <= theirs)


def goal_check(findings: Findings) -> dict[str, Any] | None:
    """The plan's ``[goal]`` per confirmed idea, from the stored epochs to target and test metrics:
    ``{met, ideas: {label: {tasks: [...], wins, task: {...} | None, met}}}``; None without a goal
    or without a confirmation."""
    goal, analysis = findings.plan.goal, findings.analysis
    if goal is None or analysis is None:
        return None
    baseline = _label_of(analysis, goal.baseline)
    reference = _label_of(analysis, goal.reference) if goal.reference else None
    out: dict[str, Any] = {}
    for idea in findings.ideas:
        if idea.label not in analysis["proposed"]:
            continue
        rows = []
        for task in analysis["tasks"]:
            mine, theirs = epochs_to_target(analysis, task, idea.label), epochs_to_target(analysis, task, baseline)
            rows.append({"task": task, "idea": mine, "baseline": theirs, "ok": no_later(mine["median"], theirs["median"])})
        wins = sum(r["ok"] for r in rows)
        on_task = None
        if goal.task is not None and reference is not None and goal.task in analysis["tasks"]:
            mine, theirs = epochs_to_target(analysis, goal.task, idea.label), epochs_to_target(analysis, goal.task, reference)
            test_mine = mean_test(analysis, goal.task, idea.label, goal.metric)
            test_theirs = mean_test(analysis, goal.task, reference, goal.metric)
            a = (test_mine or {}).get("mean")
            b = (test_theirs or {}).get("mean")
            higher = a is not None and b is not None and math.isfinite(a) and math.isfinite(b) and a >= b
            on_task = {"task": goal.task, "reference": reference, "idea": mine, "other": theirs,
                       "earlier": no_later(mine["median"], theirs["median"]), "test_idea": test_mine,
                       "test_reference": test_theirs, "higher": higher,
                       "ok": no_later(mine["median"], theirs["median"]) and higher}
        met = wins >= goal.tasks and (on_task is None or on_task["ok"])
        out[idea.label] = {"tasks": rows, "wins": wins, "task": on_task, "met": met}
    return {"goal": goal, "baseline": baseline, "reference": reference, "ideas": out,
            "met": any(v["met"] for v in out.values())}


def _label_of(analysis: dict[str, Any], name: str) -> str:
    """The confirmation's label of registered schedule ``name`` (baselines run under their names)."""
    if name in analysis["schedule_names"]:
        return name
    return next((label for label, n in analysis["schedule_names"].items() if n == name), name)
