"""A :class:`~lrlab.ingest.parse.ParsedReport` -> a plan: TOML text that
:func:`~lrlab.study.plan.parse_plan` accepts, with every mapping decision written as a comment
and everything not mapped listed in one warning (never silently dropped).

The pieces: :mod:`~lrlab.ingest.schedules_map` (idea -> proposed scheduler and its arguments,
baselines), :mod:`~lrlab.ingest.tasks_map` (data sets and models -> tasks),
:mod:`~lrlab.ingest.training_map` (hyperparameters, metrics, targets, seeds). The plan's
``[source]`` keeps the report's path, title, claimed Results and Benchmark Results verbatim,
the budget, and every decision and warning as notes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from lrlab.ingest.decisions import Decisions
from lrlab.ingest.parse import IngestError, ParsedReport
from lrlab.ingest.schedules_map import choose_baselines, choose_proposed, rule_arguments
from lrlab.ingest.tasks_map import Budget, TaskChoice, map_tasks
from lrlab.ingest.toml_out import Table, render_table, toml_safe
from lrlab.ingest.training_map import QUICK_MAX_EPOCHS, map_hyperparameters, map_metrics, map_seeds
from lrlab.study.plan import PlanError, parse_plan
from lrlab.tasks.registry import get_task


@dataclass(frozen=True)
class MappedPlan:
    """The plan's TOML text, the decisions taken and what could not be mapped."""

    toml: str
    name: str
    notes: list[str]
    warnings: list[str]
    warning: str  # the warnings as one message ("" when none)


def map_report(report: ParsedReport, *, source: str = "<report>", budget: Budget = "quick",
               report_text: str = "") -> MappedPlan:
    """Turn a parsed report into plan TOML; raises :class:`IngestError` only for a bad ``budget``."""
    if budget not in ("quick", "full"):
        raise IngestError(f"--budget must be 'quick' or 'full', got {budget!r}")
    log = Decisions()
    if budget == "quick":
        log.decide(f"budget quick: hub data sets run as their offline stand-ins (small offline data, so "
                   f"data is scaled down too; those with none, such as QA and speech, are left out) and epochs "
                   f"are capped at {QUICK_MAX_EPOCHS}; --budget full keeps the report's epochs and sizes and "
                   f"uses hub tasks where registered")
    else:
        log.decide("budget full: the report's epochs and batch sizes as stated; hub tasks where registered")
    tasks = map_tasks(report, budget, log)
    defaults, default_notes = map_hyperparameters(report, tasks, budget, log)
    map_metrics(report, tasks, log)
    seeds, seeds_note = map_seeds(report, log)
    proposed = choose_proposed(report, log)
    rule_arguments(report, proposed, str(defaults.get("optimizer", "adam")), log)
    baselines = choose_baselines(report, log)
    _unmapped_sections(report, log)

    name = _plan_name(proposed.name, source, report.title, budget)
    top = Table(comments=[
        f"Plan read from the experiment report {source} by lrlab (budget {budget}).",
        "Every value below says where it came from; [source] notes lists every decision and what "
        "could not be mapped. Edit freely: a changed plan is a new study.",
    ])
    top.put("name", name)
    top.put("title", report.title or f"Study of {source}")
    for field_name in ("idea", "objective", "methodology"):
        text = getattr(report, field_name).strip()
        if text:
            top.put(field_name, text + "\n" if "\n" in text else text, f"{field_name}: the report's, verbatim")
    top.put("seeds", seeds, seeds_note)
    parts = ["\n".join(render_table(None, top))]
    defaults_table = Table()
    for field_name, value in defaults.items():
        defaults_table.put(field_name, value, default_notes.get(field_name, ""))
    parts.append("\n".join(render_table("[defaults]", defaults_table)))
    parts.extend("\n".join(render_table("[[tasks]]", _task_table(t))) for t in tasks)
    for choice in (proposed, *baselines):
        table = Table(comments=choice.comments)
        table.put("name", choice.name)
        table.put("role", choice.role)
        if choice.args:
            table.put("args", dict(choice.args))
        parts.append("\n".join(render_table("[[schedules]]", table)))
    parts.append(_source_toml(report, source, budget, report_text, log))
    text = "\n\n".join(parts) + "\n"
    try:
        parse_plan(text, source=f"plan generated from {source}")
    except PlanError as error:  # a bug of the mapping, said plainly rather than written out
        raise IngestError(f"{source}: the generated plan does not validate: {error}") from None
    return MappedPlan(text, name, list(log.notes), list(log.warnings), log.warning(source))


def _task_table(choice: TaskChoice) -> Table:
    stands = "; ".join(f"{d.item.name} -> {choice.task} ({d.why})" for d in choice.datasets)
    table = Table(comments=[f"data: {stands}", *choice.comments])
    table.put("name", choice.task)
    if choice.label:
        table.put("label", choice.label, f"label: {choice.task} runs more than one model")
    table.put("model", choice.model)
    always = "loss and accuracy" if get_task(choice.task).classification else "loss and the task's own scores"
    table.put("metrics", choice.metrics, f"metrics: the report's, as lrlab computes them ({always} always)",
              *choice.metric_comments)
    if choice.target:
        table.put("target", choice.target, choice.target_comment)
    if choice.hparams:
        table.put("hparams", dict(choice.hparams), *choice.hparam_comments)
    return table


def _source_toml(report: ParsedReport, source: str, budget: Budget, report_text: str, log: Decisions) -> str:
    results, dropped_results = toml_safe(report.results)
    benchmark, dropped_benchmark = toml_safe(report.benchmark)
    for what, dropped in (("Results", dropped_results), ("Benchmark Results", dropped_benchmark)):
        if dropped:
            log.warn(f"{what}: entries {', '.join(dropped)} have no TOML form; left out of [source]")
    for note in report.notes:
        log.warn(note)
    table = Table(comments=["The report this plan was read from: its claimed results, to set beside the measured ones."])
    table.put("path", source)
    table.put("title", report.title)
    table.put("budget", budget)
    notes = [*log.notes, *(f"not mapped: {w}" for w in log.warnings)]
    if report_text:
        notes.insert(0, f"report sha256 {hashlib.sha256(report_text.encode('utf-8', 'replace')).hexdigest()[:16]}")
    table.put("notes", notes)
    lines = render_table("[source]", table)
    for header, values in (("[source.claimed_results]", results), ("[source.claimed_benchmark]", benchmark)):
        lines.append("")
        lines.extend(render_table(header, Table(values=values)))
    return "\n".join(lines)


def _unmapped_sections(report: ParsedReport, log: Decisions) -> None:
    if report.code_changes:
        files = re.findall(r"File:\s*`?([\w./-]+)", report.code_changes)
        listed = f" ({', '.join(dict.fromkeys(files))})" if files else ""
        log.warn(f"Code Changes{listed}: a plan runs no code; lrlab's report writes its own from the study")
    if report.conclusion:
        log.decide("the report's Conclusion is not carried: lrlab's conclusion comes from the measured statistics")
    read_as_text = [t for t in report.extra_sections if not t.startswith("(")]
    if read_as_text:
        log.decide(f"sections read only for baselines, run counts and rule settings: {', '.join(read_as_text)}")


def _plan_name(proposed: str, source: str, title: str, budget: Budget) -> str:
    stem = Path(source).stem if source and not source.startswith("<") else title
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-._")[:48] or "report"
    return f"{proposed}-{slug}-{budget}"
