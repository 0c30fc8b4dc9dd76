"""What a research run found, written down: one report per confirmed idea and the research summary.

:func:`write_outputs` writes, into the run folder:

* ``reports/idea-N.md`` per confirmed idea, in the seed reports' sections — Idea (the sentence the
  design renders, the search score), Experiment Plan (search tasks and seeds, held-out tasks, fresh
  seeds, baselines, tuning budget, K fixed before the search), Results (held-out numbers per task
  with 95 % intervals, the verdict against the best tuned baseline, Holm over K x tasks),
  Benchmark Results (epochs to target against tuned cosine and the self-tuning optimizers), Code
  Changes (the ``make_scheduler`` call, the plan snippet and ``lrlab research adopt`` that adopt
  it), Conclusion (one paragraph from the numbers);
* ``reports/performance_profile.png``, the held-out performance profile on epochs to target;
* ``summary.md`` (:mod:`lrlab.research.summary`): every candidate, the verdicts, the goal check.

Every number comes from the stores, through :func:`lrlab.analysis.analyze` of the confirmation
(the analysis its own ``report.md`` is written from) and the search's candidates table. Each file
is written whole or not at all.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from lrlab.files import atomic_path, write_atomic
from lrlab.report.document import Block, Bullets, Code, Heading, Paragraph, table
from lrlab.report.formatting import finite, mean_with_ci, num, time_or_never
from lrlab.report.markdown import render_markdown
from lrlab.report.plan_toml import toml_value
from lrlab.research.findings import (
    CONFIRM_DIR,
    REPORTS_DIR,
    SUMMARY_FILE,
    Findings,
    Idea,
    describe_cell,
    epochs_to_target,
    goal_check,
    read_run,
    rung_epochs,
    verdict_cells,
)
from lrlab.research.objective import describe as describe_objective
from lrlab.study.store import STORE_NAME

PROFILE_FILE = "performance_profile.png"


def write_outputs(run_dir: Path) -> list[Path]:
    """Write every confirmed idea's report, the performance profile and ``summary.md`` into the
    run folder ``run_dir``; returns the paths written (reports first, the summary last)."""
    from lrlab.research.summary import profile_times, summary_blocks

    findings = read_run(run_dir)
    written: list[Path] = []
    analysis = findings.analysis
    reports = Path(run_dir) / REPORTS_DIR
    for idea in findings.ideas:
        if analysis is not None and idea.label in analysis["proposed"]:
            path = reports / f"{idea.label}.md"
            write_atomic(path, render_markdown(idea_blocks(findings, idea)).encode("utf-8"))
            written.append(path)
    profile = None
    if analysis is not None and analysis["tasks"]:
        profile = reports / PROFILE_FILE
        _draw_profile(analysis, profile_times(analysis), profile)
        written.append(profile)
    summary = Path(run_dir) / SUMMARY_FILE
    write_atomic(summary, render_markdown(summary_blocks(findings, profile)).encode("utf-8"))
    return [*written, summary]


def _draw_profile(analysis: dict[str, Any], times: dict[str, dict[str, float]], path: Path) -> None:
    from lrlab.analysis.stats import performance_profile
    from lrlab.analysis.study import PROFILE_TAUS
    from lrlab.report.plots import plot_profile, schedule_styles

    fractions = performance_profile(times, PROFILE_TAUS)
    styles = schedule_styles(analysis["proposed"], analysis["baselines"])
    with atomic_path(path) as temporary:
        plot_profile(PROFILE_TAUS, fractions, styles,
                     "Held-out tasks: fraction within τ x the best median epochs to target", path=temporary)


# -- one idea's report ---------------------------------------------------------------------------
def idea_blocks(findings: Findings, idea: Idea) -> list[Block]:
    """The report of confirmed idea ``idea``, in the seeds' sections."""
    analysis = findings.analysis
    assert analysis is not None
    cells = verdict_cells(analysis, idea.label)
    head = ", ".join(f"{c['task']}: {describe_cell(c)}" for c in cells) or "no held-out comparison completed"
    return [
        Heading(1, f"Experiment Report: {idea.label} of research {findings.plan.name}"),
        Paragraph(f"**Held-out verdict** (against each task's best tuned baseline, Holm over "
                  f"{analysis['verdict']['power']['family_size']} comparisons): {head}. Every number below comes "
                  f"from the search store (`search/{STORE_NAME}`) and the confirmation study (`{CONFIRM_DIR}/`, plan "
                  f"`{analysis['plan_hash']}`; its `report.md` has every table in full)."),
        *_idea(findings, idea),
        *_plan(findings, idea),
        *_results(findings, idea, cells),
        *_benchmark(findings, idea),
        *_code(findings, idea),
        *_conclusion(findings, idea, cells),
    ]


