"""Rough wall time of the shipped plans on a 2-core machine (what ``lrlab plans`` says).

    python benchmarks/plan_times.py [PLAN ...] [--workers 2]

Running every plan in full takes hours (minilm alone 45 minutes), so this estimates: it trains one
trial per task of each plan (the constant schedule, seed 0, the plan's settings for that task, one
torch thread, as a worker does), and counts the plan's trials of that task in trial-equivalents (a
successive-halving rung of a fraction of the epochs counts as that fraction); the estimate is the
sum of those costs over ``--workers`` worker processes. What it leaves out: schedules that cost more
than a constant rate per step (a few percent, the Hessian probes more), the driver's and the
report's time, a shared machine's other load. Plans whose full run was measured are said so in
``lrlab.plans.ROUGH_TIMES`` instead (default: 9 minutes; minilm: 44.6 minutes).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import torch

from lrlab.plans import PLANS_DIR, shipped_plans
from lrlab.study.plan import Plan, TaskEntry, load_plan
from lrlab.study.tuning import is_tuned, rung_epochs
from lrlab.train.trial import run_trial

#: Plans not estimated by default: minilm (one trial is a quarter of an hour; its full run was
#: measured) and meta-train (it is run by `lrlab meta-train`, episode by episode).
SKIP = ("minilm", "meta-train")


def trial_equivalents(plan: Plan, task: TaskEntry) -> float:
    """The plan's trials of ``task``, each counted by the share of the task's epochs it trains."""
    count = float(len(plan.schedules) * len(plan.seeds))
    if plan.tuning is None:
        return count
    tuned = sum(is_tuned(s) for s in plan.schedules)
    epochs = plan.hparams_for(task).epochs
    halving = plan.tuning.halving
    rungs = rung_epochs(epochs, halving.rungs, halving.eta) if halving else [epochs]
    configs, per_schedule = plan.tuning.trials, 0.0
    for rung in rungs:
        per_schedule += configs * len(plan.tuning.seeds) * rung / epochs
        if halving:
            configs = max(1, math.ceil(configs / halving.eta))
    return count + tuned * (per_schedule + len(plan.seeds))


def one_trial_seconds(plan: Plan, task: TaskEntry, folder: Path, measured: dict[str, float]) -> float:
    """Wall seconds of one constant-rate trial of ``task`` with the plan's settings (once per
    distinct trial: plans that share one share its time)."""
    spec = next(s for s in plan.trials() if s.task_label == task.key)
    spec = dataclasses.replace(spec, schedule="constant", schedule_label="constant", schedule_args={},
                               optimizer=plan.hparams_for(task).optimizer, lr=plan.hparams_for(task).lr, seed=0)
    if spec.trial_id in measured:
        return measured[spec.trial_id]
    start = time.perf_counter()
    result = run_trial(spec, folder / spec.trial_id)
    seconds = time.perf_counter() - start
    if result.status != "completed":
        raise SystemExit(f"{plan.name} / {task.key}: {result.status}: {result.error}")
    measured[spec.trial_id] = seconds
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plans", nargs="*", help=f"plan names (default: every shipped plan but {', '.join(SKIP)})")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(1)
    names = args.plans or [n for n in shipped_plans() if n not in SKIP]
    cost: dict[tuple[str, str], float] = {}
    measured: dict[str, float] = {}
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
            plan = load_plan(PLANS_DIR / f"{name}.toml")
            seconds, trials = 0.0, 0.0
            per_task = defaultdict(float)
            for task in plan.tasks:
                key = (name, task.key)
                cost[key] = one_trial_seconds(plan, task, Path(folder), measured)
                equivalents = trial_equivalents(plan, task)
                per_task[task.key] = cost[key]
                seconds += cost[key] * equivalents
                trials += equivalents
            minutes = seconds / args.workers / 60
            rows.append((name, minutes, ", ".join(f"{t} {s:.1f}s" for t, s in per_task.items())))
            print(f"{name}: about {minutes:.1f} min on {args.workers} workers (one trial: {rows[-1][2]})",
                  file=sys.stderr)
    print(f"| plan | estimate on {args.workers} workers (min) | one constant-rate trial per task |")
    print("|---|---:|---|")
    for name, minutes, detail in rows:
        print(f"| {name} | {minutes:.1f} | {detail} |")


if __name__ == "__main__":
    main()
