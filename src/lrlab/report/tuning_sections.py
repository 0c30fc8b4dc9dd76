"""``### 7. Tuning`` in the Experiment Plan and ``## Tuning``: the search space, the budget, every
tuning trial's configuration and score, and the configuration each schedule carried forward."""

from __future__ import annotations

from typing import Any

from lrlab.report.document import Block, Details, Heading, Paragraph, table
from lrlab.report.formatting import literal, num


def _range(dim: dict[str, Any]) -> str:
    if "choices" in dim:
        text = "one of " + ", ".join(literal(c) for c in dim["choices"])
    else:
        text = f"{'integer ' if dim.get('integer') else ''}[{num(dim['low'])}, {num(dim['high'])}]" + (
            " log" if dim.get("log") else "")
    if dim.get("when"):
        text += " when " + ", ".join(f"{k}={literal(v)}" for k, v in dim["when"].items())
    return text


def plan_subsection(analysis: dict[str, Any]) -> list[Block]:
    """The tuning protocol as the plan set it, and the search space of every schedule."""
    tuning = analysis.get("tuning")
    if not tuning:
        return []
    settings, spaces = tuning["settings"], tuning.get("spaces") or {}
    halving = settings.get("halving")
    blocks: list[Block] = [Heading(3, "7. Tuning"), Paragraph(
        f"Two tracks. **As given**: the plan's settings on the evaluation seeds {analysis['plan'].get('seeds')}. "
        f"**Tuned**: every schedule gets {settings['trials']} configurations on every task, drawn before any "
        f"trial ran from a scrambled Halton sequence (seed {settings.get('sequence_seed', 0)}; the same rates "
        f"for every schedule), trained on the tuning seeds {settings['seeds']}"
        + (f", narrowed by successive halving ({halving['rungs']} rungs, the best 1/{halving['eta']} promoted)"
           if halving else "")
        + f"; the configuration with the best {'epochs to target' if tuning['objective'] == 'time_to_target' else 'final validation primary metric'} "
        "(mean over tuning seeds) then trains on the evaluation seeds, and only those trials enter the "
        "statistics. Self-tuning optimizers are not tuned (both tracks run them as given).")]
    lr = spaces.get("lr", {})
    rows = [[task, f"[{num(r[0])}, {num(r[1])}] log"] for task, r in lr.items()]
    blocks += [Paragraph("The rate, for every schedule:"), table(["task", "learning rate"], rows)]
    rows = []
    for schedule, space in (spaces.get("schedules") or {}).items():
        if space is None:
            rows.append([schedule, "not tuned (self-tuning optimizer)"])
        else:
            rows.append([schedule, "; ".join(f"`{k}`: {_range(d)}" for k, d in space.items()) or "the rate only"])
    if rows:
        blocks += [Paragraph("Each schedule's own arguments (its default space, `lrlab schedules --space`, or the "
                             "plan's `[tuning.space]`):"), table(["schedule", "tuned besides the rate"], rows)]
    return blocks


def _score(rung: dict[str, Any], objective: str) -> str:
    if not rung.get("ended"):
        return "not ended"
    if rung["value"] is None:
        return "/".join(rung["statuses"])
    text = num(rung["value"], 4)
    if objective == "time_to_target":
        text = f"{num(rung['epochs'], 3) if rung['epochs'] is not None else 'never'} ep; {text}"
    return text


def tuning_section(analysis: dict[str, Any]) -> list[Block]:
    """``## Tuning``: per task, every configuration of every schedule with its score per rung."""
    tuning = analysis.get("tuning")
    if not tuning:
        return []
    objective = tuning["objective"]
    what = ("mean epochs to the target; then the final validation primary metric" if objective == "time_to_target"
            else "mean final validation primary metric")
    blocks: list[Block] = [Heading(2, "Tuning"), Paragraph(
        f"Every tuning trial, by task: the configuration (rate and arguments), its score on the tuning seeds "
        f"({what}) per rung, and the one carried forward (**chosen**) to the evaluation seeds. Failed or "
        "diverged configurations score worst.")]
    for task, per_schedule in tuning["tasks"].items():
        rows = []
        rungs = sorted({int(r) for entry in per_schedule.values() for c in entry["configs"] for r in c["rungs"]})
        for schedule, entry in per_schedule.items():
            for c in entry["configs"]:
                args = ", ".join(f"{k}={literal(v)}" for k, v in c["args"].items()) or "-"
                scores = [_score(c["rungs"][str(r)], objective) if str(r) in c["rungs"] else "-" for r in rungs]
                rows.append([schedule, str(c["config"]), num(c["lr"], 4), args, *scores,
                             "**chosen**" if c["chosen"] else ""])
        header = ["schedule", "config", "lr", "arguments", *(
            [f"score, rung {r} ({_epochs(per_schedule, r)} epochs)" for r in rungs] if len(rungs) > 1 else ["score"]),
            ""]
        cost = sum(e["cost"]["trials"] for e in per_schedule.values())
        blocks.append(Details(f"{task}: {len(rows)} configurations, {cost} tuning trials", (table(header, rows),)))
    return blocks


def _epochs(per_schedule: dict[str, Any], rung: int) -> str:
    for entry in per_schedule.values():
        for c in entry["configs"]:
            r = c["rungs"].get(str(rung))
            if r:
                return num(r["epochs_run"])
    return "?"
