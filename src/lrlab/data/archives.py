"""Reading one member out of the archives that package registries serve, with the standard
library only: a Debian package (an ``ar`` archive holding ``data.tar.xz``), a wheel (a zip), a
source tarball (``.tar.gz``). Nothing is unpacked to disk."""

from __future__ import annotations

import io
import tarfile
import zipfile

AR_MAGIC = b"!<arch>\n"
AR_HEADER = 60  # bytes of each member's header


class ArchiveError(ValueError):
    """An archive that is not of its kind, or lacks the member asked for."""


def ar_members(data: bytes) -> dict[str, bytes]:
    """The members of an ``ar`` archive (the format of a ``.deb``), by name.

    Example:
        >>> body = b"2.0\\n"
        >>> header = b"debian-binary/".ljust(16) + b"0".ljust(32) + str(len(body)).encode().ljust(10) + b"`\\n"
        >>> ar_members(AR_MAGIC + header + body)
        {'debian-binary': b'2.0\\n'}
    """
    if not data.startswith(AR_MAGIC):
        raise ArchiveError("not an ar archive (a .deb starts with '!<arch>')")
    members, position = {}, len(AR_MAGIC)
    while position + AR_HEADER <= len(data):
        header = data[position:position + AR_HEADER]
        if header[58:60] != b"`\n":
            raise ArchiveError(f"ar archive: bad member header at byte {position}")
        name = header[:16].decode("ascii").strip().rstrip("/")
        size = int(header[48:58].decode("ascii").strip())
        start = position + AR_HEADER
        if start + size > len(data):
            raise ArchiveError(f"ar archive: member {name!r} is truncated")
        members[name] = data[start:start + size]
        position = start + size + (size % 2)  # members are aligned to even offsets
    return members


def tar_member(data: bytes, member: str) -> bytes:
    """One file of a (compressed) tar archive; ``./`` before its name is optional."""
    wanted = {member.removeprefix("./"), "./" + member.removeprefix("./")}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
            for info in archive:
                if info.name in wanted and info.isfile():
                    extracted = archive.extractfile(info)
                    if extracted is not None:
                        return extracted.read()
    except (tarfile.TarError, EOFError, OSError) as error:
        raise ArchiveError(f"tar archive: {error}") from None
    raise ArchiveError(f"tar archive has no file {member!r}")


def deb_member(data: bytes, member: str) -> bytes:
    """One file that the Debian package ``data`` installs, e.g.
    ``usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz``."""
    members = ar_members(data)
    payload = next((members[name] for name in members if name.startswith("data.tar")), None)
    if payload is None:
        raise ArchiveError(f"Debian package without data.tar.*; it has {sorted(members)}")
    return tar_member(payload, member)


def zip_member(data: bytes, member: str) -> bytes:
    """One file of a zip archive (a wheel)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.read(member)
    except KeyError:
        raise ArchiveError(f"zip archive has no file {member!r}") from None
    except zipfile.BadZipFile as error:
        raise ArchiveError(f"not a zip archive: {error}") from None


def archive_member(data: bytes, kind: str, member: str) -> bytes:
    """``member`` of an archive of ``kind``: ``"deb"``, ``"zip"`` (a wheel) or ``"tar"``."""
    readers = {"deb": deb_member, "zip": zip_member, "tar": tar_member}
    if kind not in readers:
        raise ValueError(f"unknown archive kind {kind!r}; known: {sorted(readers)}")
    return readers[kind](data, member)
