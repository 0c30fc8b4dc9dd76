"""The plans that ship (package data, so that ``lrlab run NAME`` finds them after a regular
install), and what ``lrlab plans`` says of each: its title, its trials, and roughly how long it
runs on a 2-core machine.

Reading this imports nothing heavy: titles come from the files (``tomllib``), trial counts and
times from the table below, which ``benchmarks/plan_times.py`` measures and a test keeps honest
(every count equals what the plan expands to).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

PLANS_DIR = Path(__file__).resolve().parent

#: Per shipped plan: its trials (tuning included) and its rough wall time on this project's shared
#: 2-core machine (AMD EPYC, 2 workers, the report included): measured by running it in full
#: (`lrlab run NAME --workers 2`, 2026-12-02; default, minilm and meta-train as README gives
#: them), or estimated where marked (benchmarks/plan_times.py: one trial per task, times the
#: plan's trials, over 2 workers, plus the ~20 s and ~30 % that the measured runs add to it).
ROUGH_TIMES: dict[str, tuple[int, str]] = {
    "default": (896, "6-8.5 min"),
    "curvature": (45, "2 min (estimated)"),
    "entropy": (30, "80 s"),
    "gradvar": (30, "30 s"),
    "meta": (36, "40 s"),
    "meta-transfer": (20, "15 s"),
    "performance": (24, "2.5 min (estimated)"),
    "minilm": (12, "45 min"),
    "meta-train": (36, "20 min (meta-train)"),
}


def shipped_plans() -> list[str]:
    """The shipped plans' names, sorted."""
    return sorted(p.stem for p in PLANS_DIR.glob("*.toml"))


def title_of(name: str) -> str:
    with (PLANS_DIR / f"{name}.toml").open("rb") as f:
        return str(tomllib.load(f).get("title", ""))


def describe_plans() -> str:
    """A plain-text table: name, trials, rough time on 2 cores, title (``lrlab plans``)."""
    rows = [("name", "trials", "time on 2 cores", "title")]
    for name in shipped_plans():
        trials, time = ROUGH_TIMES.get(name, (0, "?"))
        rows.append((name, str(trials or "?"), time, title_of(name)))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["  ".join([r[0].ljust(widths[0]), r[1].rjust(widths[1]), r[2].ljust(widths[2]), r[3]]) for r in rows]
    return "\n".join([*lines, "", "Run one with `lrlab run NAME` (its study and report go to runs/NAME/); `lrlab run` "
                       "alone runs default. Times: full runs with 2 workers, report included, on a shared 2-core "
                       "machine; estimated ones by benchmarks/plan_times.py. meta-train is the plan of `lrlab meta-train meta-train "
                       "--episodes 700`, which trains MetaLR's shipped policy.", "",
                       "Research plans (`lrlab research run NAME`): "
                       + ", ".join(sorted(p.stem for p in (PLANS_DIR / "research").glob("*.toml")))
                       + " (research: search on 3 small tasks, confirm on 4 held-out ones; about 18 min)."])
