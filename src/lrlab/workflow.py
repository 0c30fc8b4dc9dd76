"""What ``lrlab run`` does: run a study, then write its report beside its store."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from lrlab.errors import ENVIRONMENT, INTERRUPTED, OK, TERMINATED, TRIALS_FAILED
from lrlab.study.lock import study_lock
from lrlab.study.runner import StudyOutcome, prepare_run, run_prepared


@dataclass
class Outcome:
    """The study's outcome and the report files written (none when the run was interrupted or
    left trials to retry)."""

    study: StudyOutcome
    report: list[Path] = field(default_factory=list)

    @property
    def interrupted(self) -> bool:
        return self.study.interrupted

    @property
    def exit_code(self) -> int:
        """What the ``lrlab`` command exits with (see README's command line): 0 every trial ended
        and none failed; 1 the study is reported but trials failed; 75 the environment stopped
        trials (run again); 130 Ctrl-C, 143 SIGTERM."""
        if self.study.interrupted:
            return TERMINATED if self.study.stopped_by == "SIGTERM" else INTERRUPTED
        if self.study.retry:
            return ENVIRONMENT
        return TRIALS_FAILED if self.study.counts.get("failed") else OK


def run_and_report(plan: str | Path | None = None, out: str | Path | None = None, workers: int | None = None,
                   device: str = "auto", stream: TextIO | None = None, executor: str = "local",
                   address: str | None = None, retry_failed: bool = False) -> Outcome:
    """Run ``plan`` (default: the shipped default study) into ``out``, then write its report there.

    The study folder's lock is held from before the study until the report is written. An
    interrupted run writes no report (run the same command again to finish and report), nor does
    one that the environment stopped trials of (they run again next time); a run whose trials
    failed or diverged does, and lists them. Says on ``stream`` (default stderr) where report.md
    and report.html are. ``executor`` (``local`` or ``ray``) and ``address`` say where trials run
    (see :func:`~lrlab.study.runner.run_study`); ``retry_failed`` runs failed trials again.
    """
    from lrlab.report import write_report
    from lrlab.report.write import verdict_lines

    stream = stream or sys.stderr
    request = prepare_run(plan, out, device=device, executor=executor, address=address)
    with study_lock(request.out, stream):
        study = run_prepared(request, workers=workers, stream=stream, executor=executor, address=address,
                             retry_failed=retry_failed)
        if study.interrupted:
            return Outcome(study)
        if study.retry:
            print("no report yet: it is written once no trial is left to retry", file=stream)
            return Outcome(study)
        written = write_report(study.out_dir)
    for line in verdict_lines(study.out_dir):
        print(f"verdict: {line}", file=stream)
    for path in written:
        if path.suffix in (".md", ".html"):
            print(f"report: {path}", file=stream)
    return Outcome(study, written)
