"""``lrlab data ls``: each data set with its licence, size, sources, files with their SHA-256,
and whether it is here and where."""

from __future__ import annotations

from pathlib import Path

from lrlab.data.catalog import DATASETS
from lrlab.data.fetch import status


def describe_datasets(root: Path | None = None) -> str:
    """One block per data set: name, whether it is here (``present``, ``missing``, ``partial`` or
    ``corrupt``) and where, what it is, licence, size, sources in the order tried, and each file
    with its size, SHA-256 and state.

    Example:
        >>> import tempfile
        >>> print(describe_datasets(Path(tempfile.mkdtemp())).splitlines()[0])  # doctest: +ELLIPSIS
        adult  missing  /tmp/.../adult
    """
    blocks = []
    for name in sorted(DATASETS):
        dataset = DATASETS[name]
        states = status(name, root)
        kinds = {s.state for s in states}
        overall = ("present" if kinds == {"ok"} else "corrupt" if "corrupt" in kinds
                   else "missing" if kinds == {"missing"} else "partial")
        lines = [f"{name}  {overall}  {states[0].path.parent}",
                 f"  {dataset.title}",
                 f"  licence: {dataset.licence}",
                 f"  size:    {dataset.size / 1e6:.1f} MB in {len(dataset.files)} file(s)",
                 "  sources: " + " -> ".join(
                     s.label + (" (canonical)" if s.canonical else "") for s in dataset.sources)]
        lines += [f"  {s.file.name}  {s.file.size} bytes  sha256 {s.file.sha256}  {s.state}"
                  for s in states]
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def fetch_command(names: list[str]) -> int:
    """``lrlab data fetch NAME...|all``: fetch with progress on standard error; 0 when every one
    is here. One-line ``DataUnavailable`` otherwise."""
    from lrlab.data.fetch import fetch

    fetch(names)
    return 0
