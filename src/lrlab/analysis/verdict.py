"""The verdict: per task, which schedule to use, by how much, and how sure — computed, not written.

Pieces, each a pure function over a track's trials or comparisons:

* :func:`acted` — did a schedule ever change its rate (a schedule that never acted is constant);
* :func:`ties` — schedules with identical results on every seed (called ties, not "no difference");
* :func:`power_of` — per deciding comparison, the smallest effect the design could detect at 80 %
  power, and the seeds the task's smallest effect of interest needs;
* :func:`aggregate` — across tasks: IQM of baseline-normalised scores and the probability of
  improvement over the best baseline (:mod:`lrlab.analysis.aggregate`);
* :func:`verdict` — the table and the one paragraph the report opens with.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from typing import Any

from lrlab.analysis.aggregate import improvement_with_interval, iqm_with_interval, normalise
from lrlab.analysis.collect import StudyData
from lrlab.analysis.power import TARGET_POWER, detectable_effect, seeds_needed
from lrlab.tasks.metrics import lower_is_better, metric_range

PrimaryMetric = Callable[[StudyData, str], str]
#: The smallest difference worth detecting, where the plan states none: two points of a metric in [0, 1].
DEFAULT_SMALLEST_EFFECT = 0.02
LABELS = {"better": "better", "worse": "worse", "no difference": "no detectable difference",
          "not comparable": "not comparable", "tie": "tie"}


def _kind(name: str) -> str:
    from lrlab.schedulers.registry import get_schedule

    try:
        return get_schedule(name).kind
    except ValueError:
        return "unknown"


def acted(data: StudyData, changed: dict[str, bool]) -> dict[str, dict[str, dict[str, Any]]]:
    """Per task and schedule: trials that ended, how many changed their rate after warm-up, and
    ``never`` — True for a schedule meant to change the rate (not constant, not a self-tuning
    optimizer, whose step size lives inside the optimizer) that never did."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for task in data.tasks():
        out[task] = {}
        for schedule in data.schedules():
            rows = [r for r in data.rows(task, schedule) if r.trial_id in changed]
            count = sum(changed[r.trial_id] for r in rows)
            name = data.schedule_name(schedule)
            can_act = name != "constant" and _kind(name) != "optimizer"
            out[task][schedule] = {"ended": len(rows), "changed": count, "never": bool(can_act and rows and count == 0)}
    return out


def ties(data: StudyData, primary_metric: PrimaryMetric) -> dict[str, list[dict[str, Any]]]:
    """Per task, pairs of schedules whose final validation metrics are identical on every seed
    both completed (the later schedule in plan order is said to equal the earlier)."""
    out: dict[str, list[dict[str, Any]]] = {}
    names = data.schedules()
    for task in data.tasks():
        out[task] = []
        finals = {s: {r.seed: r.final_val for r in data.rows(task, s) if r.completed} for s in names}
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                seeds = sorted(set(finals[a]) & set(finals[b]))
                if seeds and all(finals[a][s] == finals[b][s] for s in seeds):
                    out[task].append({"schedule": b, "equals": a, "seeds": len(seeds)})
    return out


def smallest_effect(data: StudyData, task: str, metric: str) -> float | None:
    """The task's stated smallest effect of interest, else 0.02 for a metric in [0, 1] where higher is
    better, else None (the report then gives the detectable effect alone)."""
    stated = data.task_entry(task).get("smallest_effect")
    if stated is not None:
        return float(stated)
    return DEFAULT_SMALLEST_EFFECT if metric_range(metric) == (0.0, 1.0) and not lower_is_better(metric) else None


