"""One writer per study folder: an exclusive lock held for a command's whole life.

``lrlab run`` (study and report), ``lrlab report`` and ``lrlab reproduce`` hold the lock of the
folder they write; a second one refuses in one line naming the holder (command, pid, host,
since when). The lock is ``fcntl.flock`` on ``<folder>/study.lock``: the operating system
releases it when its process ends however it ends (SIGKILL included), so a lock left by a dead
process is simply taken over, and the note left in the file by that process says whose it
was. Readers (``status``, ``ls``, ``export``) take no lock. On a network file system the lock
holds across machines where the file system supports ``flock`` (NFSv4 does; an NFS mount with
``nolock`` does not).

The lock is re-entrant within a process: ``lrlab run`` holds it over the study and the report,
and each of those takes it again.

Example::

    with study_lock(Path("runs/tiny")):
        ...  # only this process writes runs/tiny
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from lrlab.errors import FolderInUse
from lrlab.files import WriteError, what_happened

LOCK_NAME = "study.lock"

# The folders this process holds, with the open lock file and how many times it was taken:
# flock belongs to an open file, so taking it again here must reuse that file, not open another.
_held: dict[Path, list[int]] = {}


@contextmanager
def study_lock(folder: str | Path, stream: TextIO | None = None) -> Iterator[None]:
    """Hold ``folder``'s lock (creating the folder) while the block runs.

    Raises:
        FolderInUse: another process holds it; the message names that process.
        OSError: the folder cannot be written (read-only media, permissions).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    key = folder.resolve()
    if key in _held:
        _held[key][1] += 1
        try:
            yield
        finally:
            _held[key][1] -= 1
        return
    descriptor = _acquire(folder, stream or sys.stderr)
    _held[key] = [descriptor, 1]
    try:
        yield
    finally:
        del _held[key]
        _release(descriptor)


def another_writer(folder: str | Path) -> bool:
    """Whether the lock file holds the note of a process other than this one: a run at work in
    ``folder``, or one that was killed there."""
    folder = Path(folder)
    lock = folder / LOCK_NAME
    return folder.resolve() not in _held and lock.exists() and lock.stat().st_size > 0


def _acquire(folder: Path, stream: TextIO) -> int:
    try:
        descriptor = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise WriteError(error.errno, f"{folder}: cannot write there ({what_happened(error)})", str(folder)) from None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _read(descriptor)
        os.close(descriptor)
        raise FolderInUse(f"{folder}: in use by {_describe(holder)}; only one lrlab writes a study folder at "
                          "a time: wait for it to end, or use another folder") from None
    except BaseException:
        os.close(descriptor)
        raise
    left = _read(descriptor)
    if left:  # a holder that ended without releasing: killed, or its machine went down
        print(f"note: {folder}: took over the lock left by {_describe(left)}, which is no longer running",
              file=stream)
    note = {"command": _command_line(), "pid": os.getpid(), "host": socket.gethostname(),
            "since": time.strftime("%Y-%m-%d %H:%M:%S")}
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, (json.dumps(note) + "\n").encode(), 0)
    return descriptor


def _command_line() -> str:
    """This process's command, as the user typed it where it is lrlab's (``lrlab run x.toml``)."""
    program = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"
    if program in ("lrlab", "cli.py", "__main__.py"):
        program = "lrlab"
    line = " ".join([program, *sys.argv[1:]])
    return line if len(line) <= 160 else line[:157] + "..."


def _release(descriptor: int) -> None:
    try:
        os.ftruncate(descriptor, 0)  # an empty lock file: released cleanly (a note left means killed)
    finally:
        os.close(descriptor)  # closing releases the flock


def _read(descriptor: int) -> dict[str, Any]:
    raw = os.pread(descriptor, 4096, 0)
    try:
        note = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return {"unreadable": raw[:60]} if raw.strip() else {}
    return note if isinstance(note, dict) else {"unreadable": raw[:60]}


def _describe(note: dict[str, Any]) -> str:
    if not note:
        return "another lrlab process (starting up)"
    if "unreadable" in note:
        return f"another process (its note in {LOCK_NAME} is not lrlab's: {note['unreadable']!r})"
    return (f"`{note.get('command', 'lrlab')}` (pid {note.get('pid', '?')} on {note.get('host', '?')}, "
            f"since {note.get('since', '?')})")
