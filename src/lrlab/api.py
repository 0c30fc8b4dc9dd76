"""The Python API, for notebooks: ``lrlab.compare(...)`` runs the study ``lrlab run`` would.

It writes the plan it was given to ``<out>/plan.toml`` and runs it exactly as ``lrlab run
<out>/plan.toml --out <out>`` does (the same store, report and verdict; resumable: calling it again
with the same arguments, or that command, continues where it stopped), then returns a
:class:`Comparison` with the results as pandas DataFrames.

Example (a user's task and schedule in files beside the notebook)::

    import lrlab

    result = lrlab.compare("my_task.py:make_task", schedules=["my_schedule.py:HalfCosine"],
                           baselines=["constant", "cosine"], seeds=[0, 1, 2],
                           defaults={"lr": 0.01, "epochs": 10}, tuning={"trials": 4, "seeds": [100]},
                           out="runs/my-comparison")
    result.verdict      # one row per (task, proposed schedule), both tracks
    result.results      # one row per evaluation trial
    result.report       # runs/my-comparison/report.md

Tasks and schedules may be given as lrlab's names (``"wine"``, ``"entropy"``), as sources
(``"file.py:name"``, ``"package.module:name"``), as the function or class itself (it must live in
a ``.py`` file: workers are separate processes, which load it from there), or as a dict, a plan's
``[[tasks]]`` / ``[[schedules]]`` entry (``{"source": ..., "target": {...}, "label": ...}``).
Running a source runs its code: only ever pass your own.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

TaskLike = str | Mapping[str, Any] | Any
ScheduleLike = str | Mapping[str, Any] | type | Any
#: Baselines when none are given: a constant rate, cosine annealing and ReduceLROnPlateau.
BASELINES = ("constant", "cosine", "plateau")


@dataclass
class Comparison:
    """What :func:`compare` ran and found.

    Attributes:
        out: the study folder (its store, report and ``plan.toml``).
        plan_path: the plan it ran, ``<out>/plan.toml``.
        exit_code: what ``lrlab run`` would have exited with (0: every trial ended and none failed).
        analysis: the report's analysis (:func:`lrlab.analysis.analyze`); ``analysis["verdict"]``
            is the report's first screen.
        report: the report's files (``report.md``, ``report.html``, ...); none if the run was
            interrupted or left trials to retry.
    """

    out: Path
    plan_path: Path
    exit_code: int
    analysis: dict[str, Any]
    report: list[Path] = field(default_factory=list)

    @property
    def results(self) -> Any:
        """One row per evaluation trial, as a pandas DataFrame: task, schedule, role, track, seed,
        status, the final validation metrics (``val_*``), the test metrics (``test_*``), the rate
        and arguments the trial ran with (``lr``, ``args``; the tuned track's chosen configuration
        ``config``), the error of a failed trial and its ``trial_id``."""
        return results_frame(self.out)

    @property
    def verdict(self) -> Any:
        """One row per (task, proposed schedule), as a pandas DataFrame: the task's primary
        metric, the schedule its verdict recommends, and per track (``tuned``, ``given``) the
        verdict against that track's best baseline, the difference with its 95 % interval, the
        Holm-adjusted p, the seeds paired and the smallest difference the design could detect."""
        return verdict_frame(self.analysis)

    @property
    def paragraph(self) -> str:
        """The verdict in one paragraph, as the report opens with it."""
        return str(self.analysis["verdict"]["paragraph"])

    def __repr__(self) -> str:
        lines = [f"Comparison in {self.out} (plan {self.analysis.get('plan_hash', '?')}, exit {self.exit_code})"]
        for entry in self.analysis["verdict"]["tasks"]:
            rec = entry.get("recommendation") or {}
            lines.append(f"  {entry['task']}: use {rec.get('schedule', '?')}; {rec.get('why', '')}")
        return "\n".join(lines)


def compare(task: TaskLike | Sequence[TaskLike], schedules: Sequence[ScheduleLike], *,
            baselines: Sequence[ScheduleLike] = BASELINES, seeds: Sequence[int] = (0, 1, 2),
            tuning: Mapping[str, Any] | int | None = None, defaults: Mapping[str, Any] | None = None,
            out: str | Path | None = None, name: str | None = None, budget: Mapping[str, Any] | None = None,
            executor_settings: Mapping[str, Any] | None = None, workers: int | None = None,
            device: str = "auto", executor: str = "local", address: str | None = None,
            stream: TextIO | None = None) -> Comparison:
    """Compare ``schedules`` (proposed) with ``baselines`` on ``task``, as ``lrlab run`` would.

    Args:
        task: a task, or a list of them: a registered name, ``"file.py:function"``, the function,
            or a ``[[tasks]]`` entry as a dict (``{"source": ..., "model": ..., "target": ...}``).
        schedules: the proposed schedules: names, ``"file.py:Class"``, classes, or
            ``[[schedules]]`` entries as dicts (``{"name": "entropy", "args": {...}, "label": ...}``).
        baselines: the baselines, in the same forms (default: constant, cosine, plateau).
        seeds: the evaluation seeds.
        tuning: the plan's ``[tuning]`` as a dict (``{"trials": 8, "seeds": [100], "lr": [1e-4,
            1e-2], "space": {...}, "halving": {...}}``), or just the number of configurations;
            None: the as-given track only.
        defaults: the plan's ``[defaults]`` (``lr``, ``epochs``, ``batch_size``, ``optimizer``, ...).
        out: the study folder (default ``runs/<name>``); ``<out>/plan.toml`` is the plan.
        name: the study's name (default: from the tasks' labels).
        budget, executor_settings: the plan's ``[budget]`` and ``[executor]``.
        workers, device, executor, address: as ``lrlab run``'s options.
        stream: where progress goes (default: standard error).

    Returns:
        a :class:`Comparison`. Bad input raises ``ValueError`` (a plan that does not validate:
        :class:`~lrlab.study.plan.PlanError`) before anything runs.
    """
    from lrlab.analysis import analyze
    from lrlab.study.plan import parse_plan
    from lrlab.workflow import run_and_report

    tasks = list(task) if isinstance(task, list | tuple) else [task]
    entries = [_task_entry(t) for t in tasks]
    proposed = [_schedule_entry(s, "proposed") for s in schedules]
    base = [_schedule_entry(s, "baseline") for s in baselines]
    if not proposed:
        raise ValueError("compare: give at least one schedule to compare (schedules=[...])")
    labels = [e.get("label") or _attribute(e.get("source")) or e["name"] for e in entries]
    name = name or _slug("-".join(labels) + "-compare")
    out = Path(out) if out is not None else Path("runs") / name
    plan: dict[str, Any] = {"name": name, "seeds": [int(s) for s in seeds], "defaults": dict(defaults or {}),
                            "tasks": entries, "schedules": [*proposed, *base]}
    if tuning is not None:
        plan["tuning"] = {"trials": tuning} if isinstance(tuning, int) else dict(tuning)
    if budget:
        plan["budget"] = dict(budget)
    if executor_settings:
        plan["executor"] = dict(executor_settings)
    for entry in [*entries, *proposed, *base]:  # a file's path as the plan in <out> reaches it
        if entry.get("source") and _is_file_ref(entry["source"]):
            entry["source"] = _relative_to(entry["source"], out)
    text = _toml(plan)
    plan_path = out / "plan.toml"
    checked = parse_plan(text, str(plan_path), base=out)  # every refusal before anything is written
    _check_folder(checked, out)
    _write_plan(plan_path, text)
    outcome = run_and_report(plan_path, out, workers=workers, device=device, stream=stream, executor=executor,
                             address=address)
    return Comparison(out, plan_path, outcome.exit_code, analyze(out), outcome.report)


# -- the plan's entries ------------------------------------------------------------------------
def _task_entry(task: TaskLike) -> dict[str, Any]:
    if isinstance(task, Mapping):
        entry = dict(task)
        if "source" in entry and not isinstance(entry["source"], str):
            entry["source"] = ref_of(entry["source"])
        return entry
    if isinstance(task, str):
        return {"source": task} if ":" in task else {"name": task}
    return {"source": ref_of(task)}


def _schedule_entry(schedule: ScheduleLike, role: str) -> dict[str, Any]:
    if isinstance(schedule, Mapping):
        entry = {**schedule, "role": schedule.get("role", role)}
        if "source" in entry and not isinstance(entry["source"], str):
            entry["source"] = ref_of(entry["source"])
        return entry
    if isinstance(schedule, str):
        return {"source": schedule, "role": role} if ":" in schedule else {"name": schedule, "role": role}
    return {"source": ref_of(schedule), "role": role}


def ref_of(obj: Any) -> str:
    """``"path/to/file.py:name"`` (or ``"package.module:name"``) for a function or class defined at
    the top level of a ``.py`` file; ``ValueError`` saying why not (a notebook cell, a lambda, a
    function inside a function), since the trials' worker processes must load it from a file.

    Example:
        >>> ref_of(ref_of).endswith("lrlab.api:ref_of")
        True
    """
    qualname = getattr(obj, "__qualname__", None)
    module = getattr(obj, "__module__", None)
    if not qualname or not module:
        raise ValueError(f"{obj!r} is not a function or class; pass 'file.py:name' or one of lrlab's names")
    if "<locals>" in qualname or "<lambda>" in qualname:
        raise ValueError(f"{qualname} is defined inside a function (or is a lambda): define it at the top level "
                         "of a .py file, so that the trials' worker processes can load it")
    try:
        file = inspect.getsourcefile(obj)
    except TypeError:
        file = None
    if not file or not Path(file).is_file() or not file.endswith(".py"):
        raise ValueError(f"{qualname} is not defined in a .py file (a notebook cell?): put it in a file beside "
                         f"the notebook, e.g. my_code.py, import it from there, and pass it (or 'my_code.py:{qualname}')")
    spec = importlib.util.find_spec(module) if module != "__main__" and module in sys.modules else None
    packaged = spec is not None and "." in module and spec.origin and Path(spec.origin).resolve() == Path(file).resolve()
    return f"{module}:{qualname}" if packaged else f"{Path(file).resolve()}:{qualname}"


def _attribute(ref: str | None) -> str | None:
    return ref.rpartition(":")[2].rsplit(".", 1)[-1] if ref else None


def _is_file_ref(ref: str) -> bool:
    where = ref.rpartition(":")[0]
    return where.endswith(".py") or "/" in where or "\\" in where


def _relative_to(ref: str, out: Path) -> str:
    """The file of ``ref`` (relative to the working directory) as a path relative to ``out``."""
    where, _, attribute = ref.rpartition(":")
    path = Path(where).expanduser()
    absolute = path if path.is_absolute() else Path.cwd() / path
    return f"{Path(os.path.relpath(absolute.resolve(), out.resolve())).as_posix()}:{attribute}"


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.") or "compare"
    return slug if slug[0].isalnum() else f"s{slug}"


def _toml(plan: dict[str, Any]) -> str:
    from lrlab.report.plan_toml import dump_plan

    header = ("# Written by lrlab.compare(); run it again with the same arguments, or with\n"
              "# `lrlab run plan.toml --out .` in this folder, to resume it.\n")
    return header + dump_plan(plan)


def _check_folder(plan: Any, out: Path) -> None:
    """A folder that holds another plan's study, or another plan.toml, is refused (nothing is written)."""
    from lrlab.study.runner import check_folder

    check_folder(plan, out)
    existing = out / "plan.toml"
    if existing.is_file() and not (out / "study.sqlite").exists():
        from lrlab.study.plan import load_plan

        try:
            same = load_plan(existing).hash == plan.hash
        except ValueError:
            same = False
        if not same:
            raise ValueError(f"{existing}: another plan is there already; pass another out=")


