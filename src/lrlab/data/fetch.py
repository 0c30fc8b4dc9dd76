"""Fetching a data set into the cache (sources in order, every file checked), knowing whether it
is there, and handing its folder to a loader only when every file is whole.

* :func:`status`: each file of a data set here, missing or corrupt;
* :func:`require`: the folder of a data set whose files are all here and whole, for a loader
  (never downloads); else a one-line :class:`DataUnavailable` or
  :class:`~lrlab.data.checksums.ChecksumMismatch` naming ``lrlab data fetch NAME``;
* :func:`fetch`: download what is missing, trying each source in turn, with progress;
* :func:`ensure`: :func:`require`, fetching first where something is missing or corrupt; what a
  study runs once per task before any trial.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lrlab.data.archives import ArchiveError, archive_member
from lrlab.data.cache import DOWNLOADS, data_dir, write_atomic
from lrlab.data.catalog import DATASETS, get_dataset
from lrlab.data.checksums import ChecksumMismatch, check_bytes, sha256_file
from lrlab.data.convert import ConversionError
from lrlab.data.download import SourceFailed, download, host_of
from lrlab.data.progress import Progress, Quiet, Shown
from lrlab.data.sources import DataFile, DataSet, Source


class DataUnavailable(ValueError):
    """A data set that is not in the cache and could not be fetched; the message is one line
    saying what to run."""


@dataclass(frozen=True)
class FileState:
    """One file of a data set in the cache: ``"ok"``, ``"missing"`` or ``"corrupt"``."""

    file: DataFile
    path: Path
    state: str


def folder_of(name: str, root: Path | None = None) -> Path:
    """The cache folder of data set ``name``."""
    return (root or data_dir()) / get_dataset(name).name


def _state(file: DataFile, path: Path) -> str:
    if not path.is_file():
        return "missing"
    if path.stat().st_size != file.size or sha256_file(path) != file.sha256:
        return "corrupt"
    return "ok"


def status(name: str, root: Path | None = None) -> list[FileState]:
    """Each file of data set ``name`` in the cache, checked against its size and SHA-256."""
    folder = folder_of(name, root)
    return [FileState(f, folder / f.name, _state(f, folder / f.name)) for f in get_dataset(name).files]


def present(name: str, root: Path | None = None) -> bool:
    """Whether every file of ``name`` is in the cache and whole (a partial fetch is not)."""
    return all(s.state == "ok" for s in status(name, root))


def _fetch_line(name: str) -> str:
    return f"run `lrlab data fetch {name}` (or `lrlab run`, which fetches what its tasks need)"


def require(name: str, root: Path | None = None) -> Path:
    """The cache folder of ``name`` when every file is there and whole; never downloads.

    Raises:
        DataUnavailable: a file is missing.
        ChecksumMismatch: a file is there but its SHA-256 is not the recorded one; it is not used.
    """
    states = status(name, root)
    corrupt = [s for s in states if s.state == "corrupt"]
    if corrupt:
        raise ChecksumMismatch(f"data set {name!r}: {corrupt[0].path} is corrupt or truncated (its "
                               f"sha256 is not the recorded {corrupt[0].file.sha256[:16]}…) and is not "
                               f"used; {_fetch_line(name)} to fetch it again")
    missing = [s for s in states if s.state == "missing"]
    if missing:
        raise DataUnavailable(f"data set {name!r} is not in {missing[0].path.parent} "
                              f"({', '.join(s.file.name for s in missing)} missing); {_fetch_line(name)}")
    return folder_of(name, root)


def _from_source(dataset: DataSet, source: Source, progress: Progress, root: Path,
                 unreachable: set[str]) -> dict[str, bytes]:
    """Every file of ``dataset`` from ``source``, each checked; :class:`SourceFailed` otherwise."""
    artefacts: list[bytes] = []
    for number, artefact in enumerate(source.artefacts):
        host = host_of(artefact.url)
        if host in unreachable:
            raise SourceFailed(f"{host} did not answer earlier")
        label = f"{dataset.name}: {source.label}" + (
            f" [{number + 1}/{len(source.artefacts)}]" if len(source.artefacts) > 1 else "")
        try:
            artefacts.append(download(artefact.url, sha256=artefact.sha256, label=label,
                                      progress=progress, downloads=root / DOWNLOADS))
        except SourceFailed as error:
            if error.unreachable:
                unreachable.add(host)
            raise
    files = {}
    for file in dataset.files:
        member = source.files[file.name]
        artefact = source.artefacts[member.artefact]
        try:
            data = artefacts[member.artefact]
            if member.path is not None:
                data = archive_member(data, artefact.archive or "", member.path)
            if member.convert is not None:
                data = member.convert(data)
            check_bytes(data, file.sha256, file.name)
        except (ArchiveError, ConversionError, ChecksumMismatch) as error:
            raise SourceFailed(str(error)) from None
        files[file.name] = data
    return files


def fetch(names: Iterable[str], *, progress: Progress | None = None, root: Path | None = None,
          force: bool = False) -> list[Path]:
    """Fetch each data set of ``names`` (``"all"``: every one) into the cache, unless it is
    already there and whole (``force``: fetch again anyway). Sources are tried in order; a host
    that did not answer is not asked again within this call. Every file is checked against its
    recorded SHA-256 before it is written (atomically).

    Returns:
        The data sets' folders.

    Raises:
        DataUnavailable: no source of a data set could be reached or gave the recorded bytes; the
            message is one line with each source's reason and what to do.
    """
    wanted = list(DATASETS) if "all" in names else list(dict.fromkeys(names))
    datasets = [get_dataset(name) for name in wanted]
    progress = progress or Shown()
    root = root or data_dir()
    unreachable: set[str] = set()
    folders = []
    for dataset in datasets:
        folder = root / dataset.name
        if not force and present(dataset.name, root):
            progress.note(f"{dataset.name}: already in {folder}")
            folders.append(folder)
            continue
        reasons = []
        for source in dataset.sources:
            try:
                files = _from_source(dataset, source, progress, root, unreachable)
            except SourceFailed as error:
                reasons.append(f"{source.label}: {error}")
                progress.note(f"{dataset.name}: {source.label}: {error}; trying the next source"
                              if source is not dataset.sources[-1] else
                              f"{dataset.name}: {source.label}: {error}")
                continue
            for name, data in files.items():
                write_atomic(folder / name, data)
            progress.note(f"{dataset.name}: {len(files)} file(s), {dataset.size / 1e6:.1f} MB, "
                          f"sha256 checked, in {folder} (from {source.label})")
            break
        else:
            raise DataUnavailable(
                f"data set {dataset.name!r} could not be fetched ({'; '.join(reasons)}); check this "
                f"machine's network or proxy and run `lrlab data fetch {dataset.name}` again, or copy "
                f"its files (`lrlab data ls` lists them with their sha256) into {folder}")
        folders.append(folder)
    return folders


def ensure(name: str, *, progress: Progress | None = None, root: Path | None = None) -> Path:
    """The cache folder of ``name``, fetched first (with ``progress``, default shown on standard
    error) where a file is missing or corrupt. What ``lrlab run`` calls, once, before any trial.

    Example:
        >>> ensure("letter").name  # doctest: +SKIP
        'letter'
    """
    if not present(name, root):
        fetch([name], progress=progress or Shown(), root=root)
    return require(name, root)


__all__ = ["DataUnavailable", "FileState", "Quiet", "ensure", "fetch", "folder_of", "present",
           "require", "status"]
