"""Throughput of a study on the local process pool and on a local Ray instance, and what Ray
costs per trial.

What it measures: two small studies, each run by ``run_study`` into a fresh temporary folder
with ``--workers`` worker processes (the local pool) and with a local Ray instance of
``--workers`` CPUs (one trial per CPU), in alternating order over ``--repeats`` repeats:

1. **small**: the tiny study of the tests (wine and breast_cancer, three schedules, ``--seeds``
   seeds, ``--epochs`` epochs; 24 trials by default), real if short trials.
2. **trivial**: one epoch of wine (a few milliseconds of training), two schedules, ``--seeds`` x 3
   seeds: almost all of each trial is the executor's overhead and the trial's set-up (data,
   model).

Each run is timed on the wall clock. For Ray, starting the instance (``ray.init``) is timed
apart and shown beside the study's wall time: on a cluster it is paid once, not per study. The
pool's start-up (spawning its processes) is inside its wall time, as it is in every ``lrlab
run``. Both sides import torch and lrlab afresh in every worker process (a new pool, a new Ray
instance per run). Throughput = trials / wall minutes.

*First result after*: from the call of ``run_study`` to the first stored result, mostly the
workers' start-up (spawning or reaching a worker, importing torch and lrlab); the throughput after
it (the other trials over the rest of the wall time) is the steady rate. Per trial, from the
store (medians): *latency* is the driver's view (trial submitted -> result stored,
``finished - started``); *in-trial* is the trial's own training and evaluation time
(``summary.wall_seconds``); their difference is the per-trial overhead (dispatch, data loading,
model building, returning the records). **Ray's
overhead per trial** is Ray's median latency minus the pool's, and Ray's worker-seconds per trial
(wall x workers / trials) minus the pool's.

How to run::

    python benchmarks/scaling.py                      # 2 workers, 24 trials each study, ~2 min
    python benchmarks/scaling.py --repeats 3 --json scaling.json

Needs ``pip install "lrlab[ray]"`` for the Ray rows; without Ray it measures the pool alone. It
is a benchmark, not a test: it always exits 0.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

import torch

from lrlab.study.plan import Plan, parse_plan
from lrlab.study.runner import run_study
from lrlab.study.store import Store

try:
    from benchmarks.harness import machine, render_machine
except ImportError:  # run as a script: benchmarks/ is on the path
    from harness import machine, render_machine

SMALL = """
name = "scaling-small"
seeds = {seeds}

[defaults]
optimizer = "adam"
lr = 0.01
batch_size = 32
epochs = {epochs}

[[tasks]]
name = "wine"
model = "mlp"
target = {{ metric = "accuracy", value = 0.9 }}

[[tasks]]
name = "breast_cancer"
model = "fcnn"
target = {{ metric = "roc_auc", value = 0.99 }}

[[schedules]]
name = "entropy"
role = "proposed"
args = {{ threshold = 0.2, interval = 2 }}

[[schedules]]
name = "gradvar"
role = "proposed"

[[schedules]]
name = "constant"
role = "baseline"
"""

TRIVIAL = """
name = "scaling-trivial"
seeds = {seeds}

[defaults]
epochs = 1

[[tasks]]
name = "wine"
model = "mlp"

[[schedules]]
name = "entropy"
role = "proposed"

