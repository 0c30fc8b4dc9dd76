"""Results, Benchmark Results and Statistical Analysis: the analysis' tables, written out."""

from __future__ import annotations

from typing import Any

from lrlab.report.document import Block, Bullets, Details, Heading, Paragraph, Plain, Table, table
from lrlab.report.formatting import finite, interval, mean_with_ci, num, plus_minus, pvalue, signed

LOW_POWER_MARK = "†"
BEST_MARK = "★"


def dict_line(entries: dict[str, dict[str, Any]]) -> str:
    """The seeds' Results line, ``{'eval_loss': mean ± half-width, ...}``, in the analysis' key order."""
    return "{" + ", ".join(f"'{key}': {plus_minus(entry)}" for key, entry in entries.items()) + "}"


def _completed(analysis: dict[str, Any], task: str, schedule: str) -> str:
    done = len(analysis["results"][task][schedule]["epoch"]["trial_ids"])
    return f"{done} of {analysis['convergence'][task][schedule]['trials']} trials completed"


def _metric_table(analysis: dict[str, Any], task: str, schedules: list[str]) -> Table:
    results, validation = analysis["results"][task], analysis["validation"][task]
    primary = analysis["primary_metric"][task]
    keys = list(next(iter(results.values()), {}))
    rows = [[f"`{key}` ({'epochs run' if key == 'epoch' else 'test'})"]
            + [mean_with_ci(results[s].get(key)) for s in schedules] for key in keys]
    for metric in next(iter(validation.values()), {}):
        label = f"{metric} (validation{', decides' if metric == primary else ''})"
        rows.append([f"**{label}**" if metric == primary else label]
                    + [mean_with_ci(validation[s].get(metric)) for s in schedules])
    header = ["metric: mean [95% CI]"] + [f"{s} (n={len(results[s]['epoch']['trial_ids'])})" for s in schedules]
    return table(header, rows)


def _per_task(analysis: dict[str, Any], schedules: list[str]) -> list[Block]:
    blocks: list[Block] = []
    for task in analysis["tasks"]:
        blocks.append(Heading(3, task))
        for schedule in schedules:
            blocks.append(Paragraph(f"**{schedule}** on {task} ({_completed(analysis, task, schedule)}):"))
            blocks.append(Plain(dict_line(analysis["results"][task][schedule])))
        blocks.append(_metric_table(analysis, task, schedules))
    return blocks


INTRO = ("Test-split metrics, evaluated once on each trial's final model, with keys named like "
         "`Trainer.evaluate()`'s: mean ± half-width of the 95% t-interval over the completed seeds "
         "(n=1: no interval). The tables give the same means with their intervals, and the validation "
         "metrics after the last epoch; the validation primary metric is what decides.")


def _track_note(analysis: dict[str, Any]) -> str:
    if analysis.get("track") == "tuned":
        return ("Tuned track: each schedule at the configuration its tuning chose, on the evaluation seeds "
                "(the as-given track is summarised after the Statistical Analysis). ")
    return ""


def results(analysis: dict[str, Any]) -> list[Block]:
    return [Heading(2, "Results"), Paragraph(f"{_track_note(analysis)}The proposed schedule(s). {INTRO}"),
            *_per_task(analysis, analysis["proposed"])]


def _best_lines(analysis: dict[str, Any]) -> list[str]:
    lines = []
    for task in analysis["tasks"]:
        best = analysis["best_baseline"].get(task)
        if best is None:
            lines.append(f"{task}: no baseline completed a trial, so there is no best baseline")
        else:
            on = best.get("chosen_on", "evaluation seeds")
            lines.append(f"{task}: **{best['schedule']}** (mean validation {best['metric']} {num(best['value'])} "
                         f"on the {on})")
    return lines


def benchmark(analysis: dict[str, Any]) -> list[Block]:
    blocks: list[Block] = [Heading(2, "Benchmark Results"), Paragraph(f"{_track_note(analysis)}The baselines. {INTRO}")]
    blocks += _per_task(analysis, analysis["baselines"])
    blocks.append(Heading(3, "Best baseline per task"))
    blocks.append(Paragraph(
        "Chosen on the final validation primary metric — on the tuning seeds in the tuned track (so the "
        "evaluation seeds that test it did not choose it), on the evaluation seeds' means where there was no "
        "tuning; equal values go to the baseline listed first in the plan. The test split took no part."))
    blocks.append(Bullets(tuple(_best_lines(analysis))))
    return blocks


