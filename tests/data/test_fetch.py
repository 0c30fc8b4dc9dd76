"""Fetching through a loopback file server (real HTTP, only the internet is left out): sources in
order, checksums, atomic writes, what counts as present, and the one-line errors."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from data.formats import make_deb, make_zip
from data.server import Served, closed_port_url, serve
from lrlab.cli import main
from lrlab.data import (
    DATASETS,
    ChecksumMismatch,
    DataUnavailable,
    ensure,
    fetch,
    present,
    require,
    status,
)
from lrlab.data.convert import gunzip
from lrlab.data.sources import Artefact, DataFile, DataSet, Member, Source

IMAGES = bytes(range(256)) * 64
LABELS = b"\x00\x00\x08\x01\x00\x00\x00\x04\x01\x02\x03\x04"
DEB_PATH = "usr/share/datasets/tiny/"
DEB = make_deb({DEB_PATH + "images.gz": gzip.compress(IMAGES), DEB_PATH + "labels": LABELS})


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


FILES = (DataFile("images", sha(IMAGES), len(IMAGES)), DataFile("labels", sha(LABELS), len(LABELS)))


class Recorder:
    """A progress that keeps what it was told."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self.begun: list[str] = []
        self.bytes = 0

    def begin(self, label: str, total: int | None) -> None:
        self.begun.append(label)

    def advance(self, size: int) -> None:
        self.bytes += size

    def end(self) -> None:
        pass

    def note(self, line: str) -> None:
        self.notes.append(line)


def each(base: str, convert=None) -> tuple[tuple[Artefact, ...], dict[str, Member]]:
    return ((Artefact(f"{base}/images.gz"), Artefact(f"{base}/labels")),
            {"images": Member(artefact=0, convert=convert or gunzip), "labels": Member(artefact=1)})


def register(monkeypatch: pytest.MonkeyPatch, *sources: Source) -> DataSet:
    dataset = DataSet("tiny", "a tiny data set", "MIT", FILES, sources)
    monkeypatch.setitem(DATASETS, "tiny", dataset)
    return dataset


def deb_source(server: Served, sha256: str = sha(DEB)) -> Source:
    return Source("Debian: tiny", False, (Artefact(server.url("/pool/tiny.deb"), sha256, "deb"),),
                  {"images": Member(DEB_PATH + "images.gz", convert=gunzip), "labels": Member(DEB_PATH + "labels")})


@pytest.fixture
def server() -> Iterator[Served]:
    files = {"/pool/tiny.deb": DEB, "/other/images.gz": gzip.compress(IMAGES[::-1]), "/other/labels": LABELS,
             "/truncated/images.gz": gzip.compress(IMAGES), "/truncated/labels": LABELS,
             "/home/images.gz": gzip.compress(IMAGES), "/home/labels": LABELS}
    with serve(files) as served:
        yield served


def test_sources_are_tried_in_order_until_one_gives_the_recorded_bytes(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: Served) -> None:
    register(monkeypatch,
             Source("the home, unreachable", True, *each(closed_port_url("/home"))),
             Source("a home serving other images", True, *each(server.url("/other"))),
             Source("a mirror that stops short", False, *each(server.url("/truncated"))),
             deb_source(server))
    progress = Recorder()
    [folder] = fetch(["tiny"], progress=progress, root=tmp_path)
    assert folder == tmp_path / "tiny"
    assert (folder / "images").read_bytes() == IMAGES and (folder / "labels").read_bytes() == LABELS
    assert present("tiny", tmp_path) and require("tiny", tmp_path) == folder
    reasons = "\n".join(progress.notes)
    assert "the home, unreachable: unreachable" in reasons
    assert "a home serving other images: images: sha256" in reasons  # refused, never written
    assert "a mirror that stops short: truncated" in reasons
    assert progress.notes[-1].endswith("(from Debian: tiny)") and progress.bytes >= len(DEB)
    assert sorted(p.name for p in folder.iterdir()) == ["images", "labels"]  # no temporary file left
    assert not any((tmp_path / ".downloads").iterdir())


def test_a_registry_artefact_with_another_checksum_is_not_used(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: Served) -> None:
    register(monkeypatch, deb_source(server, sha256="0" * 64),
             Source("the home", True, *each(server.url("/home"))))
    progress = Recorder()
    fetch(["tiny"], progress=progress, root=tmp_path)
    assert "Debian: tiny: " in progress.notes[0] and "is not the recorded 0000000000000000" in progress.notes[0]
    assert progress.notes[-1].endswith("(from the home)")


