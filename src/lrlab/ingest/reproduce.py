"""``lrlab plan REPORT`` and ``lrlab reproduce REPORT``: read a report, write its plan, run it.

``reproduce`` = plan + run + report: the plan is written into the study folder as ``plan.toml``
and run by :func:`lrlab.workflow.run_and_report`; the report it writes sets the original
report's claimed Results beside the measured ones (from the plan's ``[source]``). Running the
same command again resumes the same study: the plan text is deterministic.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from lrlab.files import write_atomic
from lrlab.ingest.mapping import MappedPlan, map_report
from lrlab.ingest.parse import IngestError, parse_report, read_report
from lrlab.ingest.tasks_map import Budget
from lrlab.study.plan import parse_plan
from lrlab.study.runner import check_folder

if TYPE_CHECKING:
    from lrlab.workflow import Outcome


def map_report_file(report_path: str | Path, budget: Budget = "quick") -> MappedPlan:
    """Parse the report at ``report_path`` and map it onto a plan (the full result)."""
    path = Path(report_path)
    report = read_report(path)
    text = path.read_text(encoding="utf-8-sig")
    return map_report(report, source=str(report_path), budget=budget, report_text=text)


def plan_from_report(report_path: str | Path, budget: Budget = "quick") -> tuple[str, list[str]]:
    """The plan TOML for the report at ``report_path`` and the list of what could not be mapped.

    Raises:
        IngestError: the report is missing, empty, binary or not an experiment report, or
            ``budget`` is not ``"quick"``/``"full"`` (one line, naming the file).
    """
    mapped = map_report_file(report_path, budget)
    return mapped.toml, mapped.warnings


def plan_from_text(text: str, source: str = "<report>", budget: Budget = "quick") -> MappedPlan:
    """The same from report text (for tests and callers that hold the text)."""
    return map_report(parse_report(text, source), source=source, budget=budget, report_text=text)


def write_plan(report_path: str | Path, out_path: str | Path, budget: Budget = "quick",
               stream: TextIO | None = None) -> list[str]:
    """``lrlab plan REPORT -o PLAN``: write the plan, print the one warning (if any) and where it went.

    Returns the warnings. ``out_path`` ``"-"`` writes the plan to ``stream``'s stdout instead.
    """
    stream = stream or sys.stderr
    mapped = map_report_file(report_path, budget)
    if mapped.warning:
        print(mapped.warning, file=stream)
    if str(out_path) == "-":
        sys.stdout.write(mapped.toml)
    else:
        out = Path(out_path)
        if out.is_dir():
            raise IngestError(f"{out}: is a folder; give the plan file's path (e.g. {out / 'plan.toml'})")
        write_atomic(out, mapped.toml.encode("utf-8"))  # whole or not at all, over any earlier plan
        print(f"plan: {out} ({mapped.name}; run it with: lrlab run {out})", file=stream)
    return mapped.warnings


def reproduce(report_path: str | Path, out_dir: str | Path | None = None, budget: Budget = "quick",
              workers: int | None = None, device: str = "auto", stream: TextIO | None = None,
              executor: str = "local", address: str | None = None) -> Outcome:
    """``lrlab reproduce REPORT``: plan, run and report, in ``out_dir`` (default ``runs/<plan name>``).

    The plan goes to ``out_dir/plan.toml``; the study's store and report beside it. ``executor``
    (``local`` or ``ray``) and ``address`` say where trials run, as for ``lrlab run``.
    """
    from lrlab.workflow import run_and_report

    stream = stream or sys.stderr
    mapped = map_report_file(report_path, budget)
    if mapped.warning:
        print(mapped.warning, file=stream)
    out = Path(out_dir) if out_dir is not None else Path("runs") / mapped.name
    check_folder(parse_plan(mapped.toml), out)  # a folder holding another plan's study is refused first
    out.mkdir(parents=True, exist_ok=True)
    plan_path = out / "plan.toml"
    write_atomic(plan_path, mapped.toml.encode("utf-8"))
    print(f"plan: {plan_path}", file=stream)
    return run_and_report(plan_path, out, workers=workers, device=device, stream=stream, executor=executor,
                          address=address)
