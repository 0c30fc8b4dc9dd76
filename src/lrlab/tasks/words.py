"""Word-level token ids for the recurrent text models: lower-cased words, a vocabulary built from
the train split only, id 0 padding and id 1 for words outside it.

The BiLSTM of the seed reports reads words through an embedding learned from scratch; a
vocabulary of the task's own words (a few thousand) keeps that embedding small, where a
WordPiece vocabulary of 30,522 ids would make every Adam step update four times the weights.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

import numpy as np

from lrlab.tasks.recurrent import PAD_ID

UNKNOWN_ID = 1
WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]")
"""A word (letters and digits, with an apostrophe ending such as ``'s``) or one other character."""


def words(text: str) -> list[str]:
    """The lower-cased words and punctuation marks of ``text``.

    Example:
        >>> words("It's a GREAT film, isn't it?")
        ["it's", 'a', 'great', 'film', ',', "isn't", 'it', '?']
    """
    return WORD.findall(text.lower())


def word_vocabulary(texts: Iterable[str], min_count: int = 2) -> dict[str, int]:
    """Ids of the words that occur at least ``min_count`` times in ``texts`` (the train split):
    ``2, 3, ...`` by falling count, ties alphabetical, so the same texts give the same ids.

    Example:
        >>> word_vocabulary(["a b a", "b c a"])
        {'a': 2, 'b': 3}
    """
    counts = Counter(word for text in texts for word in words(text))
    kept = sorted((w for w, n in counts.items() if n >= min_count), key=lambda w: (-counts[w], w))
    return {word: i + 2 for i, word in enumerate(kept)}


def word_ids(texts: Iterable[str], vocabulary: dict[str, int], max_length: int) -> np.ndarray:
    """``(n, max_length)`` int64 ids: each text's words (``UNKNOWN_ID`` outside the vocabulary),
    truncated, padded at the end with ``PAD_ID``.

    Example:
        >>> word_ids(["a b z", "b"], {"a": 2, "b": 3}, max_length=4).tolist()
        [[2, 3, 1, 0], [3, 0, 0, 0]]
    """
    rows = [[vocabulary.get(w, UNKNOWN_ID) for w in words(text)][:max_length] for text in texts]
    ids = np.full((len(rows), max_length), PAD_ID, dtype=np.int64)
    for i, row in enumerate(rows):
        ids[i, :len(row)] = row
    return ids
