"""Turning what a source serves into the file the cache keeps, so that every source of a data set
yields the same bytes, checked against one recorded SHA-256.

* :func:`gunzip`: Zalando serves Fashion-MNIST gzip-compressed, and so does Debian, but
  compressed anew: the compressed bytes differ, the images do not. The cache keeps the images.
* :func:`letter_csv` and :func:`letter_csv_from_rda`: UCI serves Letter Recognition as a text
  file, CRAN and Debian's ``r-cran-mlbench`` as an R data frame. Both are written out as UCI's
  own format (one ``letter,16 integers`` line per example, in the original order).
"""

from __future__ import annotations

import gzip
import io
import string
import tempfile
import warnings
import zlib
from pathlib import Path

LETTER_FEATURES = 16


class ConversionError(ValueError):
    """What a source served is not what it should hold."""


def gunzip(data: bytes) -> bytes:
    """The uncompressed bytes of a gzip file.

    Example:
        >>> gunzip(gzip.compress(b"idx"))
        b'idx'
    """
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:
        raise ConversionError(f"not a whole gzip file ({error})") from None


def _letter_line(letter: str, values: list[int], row: int) -> str:
    if letter not in string.ascii_uppercase or len(values) != LETTER_FEATURES \
            or any(not 0 <= v <= 15 for v in values):
        raise ConversionError(f"row {row}: expected a letter A-Z and 16 integers in 0..15")
    return ",".join([letter, *map(str, values)])


def letter_csv(data: bytes) -> bytes:
    """UCI's ``letter-recognition.data`` written out again, one ``\\n``-terminated line per row
    (so that a copy with other line endings still gives the recorded bytes).

    Example:
        >>> letter_csv(b"T,2,8,3,5,1,8,13,0,6,6,10,8,0,8,0,8\\r\\n")
        b'T,2,8,3,5,1,8,13,0,6,6,10,8,0,8,0,8\\n'
    """
    lines = []
    for row, line in enumerate(data.decode("ascii", errors="replace").splitlines()):
        if not line.strip():
            continue
        fields = line.strip().split(",")
        try:
            values = [int(v) for v in fields[1:]]
        except ValueError:
            raise ConversionError(f"row {row}: not integers: {line[:60]!r}") from None
        lines.append(_letter_line(fields[0], values, row))
    return ("\n".join(lines) + "\n").encode("ascii")


def letter_csv_from_rda(data: bytes) -> bytes:
    """mlbench's ``LetterRecognition.rda`` (an R data frame: the factor ``lettr`` and 16 numeric
    columns) as UCI's text file. Needs the package ``rdata``."""
    try:
        import rdata
    except ImportError:
        raise ConversionError("reading R data needs the package rdata (pip install rdata)") from None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "LetterRecognition.rda")
        path.write_bytes(data)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "Unknown encoding. Assumed ASCII.": it is ASCII
                frame = rdata.read_rda(path)["LetterRecognition"]
        except Exception as error:  # rdata raises many kinds on a bad file
            raise ConversionError(f"not mlbench's LetterRecognition ({type(error).__name__}: {error})") from None
    if frame.shape[1] != 1 + LETTER_FEATURES:
        raise ConversionError(f"LetterRecognition has {frame.shape[1]} columns; expected 17")
    out = io.StringIO()
    for row, values in enumerate(frame.itertuples(index=False)):
        numbers = [float(v) for v in values[1:]]
        if any(v != int(v) for v in numbers):
            raise ConversionError(f"row {row}: non-integer feature")
        out.write(_letter_line(str(values[0]), [int(v) for v in numbers], row) + "\n")
    return out.getvalue().encode("ascii")