[[schedules]]
name = "constant"
role = "baseline"
"""


def studies(seeds: int, epochs: int) -> dict[str, Plan]:
    return {"small": parse_plan(SMALL.format(seeds=list(range(seeds)), epochs=epochs)),
            "trivial": parse_plan(TRIVIAL.format(seeds=list(range(seeds * 3))))}


def time_study(plan: Plan, executor: str, workers: int) -> dict[str, Any]:
    """One run of ``plan`` into a fresh folder; for Ray, on a fresh local instance."""
    ray_start = 0.0
    if executor == "ray":
        import ray

        start = time.perf_counter()
        ray.init(address="local", num_cpus=workers, include_dashboard=False, log_to_driver=False,
                 logging_level="warning")
        ray_start = time.perf_counter() - start
    try:
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "study"
            start, epoch = time.perf_counter(), time.time()
            outcome = run_study(plan, out, workers=workers, executor=executor, stream=io.StringIO())
            wall = time.perf_counter() - start
            store = Store.open_existing(out)
            try:
                rows = store.trials()
            finally:
                store.close()
    finally:
        if executor == "ray":
            ray.shutdown()
    latency = [r["finished"] - r["started"] for r in rows]
    first = min(r["finished"] for r in rows) - epoch
    in_trial = [r["summary"]["wall_seconds"] for r in rows if r["summary"]]
    return {"executor": executor, "workers": workers, "trials": len(rows), "wall": wall,
            "ray_start": ray_start, "counts": dict(outcome.counts), "first_result": first,
            "latency": statistics.median(latency), "in_trial": statistics.median(in_trial)}


def render_runs(runs: dict[str, list[dict[str, Any]]]) -> str:
    lines = [
        "| study | executor | trials | workers | wall (s), median | wall per repeat (s) "
        "| Ray start (s) | trials / min | trials / min with Ray start | first result after (s) "
        "| trials / min after the first result "
        "| latency per trial (s) | in-trial (s) | latency - in-trial (s) | trials by status |",
        "|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for key, samples in runs.items():
        study, executor = key.split("/")
        wall = statistics.median(s["wall"] for s in samples)
        start = statistics.median(s["ray_start"] for s in samples)
        trials, workers = samples[0]["trials"], samples[0]["workers"]
        latency = statistics.median(s["latency"] for s in samples)
        in_trial = statistics.median(s["in_trial"] for s in samples)
        first = statistics.median(s["first_result"] for s in samples)
        steady = statistics.median((s["trials"] - 1) / (s["wall"] - s["first_result"]) * 60 for s in samples)
        with_start = f"{trials / (wall + start) * 60:.1f}" if executor == "ray" else "-"
        start_text = f"{start:.1f}" if executor == "ray" else "-"
        walls = ", ".join(f"{s['wall']:.1f}" for s in samples)
        counts = ", ".join(f"{n} {status}" for status, n in sorted(samples[-1]["counts"].items()))
        lines.append(
            f"| {study} | {executor} | {trials} | {workers} | {wall:.1f} | {walls} | {start_text} "
            f"| {trials / wall * 60:.1f} | {with_start} | {first:.1f} | {steady:.0f} | {latency:.3f} | {in_trial:.3f} "
            f"| {latency - in_trial:.3f} | {counts} |")
    return "\n".join(lines)


def ray_overhead(runs: dict[str, list[dict[str, Any]]]) -> tuple[str, dict[str, Any]]:
    lines = [
        "| study | Ray latency - pool latency, per trial (s) | Ray worker-s per trial - pool's (s) "
        "| Ray throughput / pool's |",
        "|---|---:|---:|---:|",
    ]
    out = {}
    for study in dict.fromkeys(key.split("/")[0] for key in runs):
        local, ray = runs.get(f"{study}/local"), runs.get(f"{study}/ray")
        if not local or not ray:
            continue
        latency = statistics.median(s["latency"] for s in ray) - statistics.median(s["latency"] for s in local)

        def worker_seconds(samples: list[dict[str, Any]]) -> float:
            return statistics.median(s["wall"] * s["workers"] / s["trials"] for s in samples)

        per_trial = worker_seconds(ray) - worker_seconds(local)
        ratio = statistics.median(s["wall"] for s in local) / statistics.median(s["wall"] for s in ray)
        out[study] = {"latency": latency, "worker_seconds": per_trial, "throughput_ratio": ratio}
        lines.append(f"| {study} | {latency:+.3f} | {per_trial:+.3f} | {ratio:.2f} |")
    return "\n".join(lines), out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="worker processes / Ray CPUs (default 2)")
    parser.add_argument("--seeds", type=int, default=4,
                        help="seeds of the small study (6 trials each); the trivial one has 3x (default 4)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs of the small study (default 3)")
    parser.add_argument("--repeats", type=int, default=1,
                        help="measurements of each (default 1; more alternate the order)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    for name in ("workers", "seeds", "epochs", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1, got {getattr(args, name)}")

    torch.set_num_threads(1)  # the driver only waits and writes the store
    info = machine()
    outputs = [render_machine(info)]
    try:
        import ray

        executors = ["local", "ray"]
        outputs.append(f"Ray {ray.__version__}")
    except ImportError:
        executors = ["local"]
        outputs.append("Ray is not installed (pip install 'lrlab[ray]'): the local pool alone")
    plans = studies(args.seeds, args.epochs)
    runs: dict[str, list[dict[str, Any]]] = {}
    errors = []
    for repeat in range(args.repeats):
        order = executors if repeat % 2 == 0 else executors[::-1]
        for name, plan in plans.items():
            for executor in order:
                try:
                    sample = time_study(plan, executor, args.workers)
                except Exception as error:  # a benchmark reports, it does not fail
                    errors.append(f"{name}/{executor}: {type(error).__name__}: {error}")
                    traceback.print_exc()
                    continue
                runs.setdefault(f"{name}/{executor}", []).append(sample)
                print(f"  repeat {repeat + 1}/{args.repeats}: {name} on {executor}: {sample['trials']} trials, "
                      f"{sample['wall']:.1f}s wall"
                      + (f" (+{sample['ray_start']:.1f}s Ray start)" if executor == "ray" else ""), flush=True)
    runs = {key: runs[key] for key in sorted(runs, key=lambda k: (list(plans).index(k.split("/")[0]), k))}
    outputs.append(f"## Throughput: {args.workers} workers, local pool vs a local Ray instance\n\n"
                   + render_runs(runs))
    table, overhead = ray_overhead(runs)
    if overhead:
        outputs.append("## Ray's overhead per trial\n\n" + table)
    if errors:
        outputs.append("Errors: " + "; ".join(errors))
    print()
    print("\n\n".join(outputs))
    if args.json is not None:
        args.json.write_text(json.dumps({"machine": info, "runs": runs, "ray_overhead": overhead,
                                         "errors": errors}, indent=2))
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:
        raise SystemExit(0) from None
