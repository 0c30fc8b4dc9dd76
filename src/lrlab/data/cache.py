"""Where fetched data sets live, and writing there so that a half-written file never counts.

The cache is ``$LRLAB_DATA_DIR`` where that variable is set, else ``$XDG_CACHE_HOME/lrlab``
(default ``~/.cache/lrlab``). Each data set has a folder named after it, holding its files under
their recorded names. A file is written to a temporary name in the same folder and renamed over
the final name only once it is complete and its checksum matched: a crash, a full disk or a
second process fetching at the same time never leaves a partial file under a name that counts.
"""

from __future__ import annotations

import os
from pathlib import Path

from lrlab.files import temporary_path, write_atomic

__all__ = ["DATA_DIR_ENV", "DOWNLOADS", "data_dir", "temporary_path", "write_atomic"]

DATA_DIR_ENV = "LRLAB_DATA_DIR"
"""Environment variable naming the data folder (shared with the hub tasks' saved copies)."""

DOWNLOADS = ".downloads"
"""The folder under the cache root where downloads are kept while they are being read."""


def data_dir() -> Path:
    """The cache root: ``$LRLAB_DATA_DIR``, else ``$XDG_CACHE_HOME/lrlab`` or ``~/.cache/lrlab``.

    Example:
        >>> import os
        >>> os.environ["LRLAB_DATA_DIR"] = "/tmp/lrlab-data"
        >>> str(data_dir())
        '/tmp/lrlab-data'
        >>> del os.environ["LRLAB_DATA_DIR"]
    """
    root = os.environ.get(DATA_DIR_ENV)
    if root:
        return Path(root).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache, "lrlab")
