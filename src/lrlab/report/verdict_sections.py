"""The report's first screen (``## Verdict``) and its last word (``## Conclusion``): which schedule
to use on each task, by how much, how sure, and at what tuning cost — drawn from
``analysis["verdict"]``, computed by :mod:`lrlab.analysis.verdict`."""

from __future__ import annotations

from typing import Any

from lrlab.report.document import Block, Bullets, Heading, Paragraph, Table, table
from lrlab.report.formatting import finite, interval, literal, num, pvalue, signed


def _config(config: dict[str, Any] | None) -> str:
    if not config:
        return ""
    args = ", ".join(f"{k}={literal(v)}" for k, v in config["args"].items())
    return f" (tuned: lr {num(config['lr'], 4)}{', ' + args if args else ''})"


def _cell(cell: dict[str, Any]) -> str:
    """``better: +0.031 [+0.012, +0.05], p=0.004`` and the like."""
    verdict = cell.get("verdict", "not comparable")
    if verdict == "not comparable" or not cell.get("n"):
        return "not comparable"
    if verdict == "tie":
        return f"tie (= {cell['equals']} on every seed)"
    label = cell.get("label", verdict)
    text = f"{signed(cell['difference'], 3)} {interval(cell['ci_low'], cell['ci_high'], 3, sign=True)}, p={pvalue(cell['p_holm'])}"
    return f"**{label}**: {text}" if verdict in ("better", "worse") else f"{label}: {text}"


def _design(analysis: dict[str, Any]) -> str:
    verdict, plan = analysis["verdict"], analysis["plan"]
    power = verdict["power"]
    seeds = len(plan.get("seeds", []))
    tuning = (analysis.get("tuning") or {}).get("settings")
    if verdict["decides"] == "tuned" and tuning:
        halving = tuning.get("halving")
        budget = (f"{tuning['trials']} configurations per schedule and task (the rate and the schedule's own "
                  f"arguments, drawn up front from one quasi-random sequence), trained on tuning seed(s) "
                  f"{tuning['seeds']}" + (f" with successive halving ({halving['rungs']} rungs, keep 1/{halving['eta']})"
                                          if halving else "")
                  + f"; the best by {_objective(tuning)} then trained on {seeds} fresh evaluation seeds")
        head = f"**How this was decided.** Every schedule got the same tuning budget: {budget}."
    else:
        head = (f"**How this was decided.** Every schedule ran with the plan's settings (no tuning) on {seeds} "
                "seeds; one untuned rate measures which schedule suits that rate, not which schedule is better.")
    return (f"{head} Each proposed schedule is compared with the task's best baseline on the validation primary "
            f"metric, paired by seed: difference (proposed − baseline) with its bootstrap 95% interval and the "
            f"paired t-test's p, Holm-corrected over the {power['family_size']} comparisons of this table "
            f"(alpha {analysis['alpha']}). The test split decided nothing.")


def _objective(tuning: dict[str, Any]) -> str:
    return "epochs to the target" if tuning.get("objective") == "time_to_target" else "final validation primary metric"


def _reach(analysis: dict[str, Any]) -> Paragraph:
    power = analysis["verdict"]["power"]
    parts = []
    for task, info in power["tasks"].items():
        if not finite(info["detectable"]):
            parts.append(f"{task}: not measurable (fewer than 2 paired seeds, or no spread)")
            continue
        text = f"{task}: {num(info['detectable'], 3)} {info['metric']}"
        effect = info["smallest_effect"]
        if effect is not None:
            text += (f" (reaches the smallest effect of interest, {num(effect, 3)})" if info["reaches"] else
                     f" — **cannot detect the smallest effect of interest, {num(effect, 3)}**"
                     + (f": that needs {info['seeds_needed']} seeds" if info["seeds_needed"] else ""))
        parts.append(text)
    return Paragraph(f"**What this design can detect** (80% power, each comparison at level alpha/"
                     f"{power['family_size']}, from the measured seed-to-seed spread of the differences): "
                     + "; ".join(parts) + ".")


def verdict_table(analysis: dict[str, Any]) -> Table:
    """Per task and proposed schedule: the deciding track's comparison, the other track's, notes."""
    verdict = analysis["verdict"]
    names = analysis["track_names"]
    order = [verdict["decides"], *(n for n in analysis["tracks"] if n != verdict["decides"])]
    header = ["task (metric)", "schedule"] + [f"{names[n]}: vs best baseline" for n in order] + [
        "could detect ±", "notes"]
    rows = []
    for entry in verdict["tasks"]:
        for row in entry["rows"]:
            deciding = row["tracks"][verdict["decides"]]
            cells = [f"{entry['task']} ({entry['metric']})", f"**{row['schedule']}**"]
            for name in order:
                cell = row["tracks"][name]
                base = cell.get("baseline")
                cells.append(_cell(cell) + (f" vs {base}" if base and cell.get("verdict") != "tie" else ""))
            cells += [num(deciding.get("detectable"), 3), "; ".join(row["notes"]) or "-"]
            rows.append(cells)
    return table(header, rows or [["-"] * len(header)])


