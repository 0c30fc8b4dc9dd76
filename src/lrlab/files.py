"""Files written whole or not at all, and what to say when the disk refuses.

Every file lrlab writes goes to a temporary name beside its final one (same folder, so the same
file system) and is renamed over it only once complete: a crash, a kill or a full disk never
leaves a half file where a good one was. This module imports nothing of lrlab, so that every
part of it (the data cache, checkpoints, the store, reports, ``lrlab plan``) can use it.

Example::

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_atomic(folder / "report.md", b"# Report\\n")
    >>> with atomic_path(folder / "data.bin") as temporary:   # for writers that want a path
    ...     _ = temporary.write_bytes(b"\\x00\\x01")
    >>> sorted(p.name for p in folder.iterdir())
    ['data.bin', 'report.md']
"""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

#: errno values that say the machine, not the program, failed: a retry after fixing it may succeed.
ENVIRONMENT_ERRNOS = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "file size limit exceeded",
    errno.EIO: "I/O error",
    errno.EROFS: "read-only file system",
    errno.ENOMEM: "out of memory",
}


class WriteError(OSError):
    """A file could not be written; the message says why and that the previous file is unchanged."""

    def __str__(self) -> str:
        return str(self.strerror)


def is_environmental(error: BaseException) -> bool:
    """Whether ``error`` is the machine failing (disk full, I/O error, ...) rather than the code."""
    return isinstance(error, OSError) and error.errno in ENVIRONMENT_ERRNOS


def what_happened(error: OSError) -> str:
    """``disk full (ENOSPC)``, ``permission denied (EACCES)``, ...: an OS error in a few words."""
    name = errno.errorcode.get(error.errno or 0, "")
    words = ENVIRONMENT_ERRNOS.get(error.errno or 0) or (error.strerror or type(error).__name__).lower()
    return f"{words} ({name})" if name else words


def temporary_path(final: Path) -> Path:
    """A fresh, empty file beside ``final`` (same file system, so the rename is atomic), named
    so that it is never taken for ``final``: ``.<name>.<random>.part``. Its permissions are
    those of any new file (the umask's), not ``mkstemp``'s owner-only ones."""
    final.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(100):
        path = final.parent / f".{final.name}.{secrets.token_hex(4)}.part"
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return path
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(final))


@contextmanager
def atomic_path(final: str | Path, *, fsync: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``final``; when the block ends, rename it over ``final``.

    If the block raises, the temporary file is removed and ``final`` is left as it was; an
    ``OSError`` (a full disk, ...) comes out as :class:`WriteError` naming ``final``. ``fsync``
    (default) flushes the file and the folder to disk first, so that the new file survives a
    power cut whole; leave it off only for files whose loss costs nothing but time.
    """
    final = Path(final)
    try:
        temporary = temporary_path(final)
    except OSError as error:
        raise _write_error(error, final) from None
    try:
        yield temporary
        if fsync:
            _fsync(temporary)
        os.replace(temporary, final)
    except BaseException as error:
        temporary.unlink(missing_ok=True)
        if isinstance(error, OSError) and not isinstance(error, WriteError):
            raise _write_error(error, final) from None
        raise
    if fsync:  # the rename itself, on disk; the file is in place whatever this says
        with suppress(OSError):
            _fsync(final.parent)


def write_atomic(final: str | Path, data: bytes, *, fsync: bool = True) -> None:
    """Write ``data`` to ``final`` whole or not at all (see :func:`atomic_path`)."""
    with atomic_path(final, fsync=fsync) as temporary, open(temporary, "wb") as handle:
        handle.write(data)


def publish(staged: str | Path, final: str | Path, *, fsync: bool = True) -> None:
    """Put a complete file made elsewhere on the same file system (a staging folder beside
    ``final``) in place of ``final``, by one rename; for sets of files made first and put in
    place only once all of them are whole."""
    staged, final = Path(staged), Path(final)
    try:
        if fsync:
            _fsync(staged)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, final)
    except OSError as error:
        raise _write_error(error, final) from None


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _write_error(error: OSError, final: Path) -> WriteError:
    return WriteError(error.errno, f"{what_happened(error)} while writing {final}; the previous file, "
                                   "if any, is unchanged", str(final))