def _idea(findings: Findings, idea: Idea) -> list[Block]:
    plan, row = findings.plan, findings.candidate(idea.number)
    rank = findings.rank_of(idea.number)
    score = (f"Search value **{num(idea.value)}** (lower is better; rank {rank[0]} of {rank[1]} complete candidates)"
             if rank else f"Search value {num(idea.value)}")
    blocks: list[Block] = [Heading(2, "Idea"), Paragraph(sentence(findings, idea) + "."), Paragraph(
        f"{score}, candidate #{idea.number}" + (f" of generation {row.generation}" if row else "")
        + f", with the rate at x{num(idea.lr_scale)} each task's plan rate. The value is the "
        f"{describe_objective(plan.search.final_weight)}.")]
    if row is not None and row.rungs:
        blocks.append(Bullets(tuple(f"rung {r.get('rung')} ({rung_epochs(r.get('epochs'))}): value {num(r.get('value'))}"
                                    + (" (pruned here)" if r.get("pruned") else "") for r in row.rungs)))
    blocks.append(Paragraph(f"Arguments of `{plan.schedule}`: " + ", ".join(f"`{k} = {toml_value(v)}`"
                                                                           for k, v in idea.args.items() if v is not None)
                            + "."))
    return blocks


def sentence(findings: Findings, idea: Idea) -> str:
    """The idea in one sentence, rendered from its arguments by the design (``describe_idea``)."""
    if findings.plan.schedule == "composite":
        from lrlab.schedulers.composite import describe_idea

        return describe_idea(idea.args)
    return idea.idea


def _targets(entries: Any) -> str:
    def bound(target: Any) -> str:
        mode = target.mode or ("min" if "loss" in target.metric else "max")
        return f"validation {target.metric} {'<=' if mode == 'min' else '>='} {num(target.value)}"

    return ", ".join(f"{t.key} ({bound(t.target)})" if t.target else t.key for t in entries)


def _plan(findings: Findings, idea: Idea) -> list[Block]:
    plan = findings.plan
    search, confirm, defaults = plan.search, plan.confirm, plan.defaults
    pruning = search.pruning
    return [Heading(2, "Experiment Plan"), Bullets((
        f"**Search tasks**: {_targets(search.tasks)}; every candidate trained on each with seeds {search.seeds}, "
        f"{defaults.epochs} epochs, {defaults.optimizer}, plan rate {num(defaults.lr)} x the candidate's rate scale "
        f"(searched in [{num(search.lr_scale[0])}, {num(search.lr_scale[1])}], log).",
        f"**Search**: {search.sampler} sampler (seed {search.sampler_seed}), {search.batch} candidate(s) per "
        f"generation, budget {search.budget.describe()}; pruning {pruning.pruner} over {pruning.rungs} rung(s) "
        f"(eta {pruning.eta}). Considered: {findings.counts_text()}.",
        f"**K = {confirm.k}**, fixed in the plan before the search: the {confirm.k} best complete candidates by "
        "search value went on to the confirmation; no other was looked at on held-out tasks.",
        f"**Held-out tasks** (never seen by the search): {_targets(confirm.tasks)}.",
        f"**Fresh seeds**: {confirm.seeds} (none of them a search seed {search.seeds} or a tuning seed "
        f"{confirm.tuning.seeds}).",
        f"**Baselines**, tuned: {', '.join(confirm.baselines)}; **self-tuning optimizers**, run as given: "
        f"{', '.join(confirm.self_tuning) or 'none'}.",
        f"**Tuning budget**: {confirm.tuning.trials} configuration(s) per schedule and held-out task on tuning "
        f"seed(s) {confirm.tuning.seeds}, the best by "
        f"{'epochs to the target' if confirm.tuning.objective == 'time_to_target' else 'final validation metric'}; "
        f"the same for every schedule. For {idea.label} only the rate is tuned (its arguments are the search's).",
    ))]


