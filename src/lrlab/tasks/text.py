"""Text classification from the hub: IMDB, SST-2 and AG News, as token-id tensors in memory.

Each text becomes ``MAX_LENGTH`` (128) int64 token ids of a ``transformers`` tokenizer
(default ``bert-base-uncased``): ``[CLS] ... [SEP]``, truncated, padded at the end with id 0
(a tokenizer whose padding id is not 0 has that id and 0 swapped: the embedding is learned
from scratch, so any fixed relabelling of ids is harmless). The tasks' models (``bilstm``,
``lstm_attention``) read them through an embedding of ``TaskData.vocab_size`` rows. The
tokenizer comes from ``$LRLAB_DATA_DIR/<name>``, the cache or the hub (:func:`load_tokenizer`).

Expected schema (the hub's, and that of a folder saved with ``save_to_disk``):

* ``stanfordnlp/imdb``: splits ``train`` (25 000) and ``test`` (25 000) (``unsupervised`` is not
  used); columns ``text`` (``string``) and ``label`` (``ClassLabel``: neg, pos).
* ``nyu-mll/glue``, configuration ``sst2``: splits ``train`` (67 349), ``validation`` (872) and
  ``test`` (1 821, labels all -1, not used); columns ``sentence`` (``string``), ``label``
  (``ClassLabel``: negative, positive) and ``idx``. Its test labels are hidden, so its
  **validation split is the test split** here, and the validation split is a slice of train.
* ``fancyzhx/ag_news``: splits ``train`` (120 000) and ``test`` (7 600); columns ``text``
  (``string``) and ``label`` (``ClassLabel``: World, Sports, Business, Sci/Tech).

Validation: a stratified 10% of train with the fixed ``SPLIT_SEED`` (none of the three has a
labelled validation split of its own to spare).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lrlab.tasks.data import TaskData
from lrlab.tasks.hub import (
    check_columns,
    load_hub_dataset,
    load_tokenizer,
    local_copy,
    train_val_test,
)
from lrlab.tasks.names import BERT_BASE
from lrlab.tasks.recurrent import PAD_ID
from lrlab.tasks.tensors import Arrays, task_data

if TYPE_CHECKING:
    from datasets import Dataset

DEFAULT_TOKENIZER = BERT_BASE
MAX_LENGTH = 128
VAL_FRACTION = 0.1
TOKENIZE_BATCH = 4096  # texts tokenized at a time (memory only)


@dataclass(frozen=True)
class TextSet:
    """What a hub text classification data set is.

    Args:
        hub_id: the data set's id on the hub.
        config: its configuration, or None.
        text_column: the ``string`` column.
        label_column: the ``ClassLabel`` column.
        num_classes: number of classes.
        test_split: the split used as the test split (``"validation"`` for SST-2).
    """

    hub_id: str
    config: str | None
    text_column: str
    label_column: str
    num_classes: int
    test_split: str = "test"


IMDB = TextSet("stanfordnlp/imdb", None, "text", "label", num_classes=2)
SST2 = TextSet("nyu-mll/glue", "sst2", "sentence", "label", num_classes=2, test_split="validation")
AG_NEWS = TextSet("fancyzhx/ag_news", None, "text", "label", num_classes=4)


def token_ids(texts: list[str], tokenizer: Any, max_length: int = MAX_LENGTH) -> np.ndarray:
    """``(n, max_length)`` int64 ids of ``texts``: truncated, padded at the end with ``PAD_ID``.

    Example:
        >>> class Words:  # a stand-in with a tokenizer's interface: padding id 1
        ...     pad_token_id, padding_side = 1, "right"
        ...     def __call__(self, texts, max_length, **kwargs):
        ...         ids = [([2] + [3] * len(t.split()))[:max_length] for t in texts]
        ...         return {"input_ids": [(i + [1] * max_length)[:max_length] for i in ids]}
        >>> token_ids(["a b", "c"], Words(), max_length=4).tolist()
        [[2, 3, 3, 0], [2, 3, 0, 0]]
    """
    pad = tokenizer.pad_token_id
    if pad is None:
        raise ValueError(f"tokenizer {type(tokenizer).__name__} has no padding token")
    tokenizer.padding_side = "right"  # padding last: the models read each text up to its length
    chunks = []
    for start in range(0, len(texts), TOKENIZE_BATCH):
        encoded = tokenizer(texts[start:start + TOKENIZE_BATCH], max_length=max_length,
                            truncation=True, padding="max_length")
        chunks.append(np.asarray(encoded["input_ids"], dtype=np.int64))
    ids = np.concatenate(chunks) if chunks else np.zeros((0, max_length), np.int64)
    if pad != PAD_ID:  # swap the tokenizer's padding id and PAD_ID
        ids = np.where(ids == pad, PAD_ID, np.where(ids == PAD_ID, pad, ids))
    return ids


def _split_arrays(split: Dataset, spec: TextSet, tokenizer: Any, max_length: int) -> Arrays:
    texts = [str(text) for text in split[spec.text_column]]
    labels = np.asarray(split.with_format("numpy")[spec.label_column], dtype=np.int64)
    if len(labels) and (labels.min() < 0 or labels.max() >= spec.num_classes):
        raise ValueError(f"{spec.hub_id}: labels outside [0, {spec.num_classes}) in a split this "
                         "task uses (an unlabelled test split?)")
    return token_ids(texts, tokenizer, max_length), labels


@lru_cache(maxsize=2)
def _prepared(spec: TextSet, local_path: str | None, cache_dir: str | None, tokenizer_name: str,
              tokenizer_path: str | None, max_length: int) -> tuple[tuple[Arrays, ...], int]:
    """The three splits' token ids and labels, and the vocabulary size, once per process."""
    data = load_hub_dataset(spec.hub_id, spec.config, local_path=local_path, cache_dir=cache_dir)
    tokenizer = load_tokenizer(tokenizer_name, local_path=tokenizer_path)
    splits = train_val_test(data, spec.label_column, val_split=None,
                            test_split=spec.test_split, val_fraction=VAL_FRACTION)
    for split in splits:
        check_columns(split, {spec.text_column: "string",
                              spec.label_column: f"ClassLabel, {spec.num_classes} classes"}, spec.hub_id)
    arrays = tuple(_split_arrays(split, spec, tokenizer, max_length) for split in splits)
    return arrays, len(tokenizer)


