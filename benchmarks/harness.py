"""What the harness itself costs: one trial through lrlab against a bare PyTorch loop, and a study
on several worker processes against one.

What it measures, in three sections (``--section trial|parallel|all``):

1. **One trial, lrlab against a bare loop.** ``run_trial`` on a constant-rate spec (fresh
   folder each time, so it never resumes), timed as a user meets it: the whole call, with data
   loading, model building, per-step records, per-epoch validation and checkpoint, the test and
   the summary. Against it, a minimal loop written by hand on the same task data and the same
   model builder (``lrlab.tasks.build_model``), with Adam and torch ``ConstantLR``, the same batch
   size and epochs, a ``torch.randperm`` shuffle per epoch from a per-epoch generator (seeded as
   lrlab seeds it, so both see the same batches and end on the same weights: the table says
   whether the test loss agrees), the whole validation split evaluated after every epoch and the
   test split once at the end, but no checkpoints, no records and no summary. In each of
   ``--rounds`` rounds both run once, and the bare loop a second time as an A/A control (its
   ratio shows this machine's noise floor), in an order shuffled per round; one untimed run of
   each comes first (lazy imports, the data cache). Both clocks are read, wall time
   (``time.perf_counter``) and this process's CPU time (``time.process_time``, which leaves out
   the time other processes held the core); the verdict uses ``--clock`` (default CPU). The
   ratio is the median of the per-round paired ratios, min-max in brackets. A second table says
   where lrlab's extra time goes, from its own records (the steps' ``seconds``, the summary's
   ``wall_seconds``), from the bare loop's phase timers, and from a replay of the run's
   checkpoint writes (``save_checkpoint`` of each epoch's state, timed alone). ``--profile N``
   also prints the N most expensive functions of one ``run_trial`` under cProfile.
2. **Parallel efficiency.** The shipped default study (``resolve_plan("default")``) run by
   ``run_study`` with ``--workers`` worker processes and with one, each into a fresh temporary
   folder; speed-up = t1 / tN on the wall clock (the work runs in child processes, so this
   process's CPU clock means nothing here; the children's CPU time is shown beside it, and busy
   cores = children's CPU / wall, which flags a run that other processes slowed down). With
   ``--repeats 1`` (the default) each is measured once, N workers first; with more, the order
   alternates and the speed-up is the median of the per-repeat paired ratios.
3. **The default study's wall time** on this machine, from the N-worker runs of section 2.

Everything in this process runs on one thread (``torch.set_num_threads(1)``), as the study's
workers do.

How to run::

    python benchmarks/harness.py                              # all: ~1 min trial + ~2-3 min study
    python benchmarks/harness.py --section trial --rounds 15 --profile 25
    python benchmarks/harness.py --section parallel --repeats 2 --json harness.json

Targets:

    lrlab trial time / bare loop time                  <= 1.05
    default study speed-up, 2 workers vs 1 (2 cores)   >= 1.70  (efficiency >= 0.85 per worker)

It is a benchmark, not a test: it always exits 0 and prints which targets were missed.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import platform
import pstats
import random
import resource
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from lrlab.study.plan import load_plan
from lrlab.study.runner import resolve_plan, run_study
from lrlab.tasks import Split, build_model, get_task
from lrlab.train.checkpoint import (
    CHECKPOINT_NAME,
    load_checkpoint,
    records_from_text,
    records_to_text,
    save_checkpoint,
)
from lrlab.train.spec import TrialSpec
from lrlab.train.trial import run_trial

TRIAL_TARGET = 1.05
EFFICIENCY_TARGET = 0.85  # speed-up >= 0.85 x workers: 1.70 for 2 workers
# A study run whose workers kept their cores busy less than this share of its wall time (spawning,
# the last trials' tail and the driver included, an undisturbed run stays above) was contended.
CONTENDED_SHARE = 0.75
EVAL_BATCH = 1024  # examples per forward pass in evaluation, as lrlab's loop
CLOCKS = ("cpu", "wall")
LRLAB, BARE, CONTROL = "lrlab run_trial", "bare loop", "bare loop (A/A control)"


@dataclass(frozen=True)
class Workload:
    """The trial both sides run."""

    task: str
    model: str
    epochs: int
    batch_size: int
    lr: float
    seed: int

    def spec(self) -> TrialSpec:
        return TrialSpec(task=self.task, model=self.model, metrics=(), schedule="constant",
                         schedule_label="constant", seed=self.seed, optimizer="adam", lr=self.lr,
                         batch_size=self.batch_size, epochs=self.epochs)


@dataclass
class Sample:
    """One timed trial: both clocks, the test loss, and wall seconds per phase."""

    wall: float
    cpu: float
    test_loss: float
    phases: dict[str, float] = field(default_factory=dict)


# -- the two sides ---------------------------------------------------------------------------------


def lrlab_trial(workload: Workload, work_dir: Path | None) -> Sample:
    """``run_trial`` in a fresh folder, the whole call timed; phases from its own records."""
    with tempfile.TemporaryDirectory(dir=work_dir) as folder:
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        result = run_trial(workload.spec(), Path(folder) / "trial")
        wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    if result.status != "completed" or result.resumed_from_epoch is not None:
        raise RuntimeError(f"lrlab trial {result.status} (resumed {result.resumed_from_epoch}): {result.error}")
    steps = sum(record["seconds"] for record in result.steps)
    timed = result.summary["wall_seconds"]  # training steps + evaluations
    return Sample(wall, cpu, result.test["loss"],
                  {"steps": steps, "eval": timed - steps, "other": wall - timed})


def _epoch_generator(seed: int, epoch: int) -> torch.Generator:
    # Seeded as lrlab seeds an epoch, so both sides see the same batches (and end on the same weights).
    mixed = np.random.SeedSequence([seed, epoch]).generate_state(1, np.uint64)
    return torch.Generator().manual_seed(int(mixed[0]))


@torch.no_grad()
def _evaluate(model: nn.Module, split: Split) -> dict[str, float]:
    logits = torch.cat([model(split.x[i:i + EVAL_BATCH]) for i in range(0, len(split), EVAL_BATCH)])
    return {"loss": F.cross_entropy(logits, split.y).item(),
            "accuracy": (logits.argmax(dim=1) == split.y).float().mean().item()}


def bare_trial(workload: Workload) -> Sample:
    """The same trial, hand-written: no checkpoints, no records, no summary."""
    gc.collect()
    start, start_cpu = time.perf_counter(), time.process_time()
    data = get_task(workload.task).load()
    torch.manual_seed(workload.seed)
    model = build_model(workload.model, data.input_shape, data.num_classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=workload.lr)
    scheduler = torch.optim.lr_scheduler.ConstantLR(optimizer, factor=1.0, total_iters=0)
    train_x, train_y = data.train.x, data.train.y
    setup_end = time.perf_counter()
    steps_seconds = eval_seconds = 0.0
    for epoch in range(1, workload.epochs + 1):
        epoch_start = time.perf_counter()
        model.train()
        order = torch.randperm(len(train_y), generator=_epoch_generator(workload.seed, epoch))
        for first in range(0, len(train_y), workload.batch_size):
            index = order[first:first + workload.batch_size]
            loss = F.cross_entropy(model(train_x[index]), train_y[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
        eval_start = time.perf_counter()
        model.eval()
        _evaluate(model, data.val)
        eval_end = time.perf_counter()
        steps_seconds += eval_start - epoch_start
        eval_seconds += eval_end - eval_start
    eval_start = time.perf_counter()
    model.eval()
    test = _evaluate(model, data.test)
    wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    eval_seconds += time.perf_counter() - eval_start
    return Sample(wall, cpu, test["loss"], {"steps": steps_seconds, "eval": eval_seconds,
                                            "other": wall - steps_seconds - eval_seconds,
                                            "setup": setup_end - start})


# -- section 1: one trial --------------------------------------------------------------------------


def time_trials(workload: Workload, rounds: int, seed: int, work_dir: Path | None) -> dict[str, list[Sample]]:
    """Every variant once per round, in an order shuffled per round, after one untimed run of each."""
    runs = {LRLAB: lambda: lrlab_trial(workload, work_dir), BARE: lambda: bare_trial(workload),
            CONTROL: lambda: bare_trial(workload)}
    runs[LRLAB]()
    runs[BARE]()
    order_rng = random.Random(seed)
    samples: dict[str, list[Sample]] = {label: [] for label in runs}
    for r in range(rounds):
        order = list(runs)
        order_rng.shuffle(order)
        for label in order:
            samples[label].append(runs[label]())
        print(f"  round {r + 1}/{rounds} (cpu/wall s): " + ", ".join(
            f"{label} {samples[label][-1].cpu:.3f}/{samples[label][-1].wall:.3f}" for label in runs),
            flush=True)
    return samples


def replay_checkpoints(workload: Workload, work_dir: Path | None, repeats: int = 3) -> dict[str, float]:
    """Wall seconds lrlab spends writing checkpoints in one trial, timed alone.

    Runs the trial once, then writes each epoch's checkpoint again with ``save_checkpoint``: the
    final model and optimizer state with the step and epoch records up to that epoch (the
    records grow through the run, so later checkpoints are larger). Median over ``repeats``.
    """
    with tempfile.TemporaryDirectory(dir=work_dir) as folder:
        path = Path(folder) / CHECKPOINT_NAME
        run_trial(workload.spec(), Path(folder))
        final = load_checkpoint(path)
        size = path.stat().st_size
        steps, epochs = records_from_text(final["records"])
        totals, lasts = [], []
        for _ in range(repeats):
            per_epoch = []
            for record in epochs:
                state = dict(final, epoch=record["epoch"], step=record["step"],
                             records=records_to_text(steps[:record["step"]], epochs[:record["epoch"]]))
                start = time.perf_counter()
                save_checkpoint(path, state)
                per_epoch.append(time.perf_counter() - start)
            totals.append(sum(per_epoch))
            lasts.append(per_epoch[-1])
    return {"total": statistics.median(totals), "last": statistics.median(lasts),
            "per_epoch": statistics.median(totals) / len(epochs), "final_kb": size / 1024}


def profile_trial(workload: Workload, work_dir: Path | None, top: int) -> str:
    """The ``top`` functions of one ``run_trial`` by own time, as cProfile prints them."""
    with tempfile.TemporaryDirectory(dir=work_dir) as folder:
        profiler = cProfile.Profile()
        profiler.enable()
        run_trial(workload.spec(), Path(folder))
        profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def summarise_trials(samples: dict[str, list[Sample]], judge: str) -> list[dict[str, Any]]:
    """One row per variant: median seconds and the paired per-round ratios to the bare loop."""
    rows = []
    for label, values in samples.items():
        row: dict[str, Any] = {"variant": label, "target": TRIAL_TARGET if label == LRLAB else None}
        for clock in CLOCKS:
            times = [getattr(s, clock) for s in values]
            ratios = [getattr(s, clock) / getattr(b, clock) for s, b in zip(values, samples[BARE], strict=True)]
            row.update({f"{clock}_median": statistics.median(times), f"{clock}_ratio": statistics.median(ratios),
                        f"{clock}_ratio_min": min(ratios), f"{clock}_ratio_max": max(ratios),
                        f"{clock}_per_round": times})
        row["passed"] = None if row["target"] is None else row[f"{judge}_ratio"] <= row["target"]
        rows.append(row)
    return rows


PHASES = ("steps", "eval", "other", "total")


def breakdown(samples: dict[str, list[Sample]]) -> dict[str, dict[str, float]]:
    """Per phase (and the whole trial, wall): median seconds of lrlab and of the bare loop, and the
    median of the per-round paired differences lrlab - bare and A/A control - bare (the noise)."""
    def seconds(sample: Sample, phase: str) -> float:
        return sample.wall if phase == "total" else sample.phases[phase]

    out = {}
    for phase in PHASES:
        bare = [seconds(s, phase) for s in samples[BARE]]
        row = {label: statistics.median(seconds(s, phase) for s in samples[label]) for label in (LRLAB, BARE)}
        for key, label in (("lrlab_minus_bare", LRLAB), ("control_minus_bare", CONTROL)):
            row[key] = statistics.median(seconds(s, phase) - b for s, b in zip(samples[label], bare, strict=True))
        out[phase] = row
    out["setup"] = {BARE: statistics.median(s.phases["setup"] for s in samples[BARE])}
    return out


def render_trials(rows: list[dict[str, Any]], phases: dict[str, dict[str, float]],
                  checkpoints: dict[str, float], samples: dict[str, list[Sample]],
                  config: dict[str, Any]) -> str:
    judge, other = config["clock"], next(c for c in CLOCKS if c != config["clock"])
    steps, epochs = config["steps"], config["epochs"]
    lines = [
        f"Workload: {config['task']} / {config['model']}, Adam lr {config['lr']:g} constant, batch "
        f"{config['batch_size']}, {epochs} epochs ({steps} steps), seed {config['seed']}; "
        f"{config['rounds']} rounds, interleaved; judged on {judge} time (median of per-round "
        "paired ratios to the bare loop; min-max in brackets)",
        "",
        f"| variant | time per trial (s, {judge}) | ratio to bare loop ({judge}) | ratio ({other}) "
        "| target | pass/fail |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        target = "-" if row["target"] is None else f"<= {row['target']:.2f}"
        verdict = "-" if row["passed"] is None else ("pass" if row["passed"] else "FAIL")
        lines.append(
            f"| {row['variant']} | {row[f'{judge}_median']:.3f} "
            f"| {row[f'{judge}_ratio']:.3f} ({row[f'{judge}_ratio_min']:.3f}-{row[f'{judge}_ratio_max']:.3f}) "
            f"| {row[f'{other}_ratio']:.3f} ({row[f'{other}_ratio_min']:.3f}-{row[f'{other}_ratio_max']:.3f}) "
            f"| {target} | {verdict} |")
    bare_total = phases["total"][BARE]
    names = {"steps": f"training steps ({steps})", "eval": f"evaluation ({epochs} val + 1 test)",
             "other": "the rest: setup (data, model), checkpoints, records, summary",
             "total": "whole trial"}
    lines += [
        "",
        "Where the time goes (wall seconds per trial, median over rounds; differences are medians of "
        "per-round paired differences, the A/A column is the same for the bare loop's second run, "
        "i.e. the noise). lrlab's phases come from its own records: steps = sum of the step "
        "records' `seconds`, evaluation = summary `wall_seconds` minus steps, the rest = the call "
        "minus both. The bare loop's steps include its per-epoch shuffle; lrlab's do not.",
        "",
        "| phase | lrlab | bare loop | lrlab - bare | (% of bare trial) | A/A - bare (noise) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for phase in PHASES:
        row = phases[phase]
        lines.append(f"| {names[phase]} | {row[LRLAB]:.3f} | {row[BARE]:.3f} | {row['lrlab_minus_bare']:+.3f} "
                     f"| {row['lrlab_minus_bare'] / bare_total * 100:+.1f}% | {row['control_minus_bare']:+.3f} |")
        if phase == "steps":
            per_step = {key: row[key] / steps * 1e3 for key in (LRLAB, BARE, "lrlab_minus_bare",
                                                                 "control_minus_bare")}
            lines.append(f"| per step (ms) | {per_step[LRLAB]:.3f} | {per_step[BARE]:.3f} "
                         f"| {per_step['lrlab_minus_bare']:+.3f} | | {per_step['control_minus_bare']:+.3f} |")
        if phase == "other":
            lines.append(
                f"| of which checkpoint writes (replayed alone: {checkpoints['per_epoch'] * 1e3:.1f} "
                f"ms/epoch, last {checkpoints['last'] * 1e3:.1f} ms, {checkpoints['final_kb']:.0f} KiB) "
                f"| {checkpoints['total']:.3f} | - | {checkpoints['total']:+.3f} "
                f"| {checkpoints['total'] / bare_total * 100:+.1f}% | |")
            lines.append(f"| of which bare setup (data, model, optimizer) | - | {phases['setup'][BARE]:.3f} "
                         "| | | |")
    loss_gap = max(abs(a.test_loss - b.test_loss) for a, b in zip(samples[LRLAB], samples[BARE], strict=True))
    lines += [
        "",
        f"Same work: largest |test loss lrlab - bare| over rounds = {loss_gap:.2e} "
        f"({'same numbers' if loss_gap < 1e-5 else 'DIFFERENT numbers: the loops do not match'})",
    ]
    return "\n".join(lines)


# -- sections 2 and 3: the default study -----------------------------------------------------------


def time_study(workers: int, work_dir: Path | None, plan_name: str = "default") -> dict[str, Any]:
    """``run_study`` of a plan (default: the default study) with ``workers`` processes into a fresh folder."""
    path = resolve_plan(plan_name)
    plan = load_plan(path)
    with tempfile.TemporaryDirectory(dir=work_dir) as folder:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        outcome = run_study(plan, Path(folder) / "study", plan_text=path.read_text(encoding="utf-8"),
                            workers=workers, stream=io.StringIO())
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    children_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"plan": plan_name, "workers": workers, "wall": wall, "study_seconds": outcome.seconds,
            "children_cpu": children_cpu, "counts": dict(outcome.counts),
            "trials": sum(outcome.counts.values())}


def time_parallel(workers: int, repeats: int, plan_name: str = "default") -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """``repeats`` pairs (N workers, 1 worker); N first in even repeats, 1 first in odd ones."""
    pairs = []
    for r in range(repeats):
        order = (workers, 1) if r % 2 == 0 else (1, workers)
        runs = {}
        for count in order:
            runs[count] = time_study(count, None, plan_name)
            print(f"  repeat {r + 1}/{repeats}: {count} worker(s) {runs[count]['wall']:.1f}s wall, "
                  f"{runs[count]['children_cpu']:.1f}s CPU in child processes, {runs[count]['counts']}", flush=True)
        pairs.append((runs[workers], runs[1]))
    return pairs


def render_parallel(pairs: list[tuple[dict[str, Any], dict[str, Any]]], workers: int,
                    cores: int) -> tuple[str, dict[str, Any]]:
    speedups = [one["wall"] / many["wall"] for many, one in pairs]
    speedup = statistics.median(speedups)
    target = EFFICIENCY_TARGET * workers
    verdict = {"speedup": speedup, "speedup_min": min(speedups), "speedup_max": max(speedups),
               "efficiency": speedup / workers, "target": target, "passed": speedup >= target}
    lines = [
        f"Default study ({pairs[0][0]['trials']} trials), {workers} workers vs 1 on {cores} usable "
        "core(s), wall clock; "
        + ("one measurement each, N workers first (no spread: --repeats > 1 alternates the order "
           "and shows it)" if len(pairs) == 1
           else f"{len(pairs)} measurements each, order alternating (min-max in brackets)"),
        "",
        "| workers | wall (s), median | wall per repeat (s) | CPU in child processes (s), median "
        "| busy cores per repeat (child CPU / wall) | trials by status |",
        "|---:|---:|---|---:|---|---|",
    ]
    contended = []
    for index, count in ((1, 1), (0, workers)):
        runs = [pair[index] for pair in pairs]
        walls = ", ".join(f"{r['wall']:.1f}" for r in runs)
        busy = [r["children_cpu"] / r["wall"] for r in runs]
        contended += [f"{count} worker(s), repeat {i + 1}" for i, b in enumerate(busy)
                      if b < CONTENDED_SHARE * count]
        lines.append(
            f"| {count} | {statistics.median(r['wall'] for r in runs):.1f} "
            f"| {walls} "
            f"| {statistics.median(r['children_cpu'] for r in runs):.1f} "
            f"| {', '.join(f'{b:.2f}' for b in busy)} "
            f"| {', '.join(f'{n} {s}' for s, n in sorted(runs[-1]['counts'].items()))} |")
    verdict["contended"] = contended
    spread = f" ({min(speedups):.3f}-{max(speedups):.3f})" if len(pairs) > 1 else ""
    lines += [
        "",
        "| measure | value | target | pass/fail |",
        "|---|---:|---:|---|",
        f"| speed-up t1 / t{workers} (wall) | {speedup:.3f}{spread} | >= {target:.2f} "
        f"| {'pass' if verdict['passed'] else 'FAIL'} |",
        f"| parallel efficiency (speed-up / {workers}) | {speedup / workers:.3f} "
        f"| >= {EFFICIENCY_TARGET:.2f} | {'pass' if verdict['passed'] else 'FAIL'} |",
    ]
    if workers > cores:
        lines.append(f"\nNote: {workers} workers on {cores} usable core(s): the target assumes one core each.")
    if contended:
        lines.append(f"\nWarning: other processes held the cores during {'; '.join(contended)} (its "
                     f"workers were busy under {CONTENDED_SHARE:.2f} of the wall time each): rerun "
                     "those numbers on a quieter machine.")
    return "\n".join(lines), verdict


def render_study(pairs: list[tuple[dict[str, Any], dict[str, Any]]], workers: int) -> str:
    runs = [many for many, _ in pairs]
    walls = [r["wall"] for r in runs]
    return "\n".join([
        "| study | trials | workers | wall time (s), median | per repeat (s) | per trial (s, wall x workers / trials) |",
        "|---|---:|---:|---:|---|---:|",
        f"| {runs[0].get('plan', 'default')} | {runs[0]['trials']} | {workers} | {statistics.median(walls):.1f} "
        f"| {', '.join(f'{w:.1f}' for w in walls)} "
        f"| {statistics.median(walls) * workers / runs[0]['trials']:.2f} |",
    ])


# -- the machine, the command line -----------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return {"cpu": cpu, "cores": os.cpu_count(), "usable_cores": usable, "platform": platform.platform(),
            "python": platform.python_version(), "torch": torch.__version__,
            "threads": torch.get_num_threads(), "load_average": list(os.getloadavg())}


def render_machine(info: dict[str, Any]) -> str:
    load = ", ".join(f"{x:.2f}" for x in info["load_average"])
    return (f"Machine: {info['cpu']}, {info['cores']} cores ({info['usable_cores']} usable), "
            f"{info['platform']}, Python {info['python']}, torch {info['torch']}, "
            f"{info['threads']} thread(s); load average at start {load}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--section", choices=("trial", "parallel", "all"), default="all",
                        help="trial: lrlab vs a bare loop; parallel: the default study on N workers "
                             "vs 1, and its wall time; all (default): both")
    parser.add_argument("--rounds", type=int, default=10, help="trial section: interleaved rounds (default 10)")
    parser.add_argument("--task", default="digits", help="trial section: task (default digits)")
    parser.add_argument("--model", default=None, help="trial section: model (default: the task's default)")
    parser.add_argument("--epochs", type=int, default=20, help="trial section: epochs (default 20)")
    parser.add_argument("--batch-size", type=int, default=64, help="trial section: batch size (default 64)")
    parser.add_argument("--lr", type=float, default=3e-3, help="trial section: Adam's rate (default 3e-3)")
    parser.add_argument("--seed", type=int, default=0, help="trial seed and round order (default 0)")
    parser.add_argument("--clock", choices=CLOCKS, default="cpu",
                        help="clock the trial verdict uses: this process's CPU time (default) or wall time")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="trial section: also print the N top functions of one run_trial (cProfile)")
    parser.add_argument("--workers", type=int, default=2, help="parallel section: workers vs 1 (default 2)")
    parser.add_argument("--plan", default="default",
                        help="parallel section: plan file or shipped plan (default: the default study, ~9 min "
                             "on 2 workers and twice that on one; a smaller shipped plan such as gradvar is quicker)")
    parser.add_argument("--repeats", type=int, default=1,
                        help="parallel section: measurements of each (default 1; >1 alternates the order)")
    parser.add_argument("--work-dir", type=Path, default=None,
                        help="where the trial section's temporary folders go (default: the system's)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    for name in ("rounds", "epochs", "batch_size", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if args.workers < 2:
        parser.error(f"--workers must be >= 2, got {args.workers}")
    if not args.lr > 0:
        parser.error(f"--lr must be > 0, got {args.lr}")
    try:
        task = get_task(args.task)
    except ValueError as error:
        parser.error(str(error))
    model = args.model or task.default_model
    if model not in task.models:
        parser.error(f"--model {model!r} does not fit task {args.task!r}; allowed: {list(task.models)}")

    torch.set_num_threads(1)  # as the study's workers; steadier timings
    info = machine()
    report: dict[str, Any] = {"machine": info}
    outputs = [render_machine(info)]
    if args.section in ("trial", "all"):
        workload = Workload(args.task, model, args.epochs, args.batch_size, args.lr, args.seed)
        data = task.load()
        steps = args.epochs * -(-len(data.train) // args.batch_size)
        config = {**asdict(workload), "steps": steps, "rounds": args.rounds, "clock": args.clock}
        print(f"Section 1, one trial: lrlab vs a bare loop, {config}", flush=True)
        samples = time_trials(workload, args.rounds, args.seed, args.work_dir)
        checkpoints = replay_checkpoints(workload, args.work_dir)
        rows = summarise_trials(samples, args.clock)
        phases = breakdown(samples)
        outputs.append("## One trial: lrlab vs a bare PyTorch loop\n\n"
                       + render_trials(rows, phases, checkpoints, samples, config))
        if args.profile:
            outputs.append(f"cProfile of one run_trial, top {args.profile} by own time:\n\n```\n"
                           + profile_trial(workload, args.work_dir, args.profile).strip() + "\n```")
        report["trial"] = {"config": config, "results": rows, "phases": phases, "checkpoints": checkpoints,
                           "test_loss": {label: [s.test_loss for s in values]
                                         for label, values in samples.items()}}
    if args.section in ("parallel", "all"):
        print(f"Section 2, the study {args.plan!r}: {args.workers} workers vs 1, {args.repeats} repeat(s)",
              flush=True)
        pairs = time_parallel(args.workers, args.repeats, args.plan)
        table, verdict = render_parallel(pairs, args.workers, info["usable_cores"])
        outputs.append(f"## Parallel efficiency: the study {args.plan!r}, {args.workers} workers vs 1\n\n" + table)
        outputs.append(f"## The study {args.plan!r}'s wall time\n\n" + render_study(pairs, args.workers))
        report["parallel"] = {"workers": args.workers, "repeats": args.repeats, **verdict,
                              "runs": [{"many": many, "one": one} for many, one in pairs]}
    missed = [f"{row['variant']} / bare loop <= {row['target']:.2f}"
              for row in report.get("trial", {}).get("results", []) if row["passed"] is False]
    if "parallel" in report and not report["parallel"]["passed"]:
        missed.append(f"speed-up >= {report['parallel']['target']:.2f}")
    outputs.append("Missed targets: " + (", ".join(missed) if missed else "none"))
    print()
    print("\n\n".join(outputs))
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
