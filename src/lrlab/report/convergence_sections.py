"""Convergence and Cost (per task) and Across Tasks (the performance profile)."""

from __future__ import annotations

from typing import Any

from lrlab.report.document import Block, Heading, Image, Paragraph, table
from lrlab.report.formatting import NA, finite, num, time_or_never
from lrlab.report.plan_sections import task_entry
from lrlab.train.summary import STABILITY_WINDOW


def _target(analysis: dict[str, Any], task: str) -> str:
    target = task_entry(analysis, task).get("target")
    if not target:
        return f"{task} has no target in the plan: times to target are not defined."
    mode = target.get("mode") or ("min" if "loss" in target["metric"] else "max")
    return f"Target: validation {target['metric']} {'<=' if mode == 'min' else '>='} {num(target['value'])}."


def _reached(entry: dict[str, Any]) -> str:
    text = f"{entry['reached']}/{entry['ended']}"
    not_ended = entry["trials"] - entry["ended"]
    return text + (f" ({not_ended} not ended)" if not_ended else "")


def _mean(entry: dict[str, Any] | None, digits: int = 4) -> str:
    return num(entry["mean"], digits) if entry and finite(entry.get("mean")) else NA


def _ratio(value: Any) -> str:
    return f"{num(value, 3)}x" if finite(value) else NA


def convergence(analysis: dict[str, Any]) -> list[Block]:
    reference = analysis["cost_reference"]
    blocks: list[Block] = [Heading(2, "Convergence and Cost"), Paragraph(
        "Times to target count every trial that ended (completed or diverged): the medians are over the "
        "trials that reached the target, and the others are listed as **never**, not dropped. A trial "
        "**diverged** when its loss stopped being finite; it **collapsed** when it completed with its final "
        "validation primary metric at or near chance (what a constant prediction scores): a finite loss "
        "that learned nothing, counted in every statistic as the result it is. Stability "
        f"is the standard deviation of the validation loss over the last {STABILITY_WINDOW} epochs; the gaps "
        "are taken at the last epoch (loss: validation − train; accuracy: train − validation); these and "
        "the adjustments are means over the ended trials. Time per step is the median over ended trials "
        + (f"of each trial's median step time, and its ratio to **{reference}** on the same task."
           if reference else "of each trial's median step time (the plan has no constant baseline to "
           "compare it with).") + " Times to target are in epochs and optimizer steps, which do not depend on the machine; "
        "wall-clock figures (time per step) are costs, and depend on the machine and on the trials "
        "running beside each other.")]
    for task in analysis["tasks"]:
        per_schedule = analysis["convergence"][task]
        ratios = analysis["cost_ratio"].get(task, {})
        blocks += [Heading(3, task), Paragraph(_target(analysis, task))]
        rows = []
        for name, c in per_schedule.items():
            rows.append([name, _reached(c), f"{c.get('diverged', 0)} / {c.get('collapsed', 0)}",
                         time_or_never(c["epochs_to_target"]["median_of_reached"]),
                         time_or_never(c["steps_to_target"]["median_of_reached"]),
                         ", ".join(time_or_never(v) for v in c["epochs_to_target"]["values"]) or NA])
        blocks.append(table(["schedule", "reached", "diverged / collapsed", "median epochs", "median steps",
                             "epochs to target, each ended trial (by seed)"], rows))
        rows = []
        for name, c in per_schedule.items():
            rows.append([name, _mean(c["stability"]), _mean(c["gap_loss"]), _mean(c["gap_accuracy"]),
                         _mean(c["n_adjustments"]), _mean(c["mean_abs_log_lr_change"]),
                         num(c["seconds_per_step"] * 1000, 3) if finite(c["seconds_per_step"]) else NA,
                         _ratio(ratios.get(name)), _mean(c["peak_rss_mb"], 4)])
        blocks.append(table(["schedule", "stability", "gap loss", "gap accuracy", "LR adjustments",
                             "mean abs log LR change", "ms / step", f"vs {reference or 'constant'}",
                             "peak RSS (MB)"], rows))
    return blocks


def across_tasks(analysis: dict[str, Any], profile_plot: Image | None) -> list[Block]:
    profiles = analysis["profiles"]
    taus, fractions, times = profiles["taus"], profiles["fractions"], profiles["times"]
    blocks: list[Block] = [Heading(2, "Across Tasks"), Paragraph(
        f"Performance profile over the {len(analysis['tasks'])} task(s), on the {profiles['measure']} "
        "(a trial that never reached the target counts as infinitely slow): for each schedule, the "
        "fraction of tasks on which its time is within τ times the best schedule's time on that task. "
        "Tasks no schedule solved count against every schedule.")]
    blocks.append(table(["schedule"] + [f"τ = {num(t)}" for t in taus],
                        [[name] + [num(v, 3) for v in values] for name, values in fractions.items()]))
    tasks = analysis["tasks"]
    blocks.append(Paragraph(f"The times it is computed from ({profiles['measure']}; **never**: not reached; "
                            "n/a: no trial ended):"))
    blocks.append(table(["schedule", *tasks],
                        [[name] + [NA if per_task.get(t) is None else time_or_never(per_task[t]) for t in tasks]
                         for name, per_task in times.items()]))
    if profile_plot is not None:
        blocks.append(profile_plot)
    return blocks
