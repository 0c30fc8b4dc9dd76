"""The shipped research plan (or ``--plan``) run for real, and what it took and found.

    python benchmarks/research.py [--plan PLAN] [--out DIR] [--workers 2] [--budget 30m]

Runs ``lrlab research run`` into ``--out`` (default ``runs/research-benchmark/<plan name>``; a
folder that already holds the run resumes it, and then the minutes are only this run's), then
prints one table: the search's minutes (every run of it, from the store), the confirmation's and
the total wall time of this run, the candidates asked / complete / pruned / failed, the trials of
the search and of the confirmation, each confirmed idea's held-out outcome and the plan's
``[goal]``: met or not, with the numbers. The same numbers go to ``<out>/benchmark.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

from lrlab.research.candidates import CandidateLog
from lrlab.research.confirm import goal_outcome
from lrlab.research.plan import load_research_plan, resolve_research_plan
from lrlab.research.run import run_research
from lrlab.study.store import STORE_NAME, Store


def _epochs(value: float) -> str:
    return "never" if not math.isfinite(value) else f"{value:g}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", default=None, help="research plan file or shipped name (default: research)")
    parser.add_argument("--out", default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--budget", default=None)
    args = parser.parse_args()
    path = resolve_research_plan(args.plan)
    plan = load_research_plan(path)
    out = Path(args.out or f"runs/research-benchmark/{plan.name}")
    started = time.monotonic()
    outcome = run_research(path, out, budget=args.budget, workers=args.workers)
    total = time.monotonic() - started
    if outcome.exit_code not in (0, 1):
        print(f"stopped (exit {outcome.exit_code}); run again to resume", file=sys.stderr)
        return outcome.exit_code

    store = Store(out / "search" / STORE_NAME, readonly=True)
    try:
        log = CandidateLog(store)
        candidates = log.all()
        search_seconds = float(log.get("seconds", 0.0))
        search_trials = len(store.trials())
    finally:
        store.close()
    confirm_store = Store(out / "confirm" / STORE_NAME, readonly=True)
    try:
        confirm_trials = len(confirm_store.trials())
    finally:
        confirm_store.close()
    states = {s: sum(c.state == s for c in candidates) for s in ("complete", "pruned", "failed")}
    goal = goal_outcome(plan, out / "confirm")
    row = {"plan": plan.name, "search_minutes": search_seconds / 60,
           "confirm_minutes": outcome.confirm_seconds / 60, "total_minutes_this_run": total / 60,
           "asked": len(candidates), **states, "search_trials": search_trials, "confirm_trials": confirm_trials,
           "ideas": outcome.ideas, "goal": goal, "exit_code": outcome.exit_code}
    (out / "benchmark.json").write_text(json.dumps(row, indent=2, default=str) + "\n")

    print("| plan | search (min) | confirmation (min) | total, this run (min) | candidates asked / complete / "
          "pruned / failed | trials (search + confirmation) | goal met |")
    print("|---|---:|---:|---:|---|---|---|")
    print(f"| {plan.name} | {row['search_minutes']:.1f} | {row['confirm_minutes']:.1f} | "
          f"{row['total_minutes_this_run']:.1f} | {len(candidates)} / {states['complete']} / {states['pruned']} / "
          f"{states['failed']} | {search_trials} + {confirm_trials} | "
          f"{'n/a' if goal is None else ('yes' if goal['met'] else 'no')} |")
    if goal is not None:
        g = goal["goal"]
        print()
        print(f"goal: median epochs to the target no later than tuned {g['baseline']} on >= {g['tasks']} held-out "
              f"tasks; on {g['task']} no later than {g['reference']} with test {g['metric']} at least as high")
        for idea in goal["ideas"]:
            per_task = ", ".join(f"{t} {_epochs(v['idea'])} vs {_epochs(v['baseline'])}" for t, v in idea["tasks"].items())
            line = f"{idea['label']}: epochs to target (idea vs {g['baseline']}): {per_task}"
            ref = idea.get("reference")
            if ref:
                line += (f"; {g['task']} vs {g['reference']}: epochs {_epochs(ref['idea_epochs'])} vs "
                         f"{_epochs(ref['reference_epochs'])}, test {g['metric']} {ref['idea_test']:.3f} vs "
                         f"{ref['reference_test']:.3f}")
            print(f"{line} -> {'met' if idea['met'] else 'not met'}")
    for idea in outcome.ideas:
        print(f"{idea['label']} = candidate {idea['candidate']} (lr x {idea['lr_scale']}): {idea['idea']}")
    return outcome.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
