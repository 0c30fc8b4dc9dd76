"""A stored plan back as TOML (for the plan diff), and the confirmation study a winner calls for.

The study stores its plan as the validated model's JSON; :func:`dump_plan` writes it in the
shape of a plan file (``None`` left out: TOML has no null), so the diff compares like with like.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

#: Keys written first, in this order (a stored plan's keys come sorted); the rest follow.
FIRST = ("name", "title", "idea", "objective", "methodology", "seeds", "defaults", "budget", "tasks",
         "schedules", "label", "role", "model")
#: A confirmation study runs at least this many seeds.
CONFIRMATION_SEEDS = 10


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def toml_value(value: Any) -> str:
    """One TOML value: strings (multi-line ones as ``\"\"\"``), numbers, booleans, arrays, inline tables.

    Example:
        >>> toml_value({"a": [1, 2.5, True], "b c": "x"})
        '{ a = [1, 2.5, true], "b c" = "x" }'
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        if "\n" in value:
            return '"""\n' + value.replace("\\", "\\\\").replace('"""', '\\"\\"\\"') + '"""'
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = [f"{_key(k)} = {toml_value(v)}" for k, v in value.items() if v is not None]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    raise TypeError(f"cannot write {value!r} as TOML")


def _ordered(keys: Any) -> list[str]:
    keys = list(keys)
    return [k for k in FIRST if k in keys] + [k for k in keys if k not in FIRST]


def _entries(table: dict[str, Any]) -> list[str]:
    return [f"{_key(k)} = {toml_value(table[k])}" for k in _ordered(table) if table[k] is not None]


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def dump_plan(plan: dict[str, Any]) -> str:
    """The plan dict (as :func:`~lrlab.analysis.analyze` gives it) as a plan file.

    Top-level values first (the usual ones in their usual order), then every table
    (``[defaults]``, ``[budget]``, ...), then the arrays of tables (``[[tasks]]``, ``[[schedules]]``).
    """
    keys = _ordered(plan)
    plain = {k: plan[k] for k in keys if not isinstance(plan[k], dict) and not _is_table_array(plan[k])
             and plan[k] not in (None, "")}
    lines = _entries(plain)
    for name in [k for k in keys if isinstance(plan[k], dict)]:
        entries = _entries(plan[name])
        if entries:
            lines += ["", f"[{name}]", *entries]
    for name in [k for k in keys if _is_table_array(plan[k])]:
        for entry in plan[name]:
            lines += ["", f"[[{name}]]", *_entries({k: v for k, v in entry.items() if v not in (None, {}, [])})]
    return "\n".join(lines) + "\n"


def confirmation_plan(analysis: dict[str, Any]) -> dict[str, Any]:
    """The winner alone against this study's best baselines, same tasks and settings, fresh seeds.

    Fresh because this study's seeds chose the winner; at least :data:`CONFIRMATION_SEEDS` of
    them, twice as many as this study's when that is more.
    """
    plan = copy.deepcopy(analysis["plan"])
    winner = analysis["conclusion"]["winner"]["schedule"]
    best = {b["schedule"] for b in analysis["best_baseline"].values()}

    def label(entry: dict[str, Any]) -> str:
        return entry.get("label") or entry["name"]

    plan["schedules"] = ([s for s in plan["schedules"] if label(s) == winner]
                         + [s for s in plan["schedules"] if s["role"] == "baseline" and label(s) in best])
    seeds = plan.get("seeds") or [0]
    used = [*seeds, *((plan.get("tuning") or {}).get("seeds") or [])]  # tuning seeds are not fresh either
    count = max(CONFIRMATION_SEEDS, 2 * len(seeds))
    plan["seeds"] = list(range(max(used) + 1, max(used) + 1 + count))
    plan["name"] = f"{plan['name']}-confirm"
    if plan.get("title"):
        plan["title"] = f"Confirmation: {winner} vs. the best baselines ({plan['title']})"
    return plan