def power_of(data: StudyData, comparisons: list[dict[str, Any]], alpha: float) -> dict[str, Any]:
    """For each deciding comparison (primary family, validation split) the smallest effect it could
    have detected, and per task the design's reach: the median spread of the differences, the
    detectable effect with this many seeds, the task's smallest effect of interest and the seeds it
    would need. Holm's first step (``alpha / m``) is the level used: it holds for every comparison."""
    deciding = [c for c in comparisons if c["split"] == "val" and c["family"] == "primary"]
    m = max(1, len(deciding))
    level = alpha / m
    rows = {}
    for c in deciding:
        sd = c.get("sd_diff", math.nan)
        rows[f"{c['task']}/{c['proposed']}"] = {
            "task": c["task"], "proposed": c["proposed"], "n": c["n"], "sd_diff": sd,
            "detectable": detectable_effect(sd, c["n"], level) if sd and math.isfinite(sd) else math.nan}
    per_task = {}
    for task in data.tasks():
        mine = [r for r in rows.values() if r["task"] == task and r["sd_diff"] and math.isfinite(r["sd_diff"])]
        metric = next((c["metric"] for c in deciding if c["task"] == task), None)
        n = max((r["n"] for r in rows.values() if r["task"] == task), default=0)
        sd = statistics.median(r["sd_diff"] for r in mine) if mine else math.nan
        effect = smallest_effect(data, task, metric) if metric else None
        detectable = detectable_effect(sd, n, level) if math.isfinite(sd) else math.nan
        per_task[task] = {
            "metric": metric, "n": n, "sd_diff": sd, "detectable": detectable, "smallest_effect": effect,
            "seeds_needed": seeds_needed(effect, sd, level) if effect and math.isfinite(sd) else None,
            # None: unknown (no spread to measure, fewer than 2 seeds, or no smallest effect stated)
            "reaches": (detectable <= effect) if effect is not None and math.isfinite(detectable) else None,
        }
    return {"alpha": alpha, "family_size": m, "level": level, "power": TARGET_POWER,
            "comparisons": rows, "tasks": per_task}


def aggregate(data: StudyData, best: dict[str, dict[str, Any]], primary_metric: PrimaryMetric) -> dict[str, Any]:
    """Across tasks, per schedule: the IQM of its runs' scores normalised by the task's best
    baseline (1 = as good as it; a diverged run scores 0), and for proposed schedules the
    probability that a run beats a run of the best baseline, averaged over tasks; each with a
    stratified bootstrap 95 % interval. Schedules without a scored run on every task are left out."""
    tasks = [t for t in data.tasks() if t in best]
    scores: dict[str, list[list[float]]] = {s: [] for s in data.schedules()}
    for task in tasks:
        metric = primary_metric(data, task)
        base = [r.final_val.get(metric) for r in data.rows(task, best[task]["schedule"]) if r.completed]
        base = [v for v in base if v is not None and math.isfinite(v)]
        mean = statistics.fmean(base) if base else math.nan
        for schedule in data.schedules():
            values = []
            for r in data.rows(task, schedule):
                if r.status == "diverged":
                    values.append(0.0)
                elif r.completed and r.final_val.get(metric) is not None and math.isfinite(r.final_val[metric]):
                    values.extend(normalise([r.final_val[metric]], mean, lower_is_better(metric)))
            scores[schedule].append(values)
    iqm = {s: v for s in data.schedules() if tasks and (v := iqm_with_interval(scores[s])) is not None}
    improvement = {}
    for proposed in data.schedules("proposed"):
        ys = [scores[best[t]["schedule"]][i] for i, t in enumerate(tasks)]
        value = improvement_with_interval(scores[proposed], ys) if tasks else None
        if value is not None:
            improvement[proposed] = value
    return {"tasks": tasks, "iqm": iqm, "improvement": improvement,
            "normalised_by": "each task's best baseline (1 = as good as it)"}