def _results(findings: Findings, idea: Idea, cells: list[dict[str, Any]]) -> list[Block]:
    analysis = findings.analysis
    assert analysis is not None
    track = analysis["tracks"][analysis["decides"]]
    blocks: list[Block] = [Heading(2, "Results"), Paragraph(
        f"Held-out tasks, {analysis['track_names'][analysis['decides']]} track, on the fresh seeds: mean "
        "[95% interval] of the final validation primary metric (which decides) and the test split's (reported, "
        "decides nothing), per schedule, then the verdict.")]
    for cell in cells:
        task, metric = cell["task"], cell["metric"]
        best = track["best_baseline"].get(task, {}).get("schedule")
        rows = []
        for schedule in [idea.label, *analysis["baselines"]]:
            conv = track["convergence"].get(task, {}).get(schedule, {})
            name = f"**{schedule}**" if schedule == idea.label else schedule + (" (best baseline)" if schedule == best else "")
            rows.append([name, mean_with_ci(track["validation"][task].get(schedule, {}).get(metric)),
                         mean_with_ci(track["results"][task].get(schedule, {}).get(f"eval_{metric}")),
                         f"{conv.get('ended', 0)}/{conv.get('trials', 0)}"])
        blocks += [Heading(3, f"{task} ({metric})"),
                   table(["schedule", f"validation {metric}", f"test {metric}", "trials ended"], rows),
                   Paragraph(f"**Verdict** ({cell['track']}): {describe_cell(cell)}; difference = {idea.label} − "
                             f"{cell.get('baseline') or 'best baseline'}, bootstrap 95% interval, paired t-test's p "
                             f"Holm-corrected over K x tasks = {analysis['verdict']['power']['family_size']} comparisons."
                             + (f" As given (untuned): {describe_cell(cell['as_given'])}." if cell.get("as_given") else "")
                             + (f" Notes: {'; '.join(cell['notes'])}." if cell.get("notes") else ""))]
    return blocks


def _benchmark(findings: Findings, idea: Idea) -> list[Block]:
    analysis = findings.analysis
    assert analysis is not None
    compared = [idea.label] + [s for s in analysis["baselines"]]
    blocks: list[Block] = [Heading(2, "Benchmark Results"), Paragraph(
        "Epochs to the target per held-out task: the median over the fresh seeds, a seed that never reached it "
        "counted as never (so a median can be never), the seeds that reached it, and each seed's epochs; against "
        "tuned cosine, the other tuned baselines and the self-tuning optimizers (run as given).")]
    for task in analysis["tasks"]:
        rows = []
        for schedule in compared:
            e = epochs_to_target(analysis, task, schedule)
            name = f"**{schedule}**" if schedule == idea.label else schedule
            rows.append([name, time_or_never(e["median"]), f"{e['reached']}/{e['ended']}",
                         ", ".join(time_or_never(v) for v in e["values"]) or "-"])
        blocks += [Heading(3, task), table(["schedule", "median epochs to target", "reached", "per seed"], rows)]
    return blocks


