"""What sources serve, turned into the bytes the cache keeps: every route gives the same bytes."""

from __future__ import annotations

import gzip

import pytest

from data.formats import make_letter_rda
from lrlab.data.convert import ConversionError, gunzip, letter_csv, letter_csv_from_rda

ROWS = [("T", [2, 8, 3, 5, 1, 8, 13, 0, 6, 6, 10, 8, 0, 8, 0, 8]),
        ("I", [5, 12, 3, 7, 2, 10, 5, 5, 4, 13, 3, 9, 2, 8, 4, 10]),
        ("Z", [0] * 15 + [15])]
CANONICAL = b"".join(f"{letter},{','.join(map(str, values))}\n".encode() for letter, values in ROWS)


def test_gunzip_gives_the_content_and_refuses_a_truncated_file() -> None:
    assert gunzip(gzip.compress(b"\x00\x00\x08\x01" * 100)) == b"\x00\x00\x08\x01" * 100
    with pytest.raises(ConversionError, match="not a whole gzip file"):
        gunzip(gzip.compress(b"x" * 1000)[:-10])


def test_uci_letters_with_other_line_endings_give_the_canonical_bytes() -> None:
    assert letter_csv(CANONICAL) == CANONICAL
    assert letter_csv(CANONICAL.replace(b"\n", b"\r\n") + b"\r\n") == CANONICAL
    assert letter_csv(CANONICAL.rstrip(b"\n")) == CANONICAL


def test_the_r_data_frame_gives_the_same_bytes_as_uci_text() -> None:
    pytest.importorskip("rdata")
    assert letter_csv_from_rda(make_letter_rda(ROWS)) == CANONICAL


@pytest.mark.parametrize("bad", [b"t,1,2\n", b"T," + b",".join([b"1"] * 15) + b"\n",
                                 b"T," + b",".join([b"16"] * 16) + b"\n", b"T," + b"x," * 15 + b"1\n"])
def test_rows_that_are_not_letters_are_refused(bad: bytes) -> None:
    with pytest.raises(ConversionError, match="row 0"):
        letter_csv(bad)


def test_an_r_file_that_is_not_letter_recognition_is_refused() -> None:
    pytest.importorskip("rdata")
    with pytest.raises(ConversionError, match="not mlbench's LetterRecognition"):
        letter_csv_from_rda(make_letter_rda(ROWS, name="Other"))
    with pytest.raises(ConversionError, match="not mlbench's LetterRecognition"):
        letter_csv_from_rda(gzip.compress(b"RDX2\nX\n\x00\x00"))
