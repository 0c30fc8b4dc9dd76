"""Small artefacts in the real formats the registries serve, built here: a Debian package (``ar``
holding ``control.tar.xz`` and ``data.tar.xz``), a wheel (a zip), an R data file (XDR
serialisation, gzip-compressed, as R's ``save()`` writes it)."""

from __future__ import annotations

import gzip
import io
import struct
import tarfile
import zipfile


def _tar_xz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:xz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo("./" + name.removeprefix("./"))
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _ar(members: dict[str, bytes]) -> bytes:
    out = bytearray(b"!<arch>\n")
    for name, data in members.items():
        out += (name.encode().ljust(16) + b"0".ljust(12) + b"0".ljust(6) + b"0".ljust(6)
                + b"100644".ljust(8) + str(len(data)).encode().ljust(10) + b"`\n")
        out += data + (b"\n" if len(data) % 2 else b"")
    return bytes(out)


def make_deb(files: dict[str, bytes]) -> bytes:
    """A Debian package installing ``files`` (paths without the leading ``/``)."""
    control = _tar_xz({"control": b"Package: fixture\nVersion: 1\nArchitecture: all\n"})
    return _ar({"debian-binary": b"2.0\n", "control.tar.xz": control, "data.tar.xz": _tar_xz(files)})


def make_zip(files: dict[str, bytes]) -> bytes:
    """A zip archive (a wheel's format) of ``files``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def make_tar_gz(files: dict[str, bytes]) -> bytes:
    """A gzip-compressed tar archive (a CRAN source package's format) of ``files``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


# -- R's XDR serialisation (version 2), enough for a data frame of a factor and numbers ---------
LISTSXP, SYMSXP, CHARSXP, INTSXP, REALSXP, STRSXP, VECSXP, NILVALUE = 2, 1, 9, 13, 14, 16, 19, 254
IS_OBJECT, HAS_ATTR, HAS_TAG, ASCII = 1 << 8, 1 << 9, 1 << 10, 64 << 12
NA_INTEGER = -(2 ** 31)


def _int(value: int) -> bytes:
    return struct.pack(">i", value)


def _chars(text: str) -> bytes:
    data = text.encode("ascii")
    return _int(CHARSXP | ASCII) + _int(len(data)) + data


def _symbol(name: str) -> bytes:
    return _int(SYMSXP) + _chars(name)


def _strings(values: list[str]) -> bytes:
    return _int(STRSXP) + _int(len(values)) + b"".join(_chars(v) for v in values)


def _attributes(pairs: list[tuple[str, bytes]]) -> bytes:
    out = b"".join(_int(LISTSXP | HAS_TAG) + _symbol(tag) + value for tag, value in pairs)
    return out + _int(NILVALUE)


def make_letter_rda(rows: list[tuple[str, list[int]]], name: str = "LetterRecognition") -> bytes:
    """``save(LetterRecognition, file=...)`` of a data frame like mlbench's: the factor ``lettr``
    (levels A..Z) and 16 numeric columns."""
    levels = [chr(ord("A") + i) for i in range(26)]
    codes = b"".join(_int(levels.index(letter) + 1) for letter, _ in rows)
    factor = (_int(INTSXP | IS_OBJECT | HAS_ATTR) + _int(len(rows)) + codes
              + _attributes([("levels", _strings(levels)), ("class", _strings(["factor"]))]))
    columns = [factor] + [
        _int(REALSXP) + _int(len(rows)) + b"".join(struct.pack(">d", float(values[j])) for _, values in rows)
        for j in range(16)]
    names = ["lettr"] + [f"f{j}" for j in range(16)]
    frame = (_int(VECSXP | IS_OBJECT | HAS_ATTR) + _int(len(columns)) + b"".join(columns)
             + _attributes([("names", _strings(names)),
                            ("row.names", _int(INTSXP) + _int(2) + _int(NA_INTEGER) + _int(-len(rows))),
                            ("class", _strings(["data.frame"]))]))
    body = (b"X\n" + _int(2) + _int(0x040201) + _int(0x020300)
            + _int(LISTSXP | HAS_TAG) + _symbol(name) + frame + _int(NILVALUE))
    return gzip.compress(b"RDX2\n" + body)
