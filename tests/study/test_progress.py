"""The live progress bar: its count is of trials that ended, so it reads N/N only once none runs."""

from __future__ import annotations

import io
import re

from rich.console import Console

from lrlab.study.progress import StudyProgress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def shown(progress: StudyProgress) -> tuple[str, str]:
    """(the count, the number running) as the bar draws them now."""
    assert progress.bar is not None
    screen = Console(file=io.StringIO(), width=150, color_system=None)
    screen.print(progress.bar.make_tasks_table(progress.bar.tasks))
    text = screen.file.getvalue()
    return re.search(r"(\d+)/2", text).group(1), re.search(r"running (\d+)", text).group(1)


def test_the_count_is_of_ended_trials_so_the_last_frame_has_nothing_running():
    progress = StudyProgress(2, 0, Terminal())
    progress.started_trial()
    progress.started_trial()
    progress.epoch_done("a", 1.0)  # both trials trained their last epoch; their tests are still running
    progress.epoch_done("b", 1.0)
    assert shown(progress) == ("0", "2")
    progress.finished_trial("a", "completed", "a")
    assert shown(progress) == ("1", "1")
    progress.finished_trial("b", "completed", "b")
    assert shown(progress) == ("2", "0")
    progress.close()
