"""What ``lrlab run`` does: run a study, then write its report beside its store."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from lrlab.study.runner import StudyOutcome, run_plan_file


@dataclass
class Outcome:
    """The study's outcome and the report files written (none when the run was interrupted)."""

    study: StudyOutcome
    report: list[Path] = field(default_factory=list)

    @property
    def interrupted(self) -> bool:
        return self.study.interrupted


def run_and_report(plan: str | Path | None = None, out: str | Path | None = None, workers: int | None = None,
                   device: str = "auto", stream: TextIO | None = None, executor: str = "local",
                   address: str | None = None) -> Outcome:
    """Run ``plan`` (default: the shipped default study) into ``out``, then write its report there.

    An interrupted run writes no report (run the same command again to finish and report); a run
    whose trials failed or diverged does, and lists them. Says on ``stream`` (default stderr)
    where report.md and report.html are. ``executor`` (``local`` or ``ray``) and ``address`` say
    where trials run (see :func:`~lrlab.study.runner.run_study`).
    """
    from lrlab.report import write_report
    from lrlab.report.write import verdict_lines

    stream = stream or sys.stderr
    study = run_plan_file(plan, out, workers=workers, device=device, stream=stream, executor=executor,
                          address=address)
    if study.interrupted:
        return Outcome(study)
    written = write_report(study.out_dir)
    for line in verdict_lines(study.out_dir):
        print(f"verdict: {line}", file=stream)
    for path in written:
        if path.suffix in (".md", ".html"):
            print(f"report: {path}", file=stream)
    return Outcome(study, written)
