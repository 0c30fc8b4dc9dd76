"""Loading Hugging Face hub data sets and tokenizers, with one clear error when they are not here.

Where a data set comes from, first found wins:

1. ``local_path``: a folder written by ``datasets``' ``save_to_disk``;
2. ``$LRLAB_DATA_DIR/<name>`` (``<name>/<config>`` for a configuration, e.g. ``nyu-mll/glue/sst2``),
   if that folder exists: the same kind of folder, for machines without network;
3. ``datasets.load_dataset(name, config)``: the hub, or its cache (``~/.cache/huggingface``).

Without network (or with ``HF_HUB_OFFLINE=1`` / ``HF_DATASETS_OFFLINE=1``) and without a cached
copy, loading raises :class:`DatasetUnavailable`, a ``ValueError`` whose message is one line
saying what to download and where to put it; the command line prints it as it is. Tokenizers
follow the same order (``local_path``, ``$LRLAB_DATA_DIR/<name>``, the cache, the hub) and
raise :class:`TokenizerUnavailable`.

The splits a task uses come from :func:`train_val_test`: the data set's own validation and test
splits where it has them, else fixed stratified slices of its train split (:mod:`splits`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lrlab.tasks.splits import SPLIT_SEED, stratified_holdout

if TYPE_CHECKING:
    from datasets import Dataset, DatasetDict

DATA_DIR_ENV = "LRLAB_DATA_DIR"
"""Environment variable naming a folder of saved data sets and tokenizers, by hub name."""


class DatasetUnavailable(ValueError):
    """A hub data set that is neither saved locally, nor cached, nor reachable; the message says
    what to download and which local path to pass."""


class TokenizerUnavailable(ValueError):
    """A tokenizer that is neither saved locally, nor cached, nor reachable; the message says
    what to download and which local path to pass."""


def local_copy(name: str, config: str | None = None) -> Path | None:
    """``$LRLAB_DATA_DIR/<name>[/<config>]`` if the variable is set and that folder exists."""
    root = os.environ.get(DATA_DIR_ENV)
    if not root:
        return None
    path = Path(root, name, *([config] if config else []))
    return path if path.is_dir() else None


def source_of(name: str, config: str | None = None, local_path: str | Path | None = None) -> str:
    """Where :func:`load_hub_dataset` would load from: a local folder's path, else ``hub:<name>``.

    Loaders key their in-process caches on it, so that two folders are never mixed up.
    """
    path = Path(local_path) if local_path is not None else local_copy(name, config)
    return str(path.resolve()) if path is not None else f"hub:{name}/{config or ''}"


def _download_line(name: str, config: str | None) -> str:
    arguments = repr(name) + (f", {config!r}" if config else "")
    return f"python -c \"import datasets; datasets.load_dataset({arguments})\""


def load_hub_dataset(
    name: str,
    config: str | None = None,
    *,
    cache_dir: str | Path | None = None,
    local_path: str | Path | None = None,
    splits: tuple[str, ...] | None = None,
) -> DatasetDict:
    """The splits of hub data set ``name`` (configuration ``config``), as a ``DatasetDict``.

    Args:
        name: hub id, e.g. ``"uoft-cs/cifar10"``.
        config: configuration name, e.g. ``"sst2"`` of ``"nyu-mll/glue"``; default none.
        cache_dir: the ``datasets`` cache to read and fill; default ``datasets``' own.
        local_path: a folder written by ``DatasetDict.save_to_disk``; read instead of the hub.
        splits: from the hub, fetch only these splits (a large data set's others are never
            downloaded); default all. A local folder is read whole (memory-mapped, nothing copied).

    Raises:
        DatasetUnavailable: ``local_path`` is not such a folder, or the data set is not cached and
            the hub cannot be reached. The message is one line.

    Example:
        >>> import datasets, tempfile
        >>> folder = tempfile.mkdtemp()
        >>> datasets.DatasetDict({"train": datasets.Dataset.from_dict({"label": [0, 1]})}).save_to_disk(folder)
        >>> load_hub_dataset("any/name", local_path=folder)["train"].num_rows
        2
    """
    import datasets

    path = Path(local_path) if local_path is not None else local_copy(name, config)
    if path is not None:
        try:
            loaded = datasets.load_from_disk(str(path))
        except (OSError, ValueError) as error:  # FileNotFoundError: not a saved data set
            raise DatasetUnavailable(
                f"data set {name!r}: {path} is not a folder written by save_to_disk ({_reason(error)}); "
                f"on a machine with network run {_save_line(name, config)} and pass that folder"
            ) from None
        return loaded if isinstance(loaded, datasets.DatasetDict) else datasets.DatasetDict(train=loaded)
    try:
        cache = None if cache_dir is None else str(cache_dir)
        if splits is None:
            return datasets.load_dataset(name, config, cache_dir=cache)
        loaded = datasets.load_dataset(name, config, cache_dir=cache, split=list(splits))
        return datasets.DatasetDict(zip(splits, loaded, strict=True))
    except _offline_errors() as error:
        where = f"{DATA_DIR_ENV}/{name}" + (f"/{config}" if config else "")
        raise DatasetUnavailable(
            f"data set {name!r}{f' ({config})' if config else ''} is not cached here and the hub "
            f"cannot be reached ({_reason(error)}); on a machine with network run "
            f"{_download_line(name, config)} and copy ~/.cache/huggingface here, or save it with "
            f"{_save_line(name, config)} and set {DATA_DIR_ENV} so that {where} is that folder"
        ) from None


def ensure_hub_dataset(name: str, config: str | None = None) -> None:
    """Make sure :func:`load_hub_dataset` can load ``name`` here: download it if it is neither
    saved locally nor cached and the hub is reachable; else :class:`DatasetUnavailable`.

    Cheap once the data are here (``datasets`` memory-maps its files; nothing is decoded). Run it
    once before starting trials, so that a missing data set stops a study at the door with one
    line, not in every trial, and workers do not download the same files at once.
    """
    load_hub_dataset(name, config)


def _save_line(name: str, config: str | None) -> str:
    arguments = repr(name) + (f", {config!r}" if config else "")
    return f"datasets.load_dataset({arguments}).save_to_disk(FOLDER)"


def from_pretrained(auto_class: Any, name: str, *, local_path: str | Path | None = None,
                    what: str = "model", unavailable: type[ValueError] = ValueError,
                    **kwargs: Any) -> Any:
    """``auto_class.from_pretrained`` of ``name``: from ``local_path`` if given, else a local folder
    for ``name`` (the name itself, ``$LRLAB_DATA_DIR/<name>``, a packaged model:
    :func:`~lrlab.tasks.pretrained.resolve_pretrained`), else the cache, else the hub.

    The one place that loads models, tokenizers and processors; where none of those has ``name``,
    it raises ``unavailable`` with one line saying what to download and where to put it.
    """
    path = Path(local_path) if local_path is not None else None
    if path is None:
        from lrlab.tasks.pretrained import resolve_pretrained

        resolved = Path(resolve_pretrained(name))
        path = resolved if resolved.is_dir() else None
    try:
        if path is not None:
            return auto_class.from_pretrained(str(path), local_files_only=True, **kwargs)
        try:  # the cache first: no network round trip when it is there
            return auto_class.from_pretrained(name, local_files_only=True, **kwargs)
        except _offline_errors():
            return auto_class.from_pretrained(name, **kwargs)
    except (*_offline_errors(), ValueError) as error:
        raise unavailable(
            f"{what} {name!r} is not {f'in {path}' if path else 'cached here'} and the hub cannot "
            f"be reached ({_reason(error)}); on a machine with network run python -c \"import "
            f"transformers; transformers.{auto_class.__name__}.from_pretrained({name!r})"
            f".save_pretrained(FOLDER)\" and pass that folder, or copy it to {DATA_DIR_ENV}/{name}"
        ) from None


def load_tokenizer(name: str, *, local_path: str | Path | None = None) -> Any:
    """A ``transformers`` tokenizer by hub name, from a local folder, the cache, or the hub.

    Args:
        name: hub id, e.g. ``"bert-base-uncased"``, or a folder.
        local_path: a folder written by ``save_pretrained``; default ``$LRLAB_DATA_DIR/<name>``
            where that folder exists.

    Raises:
        TokenizerUnavailable: none of these has it. The message is one line.
    """
    from transformers import AutoTokenizer

    return from_pretrained(AutoTokenizer, name, local_path=local_path, what="tokenizer",
                           unavailable=TokenizerUnavailable)


def _offline_errors() -> tuple[type[BaseException], ...]:
    """What ``datasets``, ``huggingface_hub`` and ``transformers`` raise when a file is neither
    cached nor downloadable: ``ConnectionError`` (``OfflineModeIsEnabled`` included),
    ``FileNotFoundError`` (``DatasetNotFoundError``, ``LocalEntryNotFoundError``) and the other
    ``OSError``\\ s; ``httpx``'s transport errors where ``huggingface_hub`` lets one through."""
    errors: tuple[type[BaseException], ...] = (OSError,)
    try:
        import httpx

        errors += (httpx.TransportError,)
    except ImportError:  # older huggingface_hub: requests' errors are OSErrors
        pass
    return errors


