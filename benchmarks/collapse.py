"""Do schedulers that raise the rate wreck runs? The protocol of issue 18, measured.

For every task and schedule: the learning rate is chosen from ``--lrs`` (default 1e-3, 3e-3,
1e-2, 3e-2) on one tuning seed (0) by the final validation accuracy (ties: the smaller rate),
then the schedule runs at that rate on ``--seeds`` fresh seeds (1, 2, ...). Adam, batch 100,
40 epochs, every trial through :func:`lrlab.train.trial.run_trial` (so the test split is
evaluated once, at the end, and nothing is chosen on it).

Tasks (embedded, offline): ``mnist1d`` with ``cnn1d`` (three 1-D convolutions of 32 channels,
kernels 5/3/3, strides 1/2/2, average-pooled to 4 positions, then linear: lrlab's model; the
MNIST-1D paper's CNN has 25 channels, which lrlab's plans cannot set), target validation
accuracy 0.85; ``digits`` with ``cnn``, target 0.95; ``breast_cancer`` with ``fcnn``, target 0.95.

Schedules: constant and cosine, and every adaptive scheduler with the guard on (its default):
EntropyLR in relative mode, PerformanceLR, GradVarLR, CurvatureLR with
``rate_rule="quadratic_step"``, MetaLR with its shipped policy; and MetaLR with ``guard=False``
(tuned the same way), so the guard's effect is visible. Until it fires, the guard changes nothing
(a guarded run whose guard never fired is the unguarded run, bit for bit), so the unguarded
version of PerformanceLR, GradVarLR or CurvatureLR is run on a task only where the guard fired in
one of that schedule's trials there (tuning included); ``--all-unguarded`` runs them all.

A second table runs every schedule that can raise the rate at the grid's top rate (0.03, the
rate MetaLR's tuning chose on mnist1d in the issue) on the same seeds without tuning, with the
unguarded version beside it where the guard fired (always for MetaLR): where a collapse is likely,
what the guard changes.

What it prints, per task and schedule: the chosen rate; how many runs collapsed (completed, but
the final validation accuracy no better than chance: ``summary["collapsed"]``) or diverged; how
many reached the target and their median epoch; test accuracy mean [95 % t-interval]; and in how
many runs the guard fired.

``--healthy`` measures instead what the guard does to the runs of the default study (``lrlab
run``): every trial of its as-given track (the plan's settings on its 10 evaluation seeds) and of
its tuning phase (8 configurations per task and schedule: rates from a tenth to ten times the
task's, and the schedule's own arguments) whose schedule can raise the rate, run guarded (the
default); where the guard fired, the same trial is run with ``guard=False`` too, and the table
shows both.

Resumable: every finished trial is appended to ``<out>/results.jsonl`` (keyed by its trial id);
running again skips those. Progress goes to stderr, one line per trial.

How to run::

    nice -n 10 python benchmarks/collapse.py --out runs/collapse            # ~1 h on 2 cores
    python benchmarks/collapse.py --out runs/collapse --tasks mnist1d --schedules meta,meta-unguarded
    python benchmarks/collapse.py --out runs/collapse --table-only          # print from results

It is a benchmark, not a test: it always exits 0.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from lrlab.train import TrialSpec, run_trial
from lrlab.train.spec import Target

LRS = (1e-3, 3e-3, 1e-2, 3e-2)
EPOCHS, BATCH = 40, 100
TUNING_SEED = 0
TASKS: dict[str, tuple[str, Target]] = {
    "mnist1d": ("cnn1d", Target("accuracy", 0.85, "max")),
    "digits": ("cnn", Target("accuracy", 0.95, "max")),
    "breast_cancer": ("fcnn", Target("accuracy", 0.95, "max")),
}
#: label -> (registry name, args). "-unguarded" rows are the same scheduler with guard=False.
SCHEDULES: dict[str, tuple[str, dict[str, Any]]] = {
    "constant": ("constant", {}),
    "cosine": ("cosine", {}),
    "entropy-relative": ("entropy", {"mode": "relative"}),
    "performance": ("performance", {}),
    "performance-unguarded": ("performance", {"guard": False}),
    "gradvar": ("gradvar", {}),
    "gradvar-unguarded": ("gradvar", {"guard": False}),
    "curvature": ("curvature", {"rate_rule": "quadratic_step"}),
    "curvature-unguarded": ("curvature", {"rate_rule": "quadratic_step", "guard": False}),
    "meta": ("meta", {}),
    "meta-unguarded": ("meta", {"guard": False}),
}


#: The rows whose scheduler can raise the rate, with the guard on (EntropyLR in relative mode
#: without increase_factor only lowers the rate: it is never guarded).
GUARDED = ("performance", "gradvar", "curvature", "meta")


#: The rows run by default (the other "-unguarded" ones are added where the guard fired).
DEFAULT_ROWS = ("constant", "cosine", "entropy-relative", "performance", "gradvar", "curvature", "meta",
                "meta-unguarded")


def make_spec(task: str, label: str, lr: float, seed: int) -> TrialSpec:
    model, target = TASKS[task]
    name, args = SCHEDULES[label]
    return TrialSpec(task=task, model=model, metrics=("accuracy",), schedule=name, schedule_label=label,
                     seed=seed, schedule_args=dict(args), optimizer="adam", lr=lr, batch_size=BATCH,
                     epochs=EPOCHS, target=target, task_label=task)


def healthy(results: Results, workers: int) -> str:
    """The guard on the default study's trials (see the module docstring)."""
    from dataclasses import replace

    from lrlab.study.plan import load_plan
    from lrlab.study.runner import resolve_plan
    from lrlab.study.tuning import configurations

    plan = load_plan(resolve_plan("default"))
    given = [spec for spec in plan.trials() if spec.schedule in GUARDED]
    configs = configurations(plan)
    tuning = [plan.spec(task, schedule, seed, lr=config.lr, args=config.args, phase="tuning")
              for task in plan.tasks for schedule in plan.schedules if schedule.name in GUARDED
              for config in configs[(task.key, schedule.key)] for seed in plan.tuning.seeds]
    guarded = [spec for spec in given + tuning if spec.schedule_args.get("guard", True) is not False]
    run_all(guarded, results, workers, "default study, guarded")
    fired = [spec for spec in guarded if results.get(spec)["guard_events"] > 0]
    unguarded = {spec.trial_id: replace(spec, schedule_args={**spec.schedule_args, "guard": False}) for spec in fired}
    run_all(list(unguarded.values()), results, workers, "default study, unguarded where it fired")
    lines = [f"Default study: {len(guarded)} trials of schedules that can raise the rate ({len(given)} as "
             f"given, {len(tuning)} tuning); the guard fired in {len(fired)} (every other one is the "
             "unguarded run, bit for bit).", ""]
    if fired:
        lines += ["| task | schedule | lr, args | seed | final val accuracy / loss, guarded | unguarded "
                  "| test accuracy, guarded | unguarded |", "|---|---|---|---:|---:|---:|---:|---:|"]
        for spec in fired:
            a, b = results.get(spec), results.get(unguarded[spec.trial_id])
            lines.append(f"| {spec.task_label or spec.task} | {spec.schedule_label} | {spec.lr:g}, "
                         f"{json.dumps(spec.schedule_args)} | {spec.seed} | "
                         f"{a['final_val_accuracy']:.4f} / {a['final_val_loss']:.4f} | "
                         f"{b['final_val_accuracy']:.4f} / {b['final_val_loss']:.4f} | "
                         f"{a['test_accuracy']:.4f} | {b['test_accuracy']:.4f} |")
    return "\n".join(lines)


