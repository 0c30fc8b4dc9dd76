"""The report's sections, in the seeds' order, from the analysis dict and the drawn plots."""

from __future__ import annotations

from typing import Any

from lrlab.report import convergence_sections, plan_sections, result_sections
from lrlab.report.code_changes import code_changes
from lrlab.report.document import Block, Code, Heading, Paragraph, table
from lrlab.report.plot_sections import DrawnPlots, plots_section


def conclusion(analysis: dict[str, Any]) -> list[Block]:
    """The analysis' conclusion lines, verbatim, one paragraph each."""
    return [Heading(2, "Conclusion"), *(Paragraph(line) for line in analysis["conclusion"]["lines"])]


def missing(analysis: dict[str, Any]) -> list[Block]:
    """``## Missing Trials``: every planned trial that did not complete, with its status and error."""
    rows = analysis["missing"]
    if not rows:
        return []
    blocks: list[Block] = [Heading(2, "Missing Trials"), Paragraph(
        f"{len(rows)} planned trial(s) did not complete. They are reported, not dropped: results and "
        "comparisons use only the completed ones (comparisons only the seeds where both sides "
        "completed), and times to target count diverged trials as never reaching it.")]
    blocks.append(table(["trial", "task", "schedule", "seed", "status", "error (first line)"],
                        [[f"`{m['trial_id']}`", m["task"], m["schedule"], str(m["seed"]), m["status"],
                          (m["error"] or "-").splitlines()[0]] for m in rows]))
    details = [f"{m['trial_id']} ({m['task']} / {m['schedule']} / seed {m['seed']}, {m['status']}):\n{m['error']}"
               for m in rows if m["error"]]
    if details:
        blocks += [Paragraph("The errors in full:"), Code("\n\n".join(details), "text")]
    return blocks


def build_document(analysis: dict[str, Any], drawn: DrawnPlots) -> list[Block]:
    """Every block of the report, in order."""
    return [
        *plan_sections.head(analysis),
        *plan_sections.idea(analysis),
        *plan_sections.plan(analysis),
        *result_sections.results(analysis),
        *result_sections.benchmark(analysis),
        *result_sections.statistics(analysis),
        *convergence_sections.convergence(analysis),
        *convergence_sections.across_tasks(analysis, drawn.profile),
        *plots_section(analysis, drawn),
        *code_changes(analysis),
        *conclusion(analysis),
        *missing(analysis),
    ]
