"""The research summary: every candidate considered, the held-out verdicts, the goal — as
``summary.md`` (:func:`summary_blocks`, written by :func:`lrlab.research.report.write_outputs`) and
as a few terminal lines (:func:`summary_text`, ``lrlab research summary RUN``).

Nothing is left out: pruned, failed and unfinished candidates are listed with why, beside the
complete ones, by search value; every confirmed idea's verdict is shown on every held-out task,
wins and losses alike. The verdict comes first.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from lrlab.report.document import Block, Bullets, Heading, Image, Paragraph, table
from lrlab.report.formatting import mean_with_ci, num, time_or_never
from lrlab.research.findings import (
    CONFIRM_DIR,
    REPORTS_DIR,
    SUMMARY_FILE,
    Findings,
    describe_cell,
    epochs_to_target,
    goal_check,
    read_run,
    rung_epochs,
    verdict_cells,
)
from lrlab.research.objective import describe as describe_objective


def profile_times(analysis: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Per schedule (ideas, baselines, self-tuning) and held-out task: the median epochs to target
    over the fresh seeds, never reached counted as infinite (the performance profile's times)."""
    schedules = [*analysis["proposed"], *analysis["baselines"]]
    out: dict[str, dict[str, float]] = {s: {} for s in schedules}
    for task in analysis["tasks"]:
        for schedule in schedules:
            median = epochs_to_target(analysis, task, schedule)["median"]
            out[schedule][task] = math.inf if median is None else median
    return out


def goal_lines(findings: Findings) -> list[str]:
    """The goal check in a few lines: the outcome first, then each confirmed idea's numbers."""
    check = goal_check(findings)
    if findings.plan.goal is None:
        return ["the plan states no [goal]"]
    if check is None:
        return ["goal: not checked yet (no confirmation results)"]
    goal = check["goal"]
    met = [label for label, v in check["ideas"].items() if v["met"]]
    lines = [f"goal {'met by ' + ', '.join(met) if met else 'not met'}: reach the target no later than tuned "
             f"{goal.baseline} on at least {goal.tasks} held-out task(s)"
             + (f", and on {goal.task} no later than {goal.reference} with a mean test {goal.metric} at least as "
                "high" if goal.task else "")]
    for label, v in check["ideas"].items():
        text = f"{label}: no later than tuned {goal.baseline} on {v['wins']}/{len(v['tasks'])} (" + ", ".join(
            f"{r['task']} {time_or_never(r['idea']['median'])} vs {time_or_never(r['baseline']['median'])}"
            for r in v["tasks"]) + " median epochs)"
        on = v["task"]
        if on is not None:
            text += (f"; on {on['task']}: {time_or_never(on['idea']['median'])} vs {on['reference']} "
                     f"{time_or_never(on['other']['median'])} median epochs, mean test {goal.metric} "
                     f"{num((on['test_idea'] or {}).get('mean'))} vs {num((on['test_reference'] or {}).get('mean'))}")
        lines.append(text + f" -> {'met' if v['met'] else 'not met'}")
    return lines


def _headline(findings: Findings) -> list[str]:
    """One line on the final metric before the goal (which counts epochs, where ties are common):
    which confirmed ideas end detectably better or worse than the best tuned baseline, where."""
    analysis = findings.analysis
    if analysis is None or not findings.ideas:
        return []
    family = analysis["verdict"]["power"]["family_size"]
    cells = [(idea.label, c) for idea in findings.ideas for c in verdict_cells(analysis, idea.label)]
    better = [f"{label} on {c['task']}" for label, c in cells if c.get("verdict") == "better"]
    worse = [f"{label} on {c['task']}" for label, c in cells if c.get("verdict") == "worse"]
    line = (f"final validation metric (Holm over {family}): "
            + (f"better than the best tuned baseline: {', '.join(better)}" if better
               else "no confirmed idea ends detectably better than the best tuned baseline on any held-out task"))
    return [line + (f"; detectably worse: {', '.join(worse)}" if worse else "")]


def _verdict_lines(findings: Findings) -> list[str]:
    analysis = findings.analysis
    if analysis is None:
        return ["no held-out results yet: the confirmation has not run"]
    lines = []
    for idea in findings.ideas:
        cells = verdict_cells(analysis, idea.label)
        lines += [f"{idea.label} on {c['task']} ({c['metric']}, {c['track']}): {describe_cell(c)}" for c in cells]
        if not cells:
            lines.append(f"{idea.label}: not in the confirmation's results")
    return lines