def _write_plan(path: Path, text: str) -> None:
    from lrlab.files import write_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        write_atomic(path, text.encode("utf-8"))


# -- the tables --------------------------------------------------------------------------------
def results_frame(study_dir: str | Path) -> Any:
    """One row per evaluation trial of the study in ``study_dir`` (see :attr:`Comparison.results`)."""
    import pandas as pd

    from lrlab.analysis.collect import load_study

    data = load_study(study_dir, with_epochs=False)
    rows = []
    for t in data.trials:
        row: dict[str, Any] = {"task": t.task, "schedule": t.schedule, "role": t.role, "track": t.track,
                               "seed": t.seed, "status": t.status}
        row.update({f"val_{k}": v for k, v in (t.summary.get("final_val") or {}).items()})
        row.update({f"test_{k}": v for k, v in (t.test or {}).items()})
        row.update({"lr": t.spec.get("lr"), "args": dict(t.spec.get("schedule_args") or {}), "config": t.config,
                    "epochs_run": t.summary.get("epochs_run"), "error": t.error, "trial_id": t.trial_id})
        rows.append(row)
    return pd.DataFrame(rows)


def verdict_frame(analysis: Mapping[str, Any]) -> Any:
    """One row per (task, proposed schedule) of ``analysis["verdict"]`` (see :attr:`Comparison.verdict`)."""
    import pandas as pd

    verdict = analysis["verdict"]
    rows = []
    for entry in verdict["tasks"]:
        recommendation = entry.get("recommendation") or {}
        for row in entry["rows"]:
            out: dict[str, Any] = {"task": entry["task"], "metric": entry["metric"], "schedule": row["schedule"],
                                   "recommended": recommendation.get("schedule"), "decides": verdict["decides"]}
            for track, cell in row["tracks"].items():
                for key in ("verdict", "baseline", "difference", "ci_low", "ci_high", "p_holm", "n", "detectable"):
                    out[f"{track}_{key}"] = cell.get(key)
            out["notes"] = "; ".join(row.get("notes") or [])
            rows.append(out)
    return pd.DataFrame(rows)
