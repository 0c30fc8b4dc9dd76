"""The report's head: title, provenance, Idea, and the Experiment Plan (sections 1 to 6)."""

from __future__ import annotations

import re
from typing import Any

from lrlab import __version__
from lrlab.report.document import Block, Bullets, Heading, Paragraph, table
from lrlab.report.formatting import literal, num
from lrlab.train.summary import STABILITY_WINDOW

STATUSES = ("completed", "diverged", "failed", "running", "pending")


def title(analysis: dict[str, Any]) -> str:
    plan = analysis["plan"]
    return (plan.get("title") or plan.get("name") or "study").strip()


def task_entry(analysis: dict[str, Any], task: str) -> dict[str, Any]:
    """The plan's entry of task label ``task``."""
    return next((t for t in analysis["plan"].get("tasks", []) if (t.get("label") or t["name"]) == task), {})


def schedule_entry(analysis: dict[str, Any], schedule: str) -> dict[str, Any]:
    return next((s for s in analysis["plan"].get("schedules", []) if (s.get("label") or s["name"]) == schedule), {})


def _text(value: str | None, fallback: str) -> str:
    text = " ".join((value or "").split())
    return text or fallback


def _counts(analysis: dict[str, Any]) -> str:
    counts = analysis["counts"]
    return ", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES)


