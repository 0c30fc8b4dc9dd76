"""The report's sections, in the seeds' order, from the analysis dict and the drawn plots."""

from __future__ import annotations

from typing import Any

from lrlab.analysis.study import track_view
from lrlab.report import convergence_sections, plan_sections, result_sections, tuning_sections
from lrlab.report.code_changes import code_changes
from lrlab.report.document import Block, Bullets, Code, Heading, Paragraph, table
from lrlab.report.formatting import literal, mean_with_ci
from lrlab.report.plot_sections import DrawnPlots, plots_section
from lrlab.report.verdict_sections import conclusion_section, verdict_section


def missing(analysis: dict[str, Any]) -> list[Block]:
    """``## Missing Trials``: every planned trial that did not complete, with its status and error."""
    rows = analysis["missing"]
    if not rows:
        return []
    blocks: list[Block] = [Heading(2, "Missing Trials"), Paragraph(
        f"{len(rows)} planned trial(s) did not complete. They are reported, not dropped: results and "
        "comparisons use only the completed ones (comparisons only the seeds where both sides "
        "completed), times to target count diverged trials as never reaching it, a tuning "
        "configuration with a failed or diverged trial scores worst, and the aggregate across tasks "
        "scores a diverged run 0.")]
    names = analysis.get("track_names", {})
    blocks.append(table(["trial", "task", "schedule", "seed", "track / phase", "status", "error (first line)"],
                        [[f"`{m['trial_id']}`", m["task"], m["schedule"], str(m["seed"]),
                          f"{names.get(m.get('track', 'given'), m.get('track', 'given'))} / {m.get('phase', 'evaluation')}",
                          m["status"], (m["error"] or "-").splitlines()[0]] for m in rows]))
    details = [f"{m['trial_id']} ({m['task']} / {m['schedule']} / seed {m['seed']}, {m['status']}):\n{m['error']}"
               for m in rows if m["error"]]
    if details:
        blocks += [Paragraph("The errors in full:"), Code("\n\n".join(details), "text")]
    return blocks


def claimed_vs_measured(analysis: dict[str, Any]) -> list[Block]:
    """``## Claimed vs Measured``: for a plan read from a report, its claims beside our numbers."""
    claims = analysis.get("claims")
    if not claims:
        return []
    blocks: list[Block] = [Heading(2, "Claimed vs Measured"), Paragraph(
        f"This study's plan was read from the report `{claims['path']}`"
        + (f" (budget {claims['budget']})" if claims["budget"] else "") + ". The *claimed* columns are that "
        "report's Results and Benchmark Results, copied as they were: lrlab did not produce them, and "
        "they came from its own setup (data, models, budget). The *measured* columns are this study's "
        "test-split means with their 95% intervals, per task: each proposed schedule, and the task's best "
        "baseline (chosen on validation).")]
    tasks = list(analysis["tasks"])
    header = ["key", "claimed (method)", "claimed (benchmark)"]
    for task in tasks:
        header += [f"{task}: {s}" for s in analysis["proposed"]] + [f"{task}: best baseline"]
    rows = []
    for row in claims["rows"]:
        cells = [f"`{row['key']}`", literal(row["claimed_results"]) if row["claimed_results"] is not None else "-",
                 literal(row["claimed_benchmark"]) if row["claimed_benchmark"] is not None else "-"]
        for task in tasks:
            measured = row["measured"].get(task, {})
            cells += [mean_with_ci(measured.get("proposed", {}).get(s)) for s in analysis["proposed"]]
            base = measured.get("best_baseline")
            cells.append("-" if not base or "mean" not in base else f"{mean_with_ci(base)} ({base['schedule']})")
        rows.append(cells)
    blocks.append(table(header, rows))
    if claims["notes"]:
        blocks += [Paragraph("How the report was mapped onto this plan (the plan's `[source] notes`):"),
                   Bullets(tuple(claims["notes"]))]
    return blocks


def build_document(analysis: dict[str, Any], drawn: DrawnPlots) -> list[Block]:
    """Every block of the report, in order: the verdict first, then the seeds' sections filled
    from the deciding track (tuned, when the plan tunes), then the as-given track's summary."""
    view = track_view(analysis)
    return [
        *plan_sections.head(analysis),
        *verdict_section(analysis),
        *plan_sections.idea(analysis),
        *plan_sections.plan(view),
        *tuning_sections.plan_subsection(analysis),
        *result_sections.results(view),
        *result_sections.benchmark(view),
        *tuning_sections.tuning_section(analysis),
        *claimed_vs_measured(analysis),
        *result_sections.statistics(view),
        *result_sections.other_tracks(analysis),
        *convergence_sections.convergence(view),
        *convergence_sections.across_tasks(view, drawn.profile),
        *plots_section(view, drawn),
        *code_changes(view),
        *conclusion_section(analysis),
        *missing(analysis),
    ]