def load_text_set(
    spec: TextSet,
    *,
    tokenizer: str = DEFAULT_TOKENIZER,
    tokenizer_path: str | Path | None = None,
    max_length: int = MAX_LENGTH,
    local_path: str | Path | None = None,
    cache_dir: str | Path | None = None,
) -> TaskData:
    """The task data of ``spec``: ``(max_length,)`` int64 token ids, fresh tensors on every call.

    Args:
        spec: the data set.
        tokenizer: the tokenizer's hub name; default ``bert-base-uncased``.
        tokenizer_path: a ``save_pretrained`` folder of it; default ``$LRLAB_DATA_DIR/<tokenizer>``
            where that exists, else the cache or the hub.
        max_length: ids per text, at least 2; default 128.
        local_path: a ``save_to_disk`` folder of the data set; default
            ``$LRLAB_DATA_DIR/<hub id>[/<config>]`` where that exists, else the hub and its cache.
        cache_dir: the ``datasets`` cache; default its own.
    """
    if not isinstance(max_length, int) or max_length < 2:
        raise ValueError(f"max_length must be an integer >= 2; got {max_length!r}")
    path = Path(local_path) if local_path is not None else local_copy(spec.hub_id, spec.config)
    tokenizer_folder = Path(tokenizer_path) if tokenizer_path is not None else local_copy(tokenizer)
    arrays, vocab_size = _prepared(
        spec, None if path is None else str(path.resolve()),
        None if cache_dir is None else str(cache_dir), tokenizer,
        None if tokenizer_folder is None else str(tokenizer_folder.resolve()), max_length)
    return task_data(arrays, spec.num_classes, vocab_size=vocab_size)


def ensure_text_set(spec: TextSet, tokenizer: str = DEFAULT_TOKENIZER) -> None:
    """Make sure the data set and the tokenizer of ``spec`` can be loaded here (download them if
    the hub is reachable); else :class:`~lrlab.tasks.hub.DatasetUnavailable` or
    :class:`~lrlab.tasks.hub.TokenizerUnavailable`."""
    load_hub_dataset(spec.hub_id, spec.config)
    load_tokenizer(tokenizer)


def load_imdb(**options: Any) -> TaskData:
    """IMDB movie reviews, positive or negative: 128 token ids, 2 classes."""
    return load_text_set(IMDB, **options)


def load_sst2(**options: Any) -> TaskData:
    """SST-2 sentences, positive or negative: 128 token ids, 2 classes (test = GLUE validation)."""
    return load_text_set(SST2, **options)


def load_ag_news(**options: Any) -> TaskData:
    """AG News headlines and leads: 128 token ids, 4 topics."""
    return load_text_set(AG_NEWS, **options)