# -- the verdict -----------------------------------------------------------------------------
def _cell(c: dict[str, Any] | None, tie: str | None, power: dict[str, Any]) -> dict[str, Any]:
    if c is None:
        return {"verdict": "not comparable", "n": 0}
    verdict = c["direction"]
    if tie is not None:
        verdict = "tie"
    detectable = power["comparisons"].get(f"{c['task']}/{c['proposed']}", {}).get("detectable", math.nan)
    return {"verdict": verdict, "label": LABELS.get(verdict, verdict), "difference": c["mean_diff"],
            "ci_low": c["ci_low"], "ci_high": c["ci_high"], "p_holm": c["p_holm"], "n": c["n"],
            "detectable": detectable, "equals": tie, "trial_ids": c["trial_ids"]}


def _deciding(track: dict[str, Any], task: str, proposed: str) -> dict[str, Any] | None:
    return next((c for c in track["comparisons"] if c["split"] == "val" and c["family"] == "primary"
                 and c["task"] == task and c["proposed"] == proposed), None)


def _tie_of(track: dict[str, Any], task: str, schedule: str, other: str | None) -> str | None:
    for pair in track["ties"].get(task, []):
        if other is not None and {pair["schedule"], pair["equals"]} == {schedule, other}:
            return other
    return None


def chosen_config(analysis: dict[str, Any], task: str, schedule: str) -> dict[str, Any] | None:
    """The configuration the tuned track evaluated for (task, schedule): ``{config, lr, args, ...}``."""
    tuning = analysis.get("tuning") or {}
    entry = (tuning.get("tasks") or {}).get(task, {}).get(schedule)
    if not entry or entry.get("chosen") is None:
        return None
    return next((c for c in entry["configs"] if c["config"] == entry["chosen"]), None)


def verdict(analysis: dict[str, Any]) -> dict[str, Any]:
    """The report's first screen, as data: per task the recommendation and each proposed schedule
    against the best baseline in both tracks; the design's reach; the aggregate; one paragraph."""
    decides, tracks = analysis["decides"], analysis["tracks"]
    deciding = tracks[decides]
    tasks_out = []
    for task in analysis["tasks"]:
        best = deciding["best_baseline"].get(task)
        rows = []
        for proposed in analysis["proposed"]:
            cells = {}
            for name, track in tracks.items():
                base = track["best_baseline"].get(task, {}).get("schedule")
                cells[name] = _cell(_deciding(track, task, proposed), _tie_of(track, task, proposed, base),
                                    track["power"])
                cells[name]["baseline"] = base
            notes = []
            for name, track in tracks.items():
                info = track["acted"].get(task, {}).get(proposed, {})
                if info.get("never"):
                    notes.append(f"never changed the rate ({analysis['track_names'][name]})")
                for pair in track["ties"].get(task, []):
                    if pair["schedule"] == proposed:
                        notes.append(f"= {pair['equals']} on every seed ({analysis['track_names'][name]})")
            collapsed = _collapsed(deciding, task, proposed)
            if collapsed:
                notes.append(f"collapsed to chance on {collapsed} seed(s)")
            rows.append({"schedule": proposed, "tracks": cells, "notes": notes})
        tasks_out.append({"task": task, "metric": analysis["primary_metric"][task], "best_baseline": best,
                          "recommendation": _recommend(analysis, task, rows, best),
                          "baseline_notes": _baseline_notes(analysis, deciding, task), "rows": rows})
    result = {"decides": decides, "tasks": tasks_out, "power": deciding["power"],
              "aggregate": deciding["aggregate"]}
    result["paragraph"] = paragraph(analysis, result)
    return result


def _collapsed(track: dict[str, Any], task: str, schedule: str) -> int:
    """Seeds whose final validation metric ended at or below chance (the trial's own flag)."""
    ids = set(track["convergence"].get(task, {}).get(schedule, {}).get("trial_ids", []))
    return int(track["convergence"].get(task, {}).get(schedule, {}).get("collapsed", 0)) if ids else 0