def other_tracks(analysis: dict[str, Any]) -> list[Block]:
    """The tracks that did not decide (as given, when the plan tunes), in brief: every schedule's
    validation and test metrics per task, the best baseline, and the deciding comparisons."""
    from lrlab.analysis.study import track_view

    blocks: list[Block] = []
    for name in analysis["tracks"]:
        if name == analysis["decides"]:
            continue
        view = track_view(analysis, name)
        label = analysis["track_names"][name]
        blocks += [Heading(2, f"The {label.title().replace(' ', '-')} Track"), Paragraph(
            "Every schedule with the plan's own settings (no tuning) on the same evaluation seeds: what a user "
            "who drops a schedule in at the plan's rate gets. Its best baseline was chosen on these seeds' "
            "validation means. The verdict table above sets its comparisons beside the tuned ones.")]
        schedules = [*analysis["proposed"], *analysis["baselines"]]
        for task in analysis["tasks"]:
            blocks += [Heading(3, f"{task} ({label})"), _metric_table(view, task, schedules)]
        blocks.append(Bullets(tuple(_best_lines(view))))
        primary = [c for c in view["comparisons"] if c["family"] == "primary"]
        blocks += [Heading(3, f"Deciding comparisons ({label})"),
                   table(COLUMNS, [_row(c, view["best_baseline"]) for c in primary] or [["-"] * len(COLUMNS)])]
    return blocks


COLUMNS = ["split", "task", "metric", "proposed vs baseline", "n", "mean diff", "95% CI (bootstrap)",
           "t-test p", "Wilcoxon p", "effect size d_z", "Holm p", "verdict"]


def _row(c: dict[str, Any], best: dict[str, Any]) -> list[str]:
    baseline = c["baseline"]
    if best.get(c["task"], {}).get("schedule") == baseline:
        baseline += f" {BEST_MARK}"
    # Fewer than two paired seeds: no test ran, whatever the direction field says.
    verdict = c["direction"] if finite(c["p_holm"]) else f"not tested (n={c['n']})"
    return [c["split"], c["task"], c["metric"], f"{c['proposed']} vs {baseline}",
            f"{c['n']}{LOW_POWER_MARK if c['low_power'] else ''}", signed(c["mean_diff"]),
            interval(c["ci_low"], c["ci_high"], sign=True), pvalue(c["t_pvalue"]), pvalue(c["wilcoxon_pvalue"]),
            num(c["effect_size"], 3), pvalue(c["p_holm"]), f"**{verdict}**" if c["significant"] else verdict]


def _notes(analysis: dict[str, Any], rows: list[dict[str, Any]]) -> list[Block]:
    notes = [f"{BEST_MARK}: the task's best baseline (chosen on validation); the conclusion rests on these "
             "rows of the validation split."]
    if any(c["low_power"] for c in rows):
        notes.append(f"{LOW_POWER_MARK}: fewer than {analysis['low_power_n']} paired seeds: the test has "
                     "little power, and a real difference may go undetected.")
    return [Paragraph(" ".join(notes))]


def statistics(analysis: dict[str, Any]) -> list[Block]:
    """Primary comparisons in one table, secondary ones in a second (collapsed in HTML)."""
    best = analysis["best_baseline"]
    primary = [c for c in analysis["comparisons"] if c["family"] == "primary"]
    secondary = [c for c in analysis["comparisons"] if c["family"] == "secondary"]
    blocks: list[Block] = [Heading(2, "Statistical Analysis"), Paragraph(
        f"{_track_note(analysis)}Each row compares a proposed schedule with a baseline over the seeds where both "
        "completed (paired by seed): mean diff = proposed − baseline in the metric's units (for a loss, lower is "
        "better; the verdict accounts for it). The paired t-test decides after Holm's correction within "
        f"its family and split, at alpha = {analysis['alpha']}; the Wilcoxon signed-rank p, the bootstrap "
        "95% interval and Cohen's d_z are reported beside it. The **primary** family holds the comparisons "
        "that decide: each proposed schedule against the task's best baseline on the task's primary metric; "
        "the **secondary** family the other baselines and metrics. The validation split decides; the test "
        "split is reported only.")]
    blocks += [Heading(3, "Primary comparisons (each proposed schedule vs the task's best baseline)"),
               table(COLUMNS, [_row(c, best) for c in primary] or [["-"] * len(COLUMNS)])]
    blocks += _notes(analysis, primary)
    blocks.append(Heading(3, "Secondary comparisons (the other baselines, the other metrics)"))
    blocks.append(Details(f"{len(secondary)} secondary comparisons (Holm-corrected as their own family)",
                          (table(COLUMNS, [_row(c, best) for c in secondary] or [["-"] * len(COLUMNS)]),)))
    return blocks