def test_when_no_source_answers_one_line_says_what_to_do(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: Served) -> None:
    dead = closed_port_url()
    register(monkeypatch, Source("home", True, *each(dead.rsplit("/", 1)[0])),
             Source("mirror on the same host", False, *each(dead.rsplit("/", 1)[0] + "/m")),
             Source("mirror without the file", False, *each(server.url("/missing"))))
    with pytest.raises(DataUnavailable) as raised:
        fetch(["tiny"], progress=Recorder(), root=tmp_path)
    message = str(raised.value)
    assert "\n" not in message and message.startswith("data set 'tiny' could not be fetched (home: unreachable")
    assert f"mirror on the same host: {dead.split('/')[2]} did not answer earlier" in message  # not asked twice
    assert "mirror without the file: HTTP 404" in message
    assert "run `lrlab data fetch tiny` again" in message and str(tmp_path / "tiny") in message
    assert not present("tiny", tmp_path) and not (tmp_path / "tiny").exists()


def test_a_corrupt_or_truncated_cache_file_is_refused_and_fetched_again(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: Served) -> None:
    register(monkeypatch, deb_source(server))
    folder = fetch(["tiny"], progress=Recorder(), root=tmp_path)[0]
    (folder / "images").write_bytes(IMAGES[:-1])  # truncated
    assert [s.state for s in status("tiny", tmp_path)] == ["corrupt", "ok"] and not present("tiny", tmp_path)
    with pytest.raises(ChecksumMismatch) as raised:
        require("tiny", tmp_path)
    assert "\n" not in str(raised.value) and "is corrupt or truncated" in str(raised.value)
    assert "is not used; run `lrlab data fetch tiny`" in str(raised.value)
    (folder / "images").write_bytes(IMAGES[::-1])  # whole size, other bytes
    assert status("tiny", tmp_path)[0].state == "corrupt"
    assert ensure("tiny", progress=Recorder(), root=tmp_path) == folder
    assert (folder / "images").read_bytes() == IMAGES and server.requests["/pool/tiny.deb"] == 2


def test_a_partly_written_cache_never_counts_as_present(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: Served) -> None:
    register(monkeypatch, deb_source(server))
    folder = tmp_path / "tiny"
    folder.mkdir()
    (folder / "labels").write_bytes(LABELS)
    (folder / ".images.x1y2.part").write_bytes(IMAGES)  # what a crash mid-write leaves
    assert [s.state for s in status("tiny", tmp_path)] == ["missing", "ok"] and not present("tiny", tmp_path)
    with pytest.raises(DataUnavailable, match=r"^data set 'tiny' is not in .*\(images missing\); run `lrlab data fetch tiny`"):
        require("tiny", tmp_path)
    progress = Recorder()
    fetch(["tiny"], progress=progress, root=tmp_path)
    assert present("tiny", tmp_path) and server.requests["/pool/tiny.deb"] == 1
    fetch(["tiny"], progress=progress, root=tmp_path)  # already here: nothing downloaded
    assert server.requests["/pool/tiny.deb"] == 1 and progress.notes[-1].startswith("tiny: already in")


def test_a_wheel_through_pip_download_from_the_users_own_index(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    wheel = make_zip({"tinydata/labels": LABELS, "tinydata/images.gz": gzip.compress(IMAGES),
                      "tinydata-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: tinydata\nVersion: 1.0\n",
                      "tinydata-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
                      "tinydata-1.0.dist-info/RECORD": b""})
    index = tmp_path / "index"
    index.mkdir()
    (index / "tinydata-1.0-py3-none-any.whl").write_bytes(wheel)
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # pip reads its settings from the environment
    monkeypatch.setenv("PIP_FIND_LINKS", str(index))
    monkeypatch.delenv("PIP_CONSTRAINT", raising=False)
    register(monkeypatch, Source("pip", False, (Artefact("pip:tinydata==1.0", sha(wheel), "zip"),),
                                 {"images": Member("tinydata/images.gz", convert=gunzip),
                                  "labels": Member("tinydata/labels")}))
    fetch(["tiny"], progress=Recorder(), root=tmp_path / "cache")
    assert present("tiny", tmp_path / "cache")


def test_lrlab_data_ls_and_fetch(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: Served,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LRLAB_DATA_DIR", str(tmp_path))
    register(monkeypatch, deb_source(server))
    assert main(["data", "ls"]) == 0
    listing = capsys.readouterr().out
    assert f"tiny  missing  {tmp_path / 'tiny'}" in listing
    assert f"  labels  12 bytes  sha256 {sha(LABELS)}  missing" in listing and "sources: Debian: tiny" in listing
    assert main(["data", "fetch", "tiny"]) == 0
    assert "tiny: 2 file(s)" in capsys.readouterr().err
    assert main(["data", "ls"]) == 0 and f"tiny  present  {tmp_path / 'tiny'}" in capsys.readouterr().out
    register(monkeypatch, Source("home", True, *each(closed_port_url().rsplit("/", 1)[0])))
    assert main(["data", "fetch", "tiny"]) == 0  # present: nothing to fetch
    (tmp_path / "tiny" / "labels").unlink()
    assert main(["data", "fetch", "tiny"]) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("lrlab: error: data set 'tiny' could not be fetched (home: unreachable")