def _baseline_notes(analysis: dict[str, Any], track: dict[str, Any], task: str) -> list[str]:
    notes = []
    for baseline in analysis["baselines"]:
        if track["acted"].get(task, {}).get(baseline, {}).get("never"):
            notes.append(f"{baseline} never changed the rate")
    for pair in track["ties"].get(task, []):
        if pair["schedule"] in analysis["baselines"] and pair["equals"] in analysis["baselines"]:
            notes.append(f"{pair['schedule']} = {pair['equals']} on every seed")
    return notes


def _recommend(analysis: dict[str, Any], task: str, rows: list[dict[str, Any]],
               best: dict[str, Any] | None) -> dict[str, Any] | None:
    """Use the proposed schedule that beat the best baseline by the most, else the best baseline."""
    decides = analysis["decides"]
    winners = [r for r in rows if r["tracks"][decides]["verdict"] == "better"]
    if winners:
        sign = -1.0 if lower_is_better(analysis["primary_metric"][task]) else 1.0
        top = max(winners, key=lambda r: sign * r["tracks"][decides]["difference"])
        schedule, why = top["schedule"], "better than the best baseline"
    elif best is not None:
        schedule, why = best["schedule"], "best baseline; no proposed schedule is detectably better"
    else:
        return None
    return {"schedule": schedule, "why": why, "config": chosen_config(analysis, task, schedule)}


def _num(x: float | None, digits: int = 3) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x:.{digits}g}"


def paragraph(analysis: dict[str, Any], result: dict[str, Any]) -> str:
    """The conclusion in one paragraph, from the numbers above."""
    decides = result["decides"]
    track_name = analysis["track_names"][decides]
    tuning = (analysis.get("tuning") or {}).get("settings") or {}
    power = result["power"]
    parts = []
    if decides == "tuned":
        parts.append(f"With every schedule tuned on the same budget ({tuning.get('trials')} configurations per task "
                     f"on tuning seeds {tuning.get('seeds')}) and judged on {max(1, len(analysis['plan'].get('seeds', [])))} "
                     "fresh seeds,")
    else:
        parts.append(f"With the plan's settings ({track_name}) over {len(analysis['plan'].get('seeds', []))} seeds,")
    wins, losses = [], []
    for entry in result["tasks"]:
        for row in entry["rows"]:
            cell = row["tracks"][decides]
            if cell["verdict"] in ("better", "worse"):
                text = f"{row['schedule']} on {entry['task']} ({cell['difference']:+.3g} {entry['metric']})"
                (wins if cell["verdict"] == "better" else losses).append(text)
    if wins:
        parts.append("better than the best baseline: " + "; ".join(wins) + ".")
    else:
        parts.append("no proposed schedule is detectably better than the best baseline on any task.")
    if losses:
        parts.append("Detectably worse: " + "; ".join(losses) + ".")
    reach = [f"{t} {_num(v['detectable'])}" for t, v in power["tasks"].items() if math.isfinite(v["detectable"])]
    if reach:
        parts.append(f"Differences smaller than these could go undetected (80 % power, Holm over {power['family_size']} "
                     f"comparisons): {', '.join(reach)}.")
    short = [f"{t} (needs {v['seeds_needed']} seeds for {_num(v['smallest_effect'])})" for t, v in power["tasks"].items()
             if v["reaches"] is False and v["seeds_needed"]]
    if short:
        parts.append("This design cannot detect the smallest effect of interest on " + ", ".join(short) + ".")
    improvement = result["aggregate"]["improvement"]
    if improvement:
        top = max(improvement.items(), key=lambda kv: kv[1]["value"])
        parts.append(f"Across tasks, the highest probability of beating the best baseline is {top[0]}'s, "
                     f"{top[1]['value']:.2f} [{_num(top[1]['ci_low'], 2)}, {_num(top[1]['ci_high'], 2)}].")
    recommendations = [f"{e['task']}: {e['recommendation']['schedule']}" for e in result["tasks"] if e["recommendation"]]
    if recommendations:
        parts.append("Use " + "; ".join(recommendations) + ".")
    return " ".join(parts)
