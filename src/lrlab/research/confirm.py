"""The confirmation: the search's top K candidates judged on held-out tasks, as a study.

K is fixed in the plan before the search runs. The K completed candidates with the lowest search
value (ties: the earlier asked) become ``idea-1`` .. ``idea-K`` (:func:`choose_ideas`), written to
``<run>/ideas.json`` once, before the confirmation starts: from then on the choice cannot change.
They go into a study plan (:meth:`~lrlab.research.plan.ResearchPlan.confirmation_plan`) as proposed
schedules with their searched arguments fixed, against the tuned baselines and the self-tuning
optimizers, on the held-out tasks and fresh seeds, with the comparison protocol's ``[tuning]``: the
same budget of configurations for every schedule (for the ideas, their rate only). The plan is
written to ``<run>/confirm/plan.toml`` and run exactly as ``lrlab run`` runs a plan
(:func:`lrlab.workflow.run_and_report`: the same store, protocol and ``report.md`` with its verdict).

Multiple comparisons: the analysis corrects one *primary* family per split, each proposed schedule
against the task's best baseline on the task's primary metric
(:func:`lrlab.analysis.study.comparisons`); with K proposed schedules and T held-out tasks that
family has K x T members, so Holm runs over K x tasks, as the issue asks.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, TextIO

from lrlab.files import write_atomic
from lrlab.report.plan_toml import dump_plan
from lrlab.research.candidates import CandidateLog
from lrlab.research.plan import IDEA_LABEL, ResearchPlan
from lrlab.research.search import top_candidates

IDEAS_NAME = "ideas.json"


def idea_sentence(schedule: str, args: dict[str, Any]) -> str:
    """A candidate as one readable sentence (the composite's own rendering; else its arguments)."""
    if schedule == "composite":
        from lrlab.schedulers.composite import describe_idea

        return describe_idea(args)
    shown = ", ".join(f"{k}={v!r}" for k, v in sorted(args.items()))
    return f"{schedule}({shown})"


def choose_ideas(plan: ResearchPlan, log: CandidateLog) -> list[dict[str, Any]]:
    """The top ``confirm.k`` completed candidates, as the ideas the confirmation runs: label,
    candidate number, arguments, rate scale, the idea in a sentence and the search value."""
    return [{"label": IDEA_LABEL.format(rank + 1), "candidate": c.number, "args": c.args, "lr_scale": c.lr_scale,
             "idea": idea_sentence(plan.schedule, c.args), "value": c.value}
            for rank, c in enumerate(top_candidates(log, plan.confirm.k))]


def write_ideas(path: Path, ideas: list[dict[str, Any]]) -> None:
    write_atomic(path, (json.dumps(ideas, indent=2, sort_keys=True) + "\n").encode())


def read_ideas(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))


def write_confirmation_plan(plan: ResearchPlan, ideas: list[dict[str, Any]], base: Path, folder: Path) -> Path:
    """``<folder>/plan.toml``: the confirmation study of ``ideas`` (written once; kept after)."""
    path = folder / "plan.toml"
    if path.is_file():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    data = plan.confirmation_plan(ideas, base, folder)
    header = (f"# The held-out confirmation of research plan {plan.name!r}: written by lrlab research run from\n"
              "# the search's top candidates (../ideas.json); run as `lrlab run` runs a plan.\n")
    write_atomic(path, (header + dump_plan(data)).encode())
    return path


def run_confirmation(plan_path: Path, folder: Path, *, workers: int | None, device: str, executor: str,
                     address: str | None, stream: TextIO) -> Any:
    """Run the confirmation study and write its report (:func:`lrlab.workflow.run_and_report`)."""
    from lrlab.workflow import run_and_report

    return run_and_report(plan_path, folder, workers=workers, device=device, stream=stream, executor=executor,
                          address=address)


def _median_epochs(values: list[Any]) -> float:
    """The median epochs to the target over the seeds, a run that never reached it counting as
    infinitely late (so that a schedule reaching it on fewer seeds cannot look faster)."""
    import statistics

    return statistics.median([math.inf if v is None else float(v) for v in values]) if values else math.inf


def goal_outcome(plan: ResearchPlan, confirm: Path) -> dict[str, Any] | None:
    """The plan's ``[goal]`` checked on the confirmation's tuned track: per idea, the held-out tasks
    where its median epochs to the target is no later than the tuned ``goal.baseline``'s, and on
    ``goal.task`` its median epochs and mean test ``goal.metric`` against ``goal.reference``'s.
    None without a ``[goal]`` or before the confirmation has a store."""
    from lrlab.analysis import analyze

    goal = plan.goal
    if goal is None or not (confirm / "study.sqlite").exists():
        return None
    track = analyze(confirm)["tracks"]["tuned"]
    conv, results = track["convergence"], track["results"]

    def epochs(task: str, schedule: str) -> float:
        return _median_epochs(conv[task][schedule]["epochs_to_target"]["values"])

    def test(task: str, schedule: str) -> float:
        value = results[task][schedule].get(f"eval_{goal.metric}", {}).get("mean")
        return math.nan if value is None else float(value)

    ideas = []
    for label in [s for s in track["convergence"][next(iter(conv))] if s.startswith("idea-")]:
        tasks = {task: {"idea": epochs(task, label), "baseline": epochs(task, goal.baseline)} for task in conv}
        no_later = sorted(t for t, v in tasks.items() if v["idea"] <= v["baseline"] and math.isfinite(v["idea"]))
        entry: dict[str, Any] = {"label": label, "tasks": tasks, "no_later": no_later,
                                 "baseline_met": len(no_later) >= goal.tasks}
        met = entry["baseline_met"]
        if goal.task is not None and goal.reference is not None:
            ref = {"idea_epochs": epochs(goal.task, label), "reference_epochs": epochs(goal.task, goal.reference),
                   "idea_test": test(goal.task, label), "reference_test": test(goal.task, goal.reference)}
            ref["met"] = (math.isfinite(ref["idea_epochs"]) and ref["idea_epochs"] <= ref["reference_epochs"]
                          and ref["idea_test"] >= ref["reference_test"])
            entry["reference"] = ref
            met = met and ref["met"]
        entry["met"] = met
        ideas.append(entry)
    return {"goal": goal.model_dump(mode="json"), "ideas": ideas, "met": any(i["met"] for i in ideas)}