def _counts(findings: Findings) -> str:
    return findings.counts_text().replace(" candidate(s): ", " candidate(s) considered: ", 1)


def _sentence(findings: Findings, args: dict[str, Any]) -> str:
    if findings.plan.schedule != "composite":
        return ", ".join(f"{k}={v!r}" for k, v in args.items())
    from lrlab.schedulers.composite import describe_idea

    try:
        return describe_idea(args)
    except (TypeError, ValueError, KeyError) as error:
        return f"{args} (cannot be described: {error})"


def _why(candidate: Any) -> str:
    if candidate.state == "pruned":
        rung = next((r for r in reversed(candidate.rungs) if r.get("pruned")), candidate.rungs[-1] if candidate.rungs else None)
        return (f"pruned after rung {rung.get('rung')} ({rung_epochs(rung.get('epochs'))}, value {num(rung.get('value'))})"
                if rung else "pruned")
    if candidate.state == "failed":
        return "failed: " + ((candidate.error or "no error recorded").strip().splitlines() or ["?"])[0]
    if candidate.state in ("asked", "running"):
        return f"unfinished ({candidate.state}): the search stopped before it was scored"
    return ""


def summary_blocks(findings: Findings, profile: Path | None) -> list[Block]:
    """Every block of ``summary.md``: the verdict first, then the goal, every candidate, the held-out
    verdicts, the performance profile, the search's facts and the files."""
    plan, analysis = findings.plan, findings.analysis
    blocks: list[Block] = [
        Heading(1, f"Research summary: {plan.title or plan.name}"),
        Paragraph(f"Research plan `{plan.name}` ({plan.schedule}'s idea space), searched on "
                  f"{', '.join(t.key for t in plan.search.tasks)}, the top K = {plan.confirm.k} (fixed before the "
                  f"search) judged on held-out {', '.join(t.key for t in plan.confirm.tasks)}. Every number comes from "
                  f"the search store and the confirmation study (`{CONFIRM_DIR}/`)."),
        Heading(2, "Verdict"),
        Bullets(tuple([*_headline(findings), *goal_lines(findings), *_verdict_lines(findings), _counts(findings)])),
    ]
    blocks += _goal(findings)
    blocks += _candidates(findings)
    if analysis is not None:
        blocks += _profile(findings, profile)
    if findings.meta:
        blocks += [Heading(2, "Search facts"), Paragraph("As the search recorded them in its store:"),
                   Bullets(tuple(f"`{k}`: {_fact(v)}" for k, v in findings.meta.items()))]
    files = [f"`{CONFIRM_DIR}/report.md`: the confirmation study's full report"]
    files += [f"[`{REPORTS_DIR}/{i.label}.md`]({REPORTS_DIR}/{i.label}.md): {i.label}'s report" for i in findings.ideas
              if analysis is not None and i.label in analysis["proposed"]]
    blocks += [Heading(2, "Files"), Bullets(tuple(files))]
    return blocks


def _fact(value: Any) -> str:
    """A search fact as written: numbers as the report writes them, strings as they are, the rest as JSON."""
    if isinstance(value, float):
        return num(value)
    if isinstance(value, str | int | bool):
        return str(value)
    return f"`{json.dumps(value, sort_keys=True)}`"