def run_one(spec: TrialSpec) -> dict[str, Any]:
    """One trial in a fresh folder (never resumed), reduced to what the table needs."""
    import torch

    torch.set_num_threads(1)
    folder = Path(tempfile.mkdtemp(prefix="collapse-"))
    started = time.perf_counter()
    try:
        result = run_trial(spec, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    final_val = result.epochs[-1]["val"] if result.epochs else {}
    return {
        "trial_id": spec.trial_id, "task": spec.task, "schedule": spec.schedule_label, "lr": spec.lr,
        "seed": spec.seed, "status": result.status, "error": result.error,
        "final_val_accuracy": final_val.get("accuracy"), "final_val_loss": final_val.get("loss"),
        "test_accuracy": result.test["accuracy"] if result.test else None,
        "collapsed": result.summary.get("collapsed"), "chance": result.summary.get("chance"),
        "epochs_to_target": result.summary.get("epochs_to_target"),
        "guard_events": sum(a["rule"].startswith("guard:") for a in result.adjustments),
        "adjustments": len(result.adjustments), "seconds": round(time.perf_counter() - started, 2),
        "val_accuracy": [round(e["val"]["accuracy"], 4) for e in result.epochs],
        "lr_path": [float(f"{e['lr'][0]:.4g}") for e in result.epochs],
    }


class Results:
    """``results.jsonl``: one line per finished trial; read back on start."""

    def __init__(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self.path = out / "results.jsonl"
        self.rows: dict[str, dict[str, Any]] = {}
        if self.path.is_file():
            for line in self.path.read_text().splitlines():
                if line.strip():
                    row = json.loads(line)
                    self.rows[row["trial_id"]] = row

    def add(self, row: dict[str, Any]) -> None:
        self.rows[row["trial_id"]] = row
        with self.path.open("a") as handle:  # one line per trial: a crash loses at most that one
            handle.write(json.dumps(row) + "\n")

    def get(self, spec: TrialSpec) -> dict[str, Any] | None:
        return self.rows.get(spec.trial_id)


def run_all(specs: list[TrialSpec], results: Results, workers: int, what: str) -> None:
    todo = [s for s in specs if results.get(s) is None]
    print(f"{what}: {len(specs) - len(todo)} of {len(specs)} trials already done, {len(todo)} to run",
          file=sys.stderr, flush=True)
    if not todo:
        return
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        for done, row in enumerate(pool.imap_unordered(run_one, todo), 1):
            results.add(row)
            elapsed = time.perf_counter() - started
            print(f"[{what} {done}/{len(todo)}, {elapsed / 60:.1f} min] {row['task']} {row['schedule']} "
                  f"lr={row['lr']:g} seed={row['seed']}: {row['status']}, test acc "
                  f"{row['test_accuracy'] if row['test_accuracy'] is None else round(row['test_accuracy'], 4)}"
                  f"{', collapsed' if row['collapsed'] else ''}"
                  f"{', guard fired' if row['guard_events'] else ''} ({row['seconds']:.1f} s)",
                  file=sys.stderr, flush=True)


def chosen_lr(results: Results, task: str, label: str, lrs: tuple[float, ...]) -> float | None:
    """The rate whose tuning run ended with the best validation accuracy (ties: the smaller rate)."""
    scored = []
    for lr in lrs:
        row = results.get(make_spec(task, label, lr, TUNING_SEED))
        if row is None:
            return None
        accuracy = row["final_val_accuracy"] if row["status"] == "completed" else None
        scored.append((-(accuracy if accuracy is not None else -math.inf), lr))
    return min(scored)[1]


def mean_ci(values: list[float]) -> str:
    if not values:
        return "-"
    mean = statistics.fmean(values)
    if len(values) < 2:
        return f"{mean:.3f}"
    from scipy import stats

    half = stats.t.ppf(0.975, len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))
    return f"{mean:.3f} [{mean - half:.3f}, {mean + half:.3f}]"


def fired_anywhere(results: Results, task: str, label: str, seeds: list[int], lrs: tuple[float, ...]) -> bool:
    specs = [make_spec(task, label, lr, TUNING_SEED) for lr in lrs]
    lr = chosen_lr(results, task, label, lrs)
    specs += [make_spec(task, label, lr, seed) for seed in seeds] if lr is not None else []
    return any((row := results.get(spec)) is not None and row["guard_events"] > 0 for spec in specs)


def unguarded_rows(results: Results, tasks: list[str], labels: list[str], seeds: list[int],
                   lrs: tuple[float, ...], everywhere: bool) -> list[tuple[str, str]]:
    """(task, "<label>-unguarded") for every guarded label whose guard fired on that task."""
    return [(task, f"{label}-unguarded") for task in tasks for label in labels
            if label in GUARDED and f"{label}-unguarded" not in labels
            and (everywhere or fired_anywhere(results, task, label, seeds, lrs))]


def table(results: Results, tasks: list[str], labels: list[str], seeds: list[int],
          lrs: tuple[float, ...], extra: list[tuple[str, str]] = ()) -> str:
    lines = []
    for task in tasks:
        task_labels = list(labels)
        for extra_task, label in extra:
            if extra_task == task:
                task_labels.insert(task_labels.index(label.removesuffix("-unguarded")) + 1, label)
        target = TASKS[task][1]
        lines += [f"**{task}** ({TASKS[task][0]}; target: validation accuracy >= {target.value})", "",
                  "| schedule | chosen lr | collapsed / diverged | reached target (median epoch) "
                  "| test accuracy, mean [95 % CI] | guard fired |",
                  "|---|---:|---:|---:|---|---:|"]
        for label in task_labels:
            lr = chosen_lr(results, task, label, lrs)
            if lr is None:
                lines.append(f"| {label} | (tuning not finished) | | | | |")
                continue
            lines.append(table_row(results, task, label, lr, seeds))
        lines.append("")
    return "\n".join(lines)


def table_row(results: Results, task: str, label: str, lr: float, seeds: list[int]) -> str:
    rows = [results.get(make_spec(task, label, lr, seed)) for seed in seeds]
    rows = [r for r in rows if r is not None]
    n = len(rows)
    collapsed = sum(bool(r["collapsed"]) for r in rows)
    diverged = sum(r["status"] == "diverged" for r in rows)
    failed = sum(r["status"] == "failed" for r in rows)
    reached = [r["epochs_to_target"] for r in rows if r["epochs_to_target"] is not None]
    median = f" ({statistics.median(reached):g})" if reached else ""
    tests = [r["test_accuracy"] for r in rows if r["test_accuracy"] is not None]
    fired = f"{sum(r['guard_events'] > 0 for r in rows)}/{n}" if label in GUARDED else "-"
    bad = f"{collapsed} / {diverged}" + (f" (+{failed} failed)" if failed else "")
    return f"| {label} | {lr:g} | {bad} of {n} | {len(reached)}/{n}{median} | {mean_ci(tests)} | {fired} |"


def top_rate(results: Results, tasks: list[str], seeds: list[int], lrs: tuple[float, ...], workers: int,
             run: bool) -> str:
    """Every schedule that can raise the rate at the grid's top rate, untuned, guarded and not."""
    lr = max(lrs)
    if run:
        run_all([make_spec(t, label, lr, seed) for t in tasks for label in GUARDED for seed in seeds],
                results, workers, "top rate, guarded")

    def fired(task: str, label: str) -> bool:
        return any((row := results.get(make_spec(task, label, lr, seed))) is not None and row["guard_events"] > 0
                   for seed in seeds)

    pairs = [(t, label) for t in tasks for label in GUARDED if label == "meta" or fired(t, label)]
    if run:
        run_all([make_spec(t, f"{label}-unguarded", lr, seed) for t, label in pairs for seed in seeds],
                results, workers, "top rate, unguarded")
    lines = []
    for task in tasks:
        lines += [f"**{task}** at lr = {lr:g} (untuned)", "",
                  "| schedule | lr | collapsed / diverged | reached target (median epoch) "
                  "| test accuracy, mean [95 % CI] | guard fired |",
                  "|---|---:|---:|---:|---|---:|"]
        for label in GUARDED:
            lines.append(table_row(results, task, label, lr, seeds))
            if (task, label) in pairs:
                lines.append(table_row(results, task, f"{label}-unguarded", lr, seeds))
        lines.append("")
    return "\n".join(lines)


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("runs/collapse"))
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--seeds", type=int, default=10, help="fresh evaluation seeds (1..N)")
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--schedules", default=",".join(s for s in SCHEDULES if s in DEFAULT_ROWS))
    parser.add_argument("--all-unguarded", action="store_true",
                        help="run the unguarded version of every guarded schedule, not only where the guard fired")
    parser.add_argument("--lrs", default=",".join(f"{lr:g}" for lr in LRS))
    parser.add_argument("--table-only", action="store_true", help="print the table from the results so far")
    parser.add_argument("--no-top-rate", action="store_true",
                        help="skip the second table (every guarded schedule at the top rate, untuned)")
    parser.add_argument("--healthy", action="store_true",
                        help="the guard on the default study's trials, instead of the collapse protocol")
    args = parser.parse_args(argv)
    tasks = [t for t in args.tasks.split(",") if t]
    labels = [s for s in args.schedules.split(",") if s]
    for name in tasks:
        if name not in TASKS:
            parser.error(f"unknown task {name!r}; known: {', '.join(TASKS)}")
    for label in labels:
        if label not in SCHEDULES:
            parser.error(f"unknown schedule {label!r}; known: {', '.join(SCHEDULES)}")
    lrs = tuple(float(x) for x in args.lrs.split(","))
    seeds = list(range(1, args.seeds + 1))
    results = Results(args.out)
    if args.healthy:
        print(healthy(results, args.workers))
        return 0

    if not args.table_only:
        tuning = [make_spec(t, s, lr, TUNING_SEED) for t in tasks for s in labels for lr in lrs]
        run_all(tuning, results, args.workers, "tuning")
        evaluation = [make_spec(t, s, chosen_lr(results, t, s, lrs), seed)
                      for t in tasks for s in labels for seed in seeds]
        run_all(evaluation, results, args.workers, "evaluation")
        extra = unguarded_rows(results, tasks, labels, seeds, lrs, args.all_unguarded)
        if extra:
            tuning = [make_spec(t, s, lr, TUNING_SEED) for t, s in extra for lr in lrs]
            run_all(tuning, results, args.workers, "tuning, unguarded")
            evaluation = [make_spec(t, s, chosen_lr(results, t, s, lrs), seed) for t, s in extra for seed in seeds]
            run_all(evaluation, results, args.workers, "evaluation, unguarded")
    extra = unguarded_rows(results, tasks, labels, seeds, lrs, args.all_unguarded)

    import torch

    print(f"Measured {date.today().isoformat()} on {cpu_name()} "
          f"({os.cpu_count()} cores), Python {platform.python_version()}, torch {torch.__version__}; "
          f"Adam, batch {BATCH}, {EPOCHS} epochs; rate from {', '.join(f'{lr:g}' for lr in lrs)} on seed "
          f"{TUNING_SEED} by final validation accuracy; {len(seeds)} fresh seeds.\n")
    print(table(results, tasks, labels, seeds, lrs, extra))
    if not args.no_top_rate:
        print(f"\nThe same {len(seeds)} seeds at the grid's top rate, {max(lrs):g}, for every schedule that can "
              "raise the rate (the rate MetaLR's tuning chose on mnist1d in the issue); the unguarded version "
              "where the guard fired (always for meta):\n")
        print(top_rate(results, tasks, seeds, lrs, args.workers, run=not args.table_only))
    return 0


if __name__ == "__main__":
    sys.exit(main())
