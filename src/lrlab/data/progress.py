"""What a fetch shows while it runs: a rich progress bar on a terminal, plain lines elsewhere
(CI, logs), or nothing."""

from __future__ import annotations

import sys
from typing import Protocol, TextIO


class Progress(Protocol):
    """Told what a fetch is doing: one download at a time (``begin``, ``advance``, ``end``) and
    one-line notes (a source that failed, a data set that is ready)."""

    def begin(self, label: str, total: int | None) -> None: ...

    def advance(self, size: int) -> None: ...

    def end(self) -> None: ...

    def note(self, line: str) -> None: ...


class Quiet:
    """Shows nothing."""

    def begin(self, label: str, total: int | None) -> None:
        pass

    def advance(self, size: int) -> None:
        pass

    def end(self) -> None:
        pass

    def note(self, line: str) -> None:
        pass


class Shown:
    """A rich bar per download on a terminal (bytes, speed, time left); elsewhere one line when a
    download starts and one for each note."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self._bar = None
        self._task = None

    def begin(self, label: str, total: int | None) -> None:
        if not self.live:
            size = f" ({total / 1e6:.1f} MB)" if total else ""
            print(f"  downloading {label}{size}", file=self.stream, flush=True)
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self._bar = Progress(TextColumn("  {task.description}"), BarColumn(), DownloadColumn(),
                             TransferSpeedColumn(), TimeRemainingColumn(),
                             console=Console(file=self.stream), transient=True)
        self._task = self._bar.add_task(label, total=total)
        self._bar.start()

    def advance(self, size: int) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, size)

    def end(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = self._task = None

    def note(self, line: str) -> None:
        self.end()
        print(line, file=self.stream, flush=True)