def _goal(findings: Findings) -> list[Block]:
    check = goal_check(findings)
    if check is None:
        return []
    goal = check["goal"]
    blocks: list[Block] = [Heading(2, "Goal"), Paragraph(
        f"**{'Met' if check['met'] else 'Not met'}.** A confirmed idea meets the goal when its median epochs to the "
        f"target (over the fresh seeds; never reached counts as never) are no later than tuned {goal.baseline}'s on "
        f"at least {goal.tasks} held-out task(s)"
        + (f", and on {goal.task} no later than {goal.reference}'s with a mean test {goal.metric} at least as high"
           if goal.task else "") + ".")]
    rows = []
    for label, v in check["ideas"].items():
        for r in v["tasks"]:
            rows.append([label, r["task"], time_or_never(r["idea"]["median"]), time_or_never(r["baseline"]["median"]),
                         "yes" if r["ok"] else "no"])
    blocks.append(table(["idea", "held-out task", "median epochs to target", f"tuned {goal.baseline}", "no later"], rows))
    on_rows = []
    for label, v in check["ideas"].items():
        on = v["task"]
        if on is not None:
            on_rows.append([label, on["task"], time_or_never(on["idea"]["median"]), time_or_never(on["other"]["median"]),
                            mean_with_ci(on["test_idea"]), mean_with_ci(on["test_reference"]),
                            "yes" if on["ok"] else "no"])
    if on_rows:
        blocks.append(table(["idea", "task", "median epochs", f"{check['reference']} median epochs",
                             f"mean test {goal.metric}", f"{check['reference']} mean test {goal.metric}", "met there"],
                            on_rows))
    blocks.append(Bullets(tuple(f"{label}: {'met' if v['met'] else 'not met'} (no later on {v['wins']} of "
                                f"{len(v['tasks'])}, needs {goal.tasks})" for label, v in check["ideas"].items())))
    return blocks


def _candidates(findings: Findings) -> list[Block]:
    analysis = findings.analysis
    rows = []
    for rank, c in enumerate(findings.ranked(), start=1):
        idea = findings.idea_of(c.number)
        if idea is not None and analysis is not None:
            held = f"**{idea.label}**: " + "; ".join(f"{x['task']}: {describe_cell(x)}"
                                                     for x in verdict_cells(analysis, idea.label))
        elif idea is not None:
            held = f"**{idea.label}**: confirmation not run yet"
        else:
            held = _why(c) or "not confirmed (not in the top K)"
        rows.append([str(rank), f"#{c.number}", str(c.generation), c.state, num(c.value), num(c.lr_scale),
                     _sentence(findings, c.args), held])
    return [Heading(2, "Every candidate"), Paragraph(
        f"All {len(findings.candidates)} candidates the search asked for, by search value (the "
        f"{describe_objective(findings.plan.search.final_weight)}); pruned, failed and unfinished ones included, "
        "with why. The confirmed ones show their held-out verdict per task."),
        table(["rank", "candidate", "generation", "state", "search value", "rate scale", "idea",
               "held-out verdict / why not"], rows)]


def _profile(findings: Findings, profile: Path | None) -> list[Block]:
    from lrlab.analysis.stats import performance_profile
    from lrlab.analysis.study import PROFILE_TAUS

    analysis = findings.analysis
    assert analysis is not None
    times = profile_times(analysis)
    fractions = performance_profile(times, PROFILE_TAUS)
    tasks = analysis["tasks"]
    rows = [[s, *(time_or_never(times[s][t]) for t in tasks), *(num(f, 3) for f in fractions[s])] for s in times]
    blocks: list[Block] = [Heading(2, "Performance profile"), Paragraph(
        "Over the held-out tasks, per schedule (ideas, tuned baselines, self-tuning optimizers): the fraction of "
        "tasks on which its median epochs to target is within τ x the best schedule's there (never reached never "
        "counts).")]
    if profile is not None:
        blocks.append(Image(f"{REPORTS_DIR}/{profile.name}", "performance profile over the held-out tasks"))
    blocks.append(table(["schedule", *(f"{t}: median epochs" for t in tasks), *(f"τ={num(x)}" for x in PROFILE_TAUS)],
                        rows))
    return blocks


def summary_text(run_dir: str | Path) -> str:
    """A short terminal summary of the research run in ``run_dir``: the goal outcome, one line per
    confirmed idea and held-out task, the candidates by state, and where the reports are."""
    run_dir = Path(run_dir)
    findings = read_run(run_dir)
    lines = [f"research {findings.plan.name} ({run_dir})", *_headline(findings), *goal_lines(findings),
             *_verdict_lines(findings),
             _counts(findings)]
    paths = [run_dir / SUMMARY_FILE, run_dir / CONFIRM_DIR / "report.md"]
    paths += [run_dir / REPORTS_DIR / f"{i.label}.md" for i in findings.ideas]
    written = [p for p in paths if p.is_file()]
    lines += [f"report: {p}" for p in written] or ["no reports written yet"]
    return "\n".join(lines)
