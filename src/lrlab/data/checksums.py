"""SHA-256 of files and bytes, and the one-line error for a file whose checksum is not the one
recorded for it."""

from __future__ import annotations

import hashlib
from pathlib import Path

CHUNK = 1 << 20  # bytes hashed at a time (memory only)


class ChecksumMismatch(ValueError):
    """A file or download whose SHA-256 is not the recorded one: corrupt, truncated or another
    version. It is never used; the message is one line saying which file and what to do."""


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``.

    Example:
        >>> sha256_bytes(b"")[:16]
        'e3b0c44298fc1c14'
    """
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of the file at ``path``, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def check_bytes(data: bytes, expected: str, what: str) -> None:
    """:class:`ChecksumMismatch` unless ``data`` hashes to ``expected``; ``what`` names it."""
    actual = sha256_bytes(data)
    if actual != expected:
        raise ChecksumMismatch(f"{what}: sha256 {actual[:16]}… is not the recorded {expected[:16]}… "
                               f"({len(data)} bytes): corrupt, truncated or another version")
