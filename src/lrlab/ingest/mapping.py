"""A :class:`~lrlab.ingest.parse.ParsedReport` -> a plan: TOML text that
:func:`~lrlab.study.plan.parse_plan` accepts, with every mapping decision written as a comment
and everything not mapped listed in one warning (never silently dropped).

The pieces: :mod:`~lrlab.ingest.schedules_map` (idea -> proposed scheduler and its arguments,
baselines), :mod:`~lrlab.ingest.tasks_map` (data sets and models -> tasks),
:mod:`~lrlab.ingest.training_map` (hyperparameters, seeds), :mod:`~lrlab.ingest.metrics_map` (metrics,
targets),
:mod:`~lrlab.ingest.tuning_map` (``[tuning]``: the same budget for every schedule). The plan's
``[source]`` keeps the report's path, title, claimed Results and Benchmark Results verbatim,
the budget, and every decision and warning as notes, each with the report's line.

A text that names no data set, model, setting, baseline or scheduling idea lrlab knows is not an
experiment report: it is refused (:class:`IngestError`, one line) rather than planned on
defaults. So is a number no plan can hold (``lr = 1e999999``, a 400-digit batch size), with its line.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from lrlab.ingest.decisions import Decisions, Entry, Evidence
from lrlab.ingest.metrics_map import map_metrics
from lrlab.ingest.parse import IngestError, ParsedReport
from lrlab.ingest.quantities import QuantityError
from lrlab.ingest.schedules_map import (
    choose_baselines,
    choose_proposed,
    idea_evidence,
    rule_arguments,
)
from lrlab.ingest.tasks_map import Budget, TaskChoice, map_tasks
from lrlab.ingest.toml_out import Table, render_table, toml_safe
from lrlab.ingest.training_map import QUICK_MAX_EPOCHS, map_hyperparameters, map_seeds
from lrlab.ingest.tuning_map import tuning_table
from lrlab.ingest.vocabulary import BASELINES, find_dataset, find_model
from lrlab.study.plan import PlanError, parse_plan
from lrlab.study.tuning import check_spaces, planned_count
from lrlab.tasks.registry import get_task


@dataclass(frozen=True)
class MappedPlan:
    """The plan's TOML text, the decisions taken and what could not be mapped."""

    toml: str
    name: str
    notes: list[str]
    warnings: list[str]
    warning: str  # the warnings as one message ("" when none)
    entries: list[Entry]  # every decision, stand-in and left-out thing, with its evidence
    both: list[Evidence]  # evidence both mapped and left out (none: the tests check it)


def map_report(report: ParsedReport, *, source: str = "<report>", budget: Budget = "quick",
               report_text: str = "") -> MappedPlan:
    """Turn a parsed report into plan TOML. Raises :class:`IngestError` (one line) for a bad
    ``budget``, a text that is no experiment report, or a number no plan can hold (with its line)."""
    if budget not in ("quick", "full"):
        raise IngestError(f"--budget must be 'quick' or 'full', got {budget!r}")
    _refuse_without_evidence(report, source)
    try:
        return _map(report, source, budget, report_text)
    except QuantityError as error:
        where = f"line {error.line}: " if error.line is not None else ""
        raise IngestError(f"{source}: {where}{error}") from None


def _refuse_without_evidence(report: ParsedReport, source: str) -> None:
    """Nothing lrlab knows in it: not an experiment report, whatever its headings say."""
    words = report.plan_text()
    if (any(find_dataset(d.name) or find_dataset(d.code) for d in report.datasets)
            or any(find_model(m.name) for m in report.models)
            or any(s.key is not None for s in report.hyperparameters)
            or idea_evidence(report)
            or any(re.search(pattern, words, re.I) for _, pattern in BASELINES)):
        return
    found = ", ".join(report.sections) or "no known section"
    raise IngestError(f"{source}: not an experiment report lrlab can read: it names no data set, model, "
                      f"training setting, baseline or scheduling idea lrlab knows (sections: {found})")


def _map(report: ParsedReport, source: str, budget: Budget, report_text: str) -> MappedPlan:
    log = Decisions()
    if budget == "quick":
        log.decide(f"budget quick: hub data sets run as the real data sets lrlab fetches that are closest "
                   f"(smaller, offline: lrlab data fetch; those with none, such as QA and speech, are left out), "
                   f"models as the ones sized for a CPU, and epochs are capped at {QUICK_MAX_EPOCHS}; --budget full "
                   f"keeps the report's data sets, models, epochs and sizes")
    else:
        log.decide("budget full: the report's data sets (hub tasks where registered), models, epochs and batch "
                   "sizes as stated")
    tasks = map_tasks(report, budget, log)
    defaults, default_notes, ranges = map_hyperparameters(report, tasks, budget, log)
    map_metrics(report, tasks, log)
    seeds, seeds_note = map_seeds(report, log)
    proposed = choose_proposed(report, log)
    rule_arguments(report, proposed, str(defaults.get("optimizer", "adam")), log)
    baselines = choose_baselines(report, log)
    tuning = tuning_table(budget, seeds, proposed, ranges.get("lr"), log)
    _unmapped_sections(report, log)
    log.finish()

    name = _plan_name(proposed.name, source, report.title, budget)
    top = Table(comments=[
        f"Plan read from the experiment report {source} by lrlab (budget {budget}).",
        "Every value below says where it came from (the report's line); [source] notes lists every decision "
        "and what could not be mapped. Edit freely: a changed plan is a new study.",
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
    tuning_index = len(parts)
    parts.append("\n".join(render_table("[tuning]", tuning)))
    parts.append(_source_toml(report, source, budget, report_text, log))
    text = "\n\n".join(parts) + "\n"
    try:
        plan = parse_plan(text, source=f"plan generated from {source}")
        check_spaces(plan)
    except (PlanError, ValueError) as error:  # a bug of the mapping, said plainly rather than written out
        raise IngestError(f"{source}: the generated plan does not validate: {error}") from None
    count = planned_count(plan)
    tuning.comments.append(f"This plan runs {count} trials in all: {len(plan.trials())} as given, the rest "
                           f"tuning and the tuned configurations on the evaluation seeds.")
    parts[tuning_index] = "\n".join(render_table("[tuning]", tuning))
    text = "\n\n".join(parts) + "\n"
    return MappedPlan(text, name, list(log.notes), list(log.warnings), log.warning(source), list(log.entries),
                      log.both())


def _task_table(choice: TaskChoice) -> Table:
    stands = "; ".join(f"{d.item.name} ({d.item.evidence.where()}) -> {choice.task} ({d.why})"
                       for d in choice.datasets)
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
            log.leave_out(f"{what}: entries {', '.join(dropped)} have no TOML form (or are not finite); left out "
                          f"of [source]")
    for note in report.notes:
        log.leave_out(note)
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
        log.leave_out(f"Code Changes{listed}: a plan runs no code; lrlab's report writes its own from the study",
                      Evidence(report.section_lines.get("code_changes"), "Code Changes"))
    if report.conclusion:
        log.decide("the report's Conclusion is not carried: lrlab's conclusion comes from the measured statistics")
    read_as_text = [t for t in report.extra_sections if not t.startswith("(")]
    if read_as_text:
        log.decide(f"sections read only for baselines, run counts and rule settings: {', '.join(read_as_text)}")


def _plan_name(proposed: str, source: str, title: str, budget: Budget) -> str:
    stem = Path(source).stem if source and not source.startswith("<") else title
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-._")[:48] or "report"
    return f"{proposed}-{slug}-{budget}"