def _code(findings: Findings, idea: Idea) -> list[Block]:
    plan, analysis = findings.plan, findings.analysis
    assert analysis is not None
    args = {k: v for k, v in idea.args.items() if v is not None}
    from lrlab.report.code_changes import lrlab_loop

    rate = plan.defaults.lr * (idea.lr_scale or 1.0)
    chosen = _chosen_rates(analysis, idea.label)
    hp = {**plan.defaults.model_dump(mode="json", exclude_none=True), "lr": float(f"{rate:.4g}")}
    code = (f"# the rate: the plan's {num(plan.defaults.lr)} x the search's rate scale {num(idea.lr_scale)}; "
            "tune it for your task\n" + lrlab_loop(plan.schedule, args, hp).text())
    entry = "\n".join(["[[schedules]]", f'name = "{plan.schedule}"', f'label = "{idea.label}"', 'role = "proposed"',
                       f"args = {toml_value(args)}"])
    preset = f"{plan.name}-{idea.label}"
    return [Heading(2, "Code Changes"), Paragraph(
        f"Adopting {idea.label} is explicit; nothing changes the library by itself. In a plain PyTorch loop "
        f"(the plan's settings: {plan.defaults.optimizer}, {plan.defaults.epochs} epochs), build the schedule with "
        "its arguments and feed it exactly what it needs:"),
        Code(code, "python"),
        Paragraph("In an lrlab plan, as a proposed schedule:"), Code(entry, "toml"),
        Paragraph(f"Or save it as a named preset, which `make_scheduler(\"{preset}\", optimizer, "
                  "total_steps=total_steps)` then builds (it records the rate scale and this verdict; the "
                  "optimizer's rate stays yours to set):"),
        Code(f"lrlab research adopt {findings.run_dir} {idea.label} --name {preset}", "bash"),
        Paragraph("The rate the confirmation's tuning chose for it per held-out task: "
                  + (", ".join(f"{t}: {num(lr)}" for t, lr in chosen.items()) or "none (no tuning result)") + ".")]


def _chosen_rates(analysis: dict[str, Any], label: str) -> dict[str, float]:
    from lrlab.analysis.verdict import chosen_config

    out = {}
    for task in analysis["tasks"]:
        config = chosen_config(analysis, task, label)
        if config is not None and finite(config.get("lr")):
            out[task] = config["lr"]
    return out


def _conclusion(findings: Findings, idea: Idea, cells: list[dict[str, Any]]) -> list[Block]:
    analysis = findings.analysis
    assert analysis is not None
    groups: dict[str, list[str]] = {}
    for cell in cells:
        groups.setdefault(cell.get("label", cell.get("verdict", "not comparable")), []).append(cell["task"])
    parts = [f"On {len(cells)} held-out task(s), against each task's best tuned baseline (Holm over "
             f"{analysis['verdict']['power']['family_size']} comparisons), the verdict on {idea.label} is: "
             + "; ".join(f"{verdict} on {', '.join(tasks)}" for verdict, tasks in groups.items()) + "."]
    goal = goal_check(findings)
    baseline = goal["baseline"] if goal else "cosine"
    earlier = []
    for task in analysis["tasks"]:
        mine, theirs = epochs_to_target(analysis, task, idea.label), epochs_to_target(analysis, task, baseline)
        if theirs["ended"]:
            earlier.append((task, mine["median"], theirs["median"]))
    if earlier:
        no_later = [t for t, a, b in earlier if a is not None and math.isfinite(a) and (b is None or a <= b)]
        parts.append(f"It reached the target no later than tuned {baseline} (median epochs) on {len(no_later)} of "
                     f"{len(earlier)} task(s)" + (f" ({', '.join(no_later)})" if no_later else "") + ".")
    if goal is not None and idea.label in goal["ideas"]:
        parts.append(f"The plan's goal is {'met' if goal['ideas'][idea.label]['met'] else 'not met'} by it "
                     "(see the research summary).")
    wins, losses = groups.get("better", []), groups.get("worse", [])
    if losses:
        parts.append(f"It is detectably worse on {', '.join(losses)}: do not use it there.")
    parts.append(f"Use it on {', '.join(wins)}, where the evidence supports it." if wins else
                 "No held-out task shows it detectably better than the best tuned baseline, so this run gives no "
                 "reason to prefer it there; a difference smaller than the design could detect may still exist.")
    return [Heading(2, "Conclusion"), Paragraph(" ".join(parts))]