def _aggregate(analysis: dict[str, Any]) -> list[Block]:
    agg = analysis["verdict"]["aggregate"]
    if not agg["iqm"]:
        return []
    rows = []
    for schedule in [*analysis["proposed"], *analysis["baselines"]]:
        if schedule not in agg["iqm"]:
            continue
        iqm = agg["iqm"][schedule]
        poi = agg["improvement"].get(schedule)
        rows.append([schedule, f"{num(iqm['value'], 3)} {interval(iqm['ci_low'], iqm['ci_high'], 3)}",
                     "-" if poi is None else f"{num(poi['value'], 3)} {interval(poi['ci_low'], poi['ci_high'], 3)}"])
    return [Paragraph(f"**Across the {len(agg['tasks'])} task(s)**: the interquartile mean (IQM) of every run's "
                      f"validation primary metric normalised by {agg['normalised_by']}, and the probability that a "
                      "run of the schedule beats a run of the best baseline on the same task, averaged over tasks "
                      "(0.5 = no better, no worse); 95% stratified bootstrap intervals (rliable's estimators)."),
            table(["schedule", "IQM of normalised score [95% CI]", "P(beats best baseline) [95% CI]"], rows)]


def _recommendations(analysis: dict[str, Any]) -> Bullets:
    items = []
    for entry in analysis["verdict"]["tasks"]:
        rec = entry["recommendation"]
        if rec is None:
            items.append(f"**{entry['task']}**: no baseline completed; nothing can be recommended.")
            continue
        text = f"**{entry['task']}** ({entry['metric']}): use **{rec['schedule']}**{_config(rec['config'])} — {rec['why']}."
        losers = [r["schedule"] for r in entry["rows"] if r["tracks"][analysis["verdict"]["decides"]]["verdict"] == "worse"]
        if losers:
            text += f" Detectably worse: {', '.join(losers)}."
        if entry["baseline_notes"]:
            text += f" ({'; '.join(entry['baseline_notes'])}.)"
        items.append(text)
    return Bullets(tuple(items))


def _tuning_cost(analysis: dict[str, Any]) -> Paragraph | None:
    tuning = analysis.get("tuning")
    if not tuning:
        return None
    trials = steps = 0
    seconds = 0.0
    for per_schedule in tuning["tasks"].values():
        for entry in per_schedule.values():
            trials += entry["cost"]["trials"]
            steps += entry["cost"]["steps"]
            seconds += entry["cost"]["seconds"]
    schedules = {s for per in tuning["tasks"].values() for s in per}
    per = trials // max(1, len(schedules) * len(tuning["tasks"]))
    return Paragraph(f"**Tuning cost**: {trials} tuning trials in all ({per} per schedule and task), "
                     f"{steps} optimizer steps, {num(seconds, 3)} s of training; the configurations and their "
                     "scores are under Tuning below.")


def _limits(analysis: dict[str, Any]) -> list[Block]:
    """Before any result: where this design cannot reach significance for the effect that matters."""
    power = analysis["verdict"]["power"]
    short = []
    for task, info in power["tasks"].items():
        if info["n"] < 2:
            short.append(f"{task}: fewer than 2 paired seeds, so no test can run")
        elif info["reaches"] is False:
            needs = f"; that needs {info['seeds_needed']} seeds" if info["seeds_needed"] else ""
            short.append(f"{task}: it detects differences of {num(info['detectable'], 3)} or more, not the "
                         f"smallest effect of interest, {num(info['smallest_effect'], 3)}{needs}")
    if not short:
        return []
    return [Paragraph("**Read with care: this design cannot decide everything.** " + "; ".join(short)
                      + ". A \"no detectable difference\" there is not evidence of no difference.")]


def verdict_section(analysis: dict[str, Any]) -> list[Block]:
    """``## Verdict``, right under the title."""
    blocks: list[Block] = [Heading(2, "Verdict"), *_limits(analysis), _recommendations(analysis),
                           verdict_table(analysis),
                           Paragraph(_design(analysis)), _reach(analysis), *_aggregate(analysis)]
    cost = _tuning_cost(analysis)
    if cost is not None:
        blocks.append(cost)
    return blocks


def conclusion_section(analysis: dict[str, Any]) -> list[Block]:
    """``## Conclusion``: one paragraph, and the verdict table."""
    return [Heading(2, "Conclusion"), Paragraph(analysis["verdict"]["paragraph"]), verdict_table(analysis)]
