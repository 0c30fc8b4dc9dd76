"""How long the ``lrlab`` command takes to start: wall time of commands that only read a store or
print a table, each run ``--repeats`` times in a fresh interpreter (median and fastest).

    python benchmarks/startup.py [--repeats 7]

A study folder for ``lrlab status`` and ``lrlab ls`` is made in a temporary folder (a store with a
bound plan and no trials: what these commands cost to start, not to read many rows). The import
that dominates a command shows with ``python -X importtime -m lrlab.cli <command>``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = [
    ("python -c pass (the interpreter alone)", ["-c", "pass"]),
    ("lrlab --help", ["-m", "lrlab.cli", "--help"]),
    ("lrlab ls", ["-m", "lrlab.cli", "ls", "--root", "{root}"]),
    ("lrlab status STUDY", ["-m", "lrlab.cli", "status", "{study}"]),
    ("lrlab tasks", ["-m", "lrlab.cli", "tasks"]),
    ("lrlab plans", ["-m", "lrlab.cli", "plans"]),
    ("lrlab schedules", ["-m", "lrlab.cli", "schedules"]),
]


def make_study(root: Path) -> Path:
    """An empty study store with a plan bound, made in a subprocess (so this one stays light)."""
    study = root / "study"
    study.mkdir(parents=True)
    code = ("import sys; from lrlab.study.store import Store; s = Store(sys.argv[1]); "
            "s.bind_plan('0123456789abcdef', '{\"name\": \"bench\"}', 'name = \"bench\"'); s.close()")
    subprocess.run([sys.executable, "-c", code, str(study / "study.sqlite")], check=True)
    return study


def measure(argv: list[str], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, *argv], capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if done.returncode not in (0,):
            raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.strip()[-300:]}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json", help="also write the numbers here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        study = make_study(Path(folder))
        rows = []
        for label, argv in COMMANDS:
            argv = [a.format(root=folder, study=study) for a in argv]
            try:
                times = measure(argv, args.repeats)
            except SystemExit as error:
                print(f"{label}: {error}", file=sys.stderr)
                continue
            rows.append((label, statistics.median(times), min(times)))
    print(f"| command | median (s) | fastest (s) |  ({args.repeats} runs each, Python {sys.version.split()[0]})")
    print("|---|---:|---:|")
    for label, median, fastest in rows:
        print(f"| {label} | {median:.2f} | {fastest:.2f} |")
    if args.json:
        Path(args.json).write_text(json.dumps({label: {"median": m, "fastest": f} for label, m, f in rows}, indent=1))


if __name__ == "__main__":
    main()
