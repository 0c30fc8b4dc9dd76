"""Live progress of a study: done / running / failed and an ETA, on a terminal or in a log."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class StudyProgress:
    """A rich progress bar on a terminal; one plain line per finished trial elsewhere (CI, logs).

    The bar moves with each epoch of the running trials; the count beside it is of trials that
    ended, so that it reads ``N/N`` only once nothing runs any more.
    """

    def __init__(self, total: int, already_done: int, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.total, self.done, self.running, self.failed, self.diverged = total, already_done, 0, 0, 0
        self.started = time.monotonic()
        self.finished_here = 0
        self.partial: dict[str, float] = {}  # running trial -> fraction of its epochs done
        self.live = self.stream.isatty()
        self.bar: Progress | None = None
        if self.live:
            self.bar = Progress(TextColumn("[bold]trials"), BarColumn(),
                                TextColumn("[green]{task.fields[ended]}/{task.total:.0f}"),
                                TextColumn("{task.fields[status]}"), TimeElapsedColumn(), TextColumn("ETA"),
                                TimeRemainingColumn(), console=Console(file=self.stream), transient=False)
            self.task = self.bar.add_task("study", total=total, completed=already_done, status=self._status(),
                                          ended=already_done)
            self.bar.start()

    def _status(self) -> str:
        return f"running {self.running} · failed {self.failed} · diverged {self.diverged}"

    def eta_seconds(self) -> float | None:
        if self.finished_here == 0:
            return None
        rate = (time.monotonic() - self.started) / self.finished_here
        return rate * (self.total - self.done)

    def started_trial(self) -> None:
        self.running += 1
        self._refresh()

    def epoch_done(self, trial_id: str, fraction: float) -> None:
        """A running trial finished an epoch: move the bar by that fraction of a trial."""
        self.partial[trial_id] = min(1.0, fraction)
        self._refresh()

    def skip(self, count: int) -> None:
        """``count`` trials that became known had ended already (a resumed study)."""
        if count:
            self.done += count
            self._refresh()

    def finished_trial(self, label: str, status: str, trial_id: str = "") -> None:
        self.partial.pop(trial_id, None)
        self.running = max(0, self.running - 1)
        self.done += 1
        self.finished_here += 1
        self.failed += status == "failed"
        self.diverged += status == "diverged"
        if self.live:
            self._refresh()
        else:
            eta = self.eta_seconds()
            eta_text = "" if eta is None else f", ETA {eta:.0f}s"
            print(f"[{self.done}/{self.total}] {label}: {status} (failed {self.failed}, diverged "
                  f"{self.diverged}{eta_text})", file=self.stream, flush=True)

    def _refresh(self) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=self.done + sum(self.partial.values()), status=self._status(),
                            ended=self.done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
