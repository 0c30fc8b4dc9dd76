"""The default study's cost on this machine: wall time per phase, trials per minute, and the share
of the workers' time spent outside training.

It runs what ``lrlab run`` runs (the shipped default plan, or ``--plan``) into a fresh temporary
folder (or ``--out``, which resumes), times the study and the report apart, and reads the store:

* per phase (tuning, the tuned track's evaluation, the as-given track): trials, the span from the
  phase's first trial start to its last end (phases overlap: the driver runs them as their
  trials become known), the workers' seconds in those trials as the driver saw them, and the
  seconds the trials spent training (optimizer steps, the per-epoch validation and the test:
  each trial's ``wall_seconds``);
* the whole run: wall clock of the study and of the report, trials per minute, and the share
  of the workers' time (workers x study wall) that was not training: process start, data
  loading, model building, checkpoints, the driver's writes, idle workers at the end.

Targets (issue 12): the whole ``lrlab run`` (study and report) within 10 minutes on 2 cores, and
at most 10 % of the workers' time outside training. It is a benchmark, not a test: it exits 0
and prints which targets were missed. Run it on a quiet machine: other jobs inflate everything.

    python benchmarks/default_study.py                  # the shipped default study, 2 workers
    python benchmarks/default_study.py --plan my.toml --workers 4 --json out.json
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from lrlab.report import write_report
from lrlab.study.runner import run_plan_file
from lrlab.study.store import Store

TARGET_MINUTES = 10.0
TARGET_OUTSIDE = 0.10
PHASES = (("tuning", "tuned", "tuning"), ("tuned evaluation", "tuned", "evaluation"),
          ("as given", "given", "evaluation"))


def phase_table(out: Path) -> list[dict]:
    """One row per phase, from the store's trial rows."""
    store = Store.open_existing(out)
    try:
        trials = store.trials()
    finally:
        store.close()
    rows = []
    for name, track, phase in PHASES:
        mine = [t for t in trials if t["track"] == track and t["phase"] == phase and t["finished"]]
        if not mine:
            continue
        rows.append({
            "phase": name, "trials": len(mine),
            "span_s": max(t["finished"] for t in mine) - min(t["started"] for t in mine),
            "worker_s": sum(t["finished"] - t["started"] for t in mine),
            "training_s": sum((t["summary"] or {}).get("wall_seconds") or 0.0 for t in mine),
        })
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", default="default", help="plan file or shipped plan (default: default)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", help="study folder (default: a fresh temporary one)")
    parser.add_argument("--json", help="also write the numbers here")
    args = parser.parse_args(argv)
    temporary = None if args.out else tempfile.TemporaryDirectory(prefix="lrlab-default-")
    out = Path(args.out or temporary.name) / "study"  # type: ignore[union-attr]
    log = io.StringIO()
    started = time.perf_counter()
    outcome = run_plan_file(args.plan, out, workers=args.workers, device="cpu", stream=log)
    study_s = time.perf_counter() - started
    started = time.perf_counter()
    write_report(out)
    report_s = time.perf_counter() - started
    rows = phase_table(out)
    trials = sum(r["trials"] for r in rows)
    training = sum(r["training_s"] for r in rows)
    outside = 1.0 - training / (args.workers * study_s)
    total_min = (study_s + report_s) / 60
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}; plan {args.plan}, {args.workers} workers; "
          f"{outcome.skipped} trials had ended before this run")
    print()
    print("| phase | trials | span (s) | workers' s in its trials | of which training (s) |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['phase']} | {r['trials']} | {r['span_s']:.1f} | {r['worker_s']:.1f} | {r['training_s']:.1f} |")
    print()
    print("| measure | value | target | |")
    print("|---|---:|---:|---|")
    print(f"| study wall time (s) | {study_s:.1f} | - | |")
    print(f"| report wall time (s) | {report_s:.1f} | - | |")
    print(f"| `lrlab run` in all (min) | {total_min:.2f} | <= {TARGET_MINUTES:g} | "
          f"{'pass' if total_min <= TARGET_MINUTES else 'miss'} |")
    print(f"| trials per minute | {trials / (study_s / 60):.1f} | - | |")
    print(f"| share of workers' time outside training | {outside:.3f} | <= {TARGET_OUTSIDE:g} | "
          f"{'pass' if outside <= TARGET_OUTSIDE else 'miss'} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"phases": rows, "study_s": study_s, "report_s": report_s,
                                               "trials": trials, "outside": outside}, indent=1))
    if temporary is not None:
        temporary.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