def _reason(error: BaseException) -> str:
    """The error's first line, with its type: the cause, kept short for a one-line message."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else 'no message'}"


def train_val_test(
    data: DatasetDict,
    label: str,
    *,
    val_split: str | None = "validation",
    test_split: str = "test",
    val_fraction: float = 0.1,
    test_fraction: float = 0.2,
) -> tuple[Dataset, Dataset, Dataset]:
    """The train, validation and test ``Dataset``\\ s a task uses.

    Validation: the split ``val_split`` if the data set has it, else a stratified
    ``val_fraction`` of train. Test: the split ``test_split`` if it has it, else a stratified
    ``test_fraction`` of train (taken first, before the validation slice). The slices use the
    fixed ``SPLIT_SEED``, so every trial of every study sees the same examples.

    Args:
        data: the loaded splits; ``"train"`` must be one.
        label: the label column (stratification).
        val_split: name of the data set's own validation split; None: always slice train
            (e.g. SST-2, whose validation split serves as its test split).
        test_split: name of the data set's own test split.
        val_fraction: share of train held out for validation when sliced, in (0, 1).
        test_fraction: share of train held out for test when sliced, in (0, 1).
    """
    if "train" not in data:
        raise ValueError(f"the data set has no 'train' split; it has {sorted(data)}")
    train = data["train"]
    if test_split in data:
        test = data[test_split]
    else:
        kept, held_out = stratified_holdout(_labels(train, label), test_fraction, SPLIT_SEED)
        train, test = train.select(kept), train.select(held_out)
    if val_split is not None and val_split in data:
        return train, data[val_split], test
    kept, held_out = stratified_holdout(_labels(train, label), val_fraction, SPLIT_SEED)
    return train.select(kept), train.select(held_out), test


def _labels(split: Dataset, label: str) -> np.ndarray:
    return np.asarray(split.with_format("numpy")[label])


def check_columns(split: Dataset, expected: dict[str, str], name: str) -> None:
    """``ValueError`` naming the missing columns of ``split`` and what each should hold."""
    missing = [column for column in expected if column not in split.column_names]
    if missing:
        wanted = ", ".join(f"{column} ({expected[column]})" for column in missing)
        raise ValueError(f"data set {name!r} lacks column(s) {wanted}; it has {split.column_names}")