def _value(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_value(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value) or "none"
    return num(value) if isinstance(value, float) else str(value)


def _args(args: dict[str, Any]) -> str:
    return ", ".join(f"`{k}={literal(v)}`" for k, v in args.items()) or "defaults"


def head(analysis: dict[str, Any]) -> list[Block]:
    """``# Experiment Report: ...`` and the provenance line."""
    total = sum(analysis["counts"].values())
    return [
        Heading(1, f"Experiment Report: {title(analysis)}"),
        Paragraph(f"Plan `{analysis['plan_hash']}` (frozen before the study ran), {total} planned trials: "
                  f"{_counts(analysis)}. Written by lrlab {__version__} from the study's store; every "
                  "number below comes from the trials listed in report.json (each figure there carries "
                  "the ids of the trials it came from)."),
    ]


def idea(analysis: dict[str, Any]) -> list[Block]:
    return [Heading(2, "Idea"), Paragraph(_text(analysis["plan"].get("idea"), "The plan states no idea."))]


def _model_line(model: str) -> str:
    from lrlab.tasks.models import MODELS

    if model == "own":
        return "**own**: the model that the task's own function builds"
    doc = (getattr(MODELS.get(model), "__doc__", None) or "").strip().splitlines()
    first = re.sub(r":\w+:`([^`]+)`", r"`\1`", doc[0]).replace("``", "`") if doc else ""
    return f"**{model}**: {first}" if first else f"**{model}**"


def _task_model(entry: dict[str, Any], task: str) -> str:
    from lrlab.tasks.registry import get_task

    if entry.get("source"):  # a user's task: its own model unless the plan names one of lrlab's
        return entry.get("model") or "own"
    try:
        return entry.get("model") or get_task(entry.get("name", task)).default_model
    except ValueError:
        return "(not in this version's task registry)"


def _description(name: str, source: str | None = None) -> str:
    from lrlab.tasks.registry import get_task

    if source:  # described without running it: a report never runs code
        return f"your own task, `source = \"{source}\"` (the plan's hash covers the file's content)"
    try:
        return get_task(name).description
    except ValueError:
        return "(not in this version's task registry)"


def plan(analysis: dict[str, Any]) -> list[Block]:
    """``## Experiment Plan`` with the seeds' six numbered subsections."""
    p = analysis["plan"]
    tasks, proposed, baselines = analysis["tasks"], analysis["proposed"], analysis["baselines"]
    total = sum(analysis["counts"].values())
    blocks: list[Block] = [Heading(2, "Experiment Plan"), Heading(3, "1. Objective")]
    blocks.append(Paragraph(_text(p.get("objective"), f"Compare the proposed schedule(s) {', '.join(proposed)} "
                                                     f"with the baselines {', '.join(baselines)}.")))
    blocks += [Heading(3, "2. Methodology")]
    if _text(p.get("methodology"), ""):
        blocks.append(Paragraph(_text(p.get("methodology"), "")))
    evaluation = len(tasks) * (len(proposed) + len(baselines)) * len(p.get("seeds", []))
    tuned = (f" The plan tunes (see 7. Tuning): every schedule is also evaluated at the configuration its "
             f"tuning chose, on the same seeds, and that **tuned** track decides; with the tuning trials the study "
             f"has {total} trials." if p.get("tuning") else f" {total} planned trials in all.")
    blocks.append(Paragraph(
        f"Every schedule trains on every task with every evaluation seed: {len(tasks)} task(s) x "
        f"{len(proposed) + len(baselines)} schedule(s) x {len(p.get('seeds', []))} seed(s) = {evaluation} trials "
        f"with the plan's settings (the **as given** track).{tuned} "
        "Each proposed schedule is compared with the task's best baseline on the same seeds (paired). The "
        f"paired t-test decides, Holm-corrected within each family and split at alpha = {analysis['alpha']}: "
        "the **primary** family is each proposed schedule against the best baseline on the task's primary "
        "metric, the **secondary** family the other baselines and metrics. The Wilcoxon signed-rank test, a "
        "bootstrap 95% interval of the mean difference and the effect size (Cohen's d_z) are reported beside "
        "it. The best baseline of each task and any winner are chosen on the validation split; the test split "
        "is evaluated once per trial, at the end, and only reported."))
    blocks.append(Bullets(tuple(
        [f"proposed: {', '.join(f'**{s}**' for s in proposed)}",
         f"baselines: {', '.join(f'**{s}**' for s in baselines)}"])))

    blocks.append(Heading(3, "3. Datasets"))
    blocks.append(Bullets(tuple(f"**{t}** (`{task_entry(analysis, t).get('name', t)}`): "
                                f"{_description(task_entry(analysis, t).get('name', t), task_entry(analysis, t).get('source'))}"
                                for t in tasks)))

    blocks.append(Heading(3, "4. Model Architecture"))
    blocks.append(Bullets(tuple(f"{t}: {_model_line(_task_model(task_entry(analysis, t), t))}" for t in tasks)))

    blocks += [Heading(3, "5. Hyperparameters"), Paragraph("Shared by every task (`[defaults]`):")]
    blocks.append(table(["setting", "value"], [[k, _value(v)] for k, v in p.get("defaults", {}).items()]))
    overrides = [[t, _value(task_entry(analysis, t).get("hparams") or {})] for t in tasks]
    blocks += [Paragraph("Per-task overrides:"), table(["task", "overrides"], overrides)]
    blocks.append(Paragraph("Schedules, with the arguments the plan gives them (the others at their defaults):"))
    blocks.append(table(["schedule", "role", "registry name", "arguments"],
                        [[s, schedule_entry(analysis, s).get("role", ""), analysis["schedule_names"][s],
                          _args(analysis["schedule_args"][s])] for s in [*proposed, *baselines]]))
    budget = p.get("budget") or {}
    blocks.append(Bullets((f"seeds: {_value(p.get('seeds', []))}", f"budget: {_value(budget)}")))

    blocks.append(Heading(3, "6. Evaluation Metrics"))
    rows = []
    for t in tasks:
        target = task_entry(analysis, t).get("target")
        if target:
            mode = target.get("mode") or ("min" if "loss" in target["metric"] else "max")
            goal = f"validation {target['metric']} {'<=' if mode == 'min' else '>='} {num(target['value'])}"
        else:
            goal = "none"
        first = next(iter(analysis["results"][t].values()), {})
        metrics = [k.removeprefix("eval_") for k in first if k.startswith("eval_")
                   and k not in ("eval_runtime", "eval_samples_per_second", "eval_steps_per_second")]
        rows.append([t, ", ".join(metrics), goal, f"**{analysis['primary_metric'][t]}**"])
    blocks.append(table(["task", "metrics (validation each epoch, test once at the end)", "target",
                         "primary metric"], rows))
    blocks.append(Paragraph(
        "Also measured per trial: epochs, steps and seconds to the target; stability (standard deviation "
        f"of the validation loss over the last {STABILITY_WINDOW} epochs); the train/validation gaps at the last epoch; "
        "the number of learning-rate adjustments and their mean |log change|; time per optimizer step "
        "and peak memory."))
    return blocks
