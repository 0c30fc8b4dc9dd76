"""lrlab.tasks.hub: where a hub data set comes from, the splits, and the one-line error offline."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

datasets = pytest.importorskip("datasets")
pytest.importorskip("transformers")

from lrlab.tasks.hub import (  # noqa: E402
    DatasetUnavailable,
    TokenizerUnavailable,
    load_hub_dataset,
    load_tokenizer,
    local_copy,
    train_val_test,
)

ONE_LINE_DATASET = re.compile(
    r"^data set '(?P<name>[^']+)'(?: \((?P<config>\w+)\))? is not cached here and the hub cannot be "
    r"reached \((?:ConnectionError|OfflineModeIsEnabled|\w+Error): [^\n]+\); on a machine with "
    r"network run python -c \"import datasets; datasets\.load_dataset\('(?P=name)'(?:, '\w+')?\)\" "
    r"and copy ~/\.cache/huggingface here, or save it with datasets\.load_dataset\([^)]*\)"
    r"\.save_to_disk\(FOLDER\) and set LRLAB_DATA_DIR so that LRLAB_DATA_DIR/(?P=name)\S* is "
    r"that folder$"
)


def labelled(n: int, classes: int = 2) -> datasets.Dataset:
    return datasets.Dataset.from_dict({"x": list(range(n)), "label": [i % classes for i in range(n)]})


def test_a_saved_folder_loads_by_path_and_a_single_split_becomes_train(tmp_path: Path) -> None:
    datasets.DatasetDict(train=labelled(10), test=labelled(4)).save_to_disk(tmp_path / "dict")
    labelled(6).save_to_disk(tmp_path / "single")
    loaded = load_hub_dataset("any/name", local_path=tmp_path / "dict")
    assert {name: split.num_rows for name, split in loaded.items()} == {"train": 10, "test": 4}
    assert dict(load_hub_dataset("any/name", local_path=tmp_path / "single").num_rows) == {"train": 6}


def test_the_data_dir_holds_data_sets_by_hub_name_and_configuration(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    datasets.DatasetDict(train=labelled(8)).save_to_disk(tmp_path / "org/set/config")
    monkeypatch.setenv("LRLAB_DATA_DIR", str(tmp_path))
    assert local_copy("org/set", "config") == tmp_path / "org/set/config"
    assert local_copy("org/set", "other") is None and local_copy("org/absent") is None
    assert load_hub_dataset("org/set", "config")["train"].num_rows == 8
    monkeypatch.delenv("LRLAB_DATA_DIR")
    assert local_copy("org/set", "config") is None


def test_a_folder_that_is_not_a_saved_data_set_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(DatasetUnavailable) as caught:
        load_hub_dataset("uoft-cs/cifar10", local_path=tmp_path / "nothing")
    message = str(caught.value)
    assert "\n" not in message and isinstance(caught.value, ValueError)
    assert message.startswith(f"data set 'uoft-cs/cifar10': {tmp_path / 'nothing'} is not a folder "
                              "written by save_to_disk (FileNotFoundError: ")
    assert message.endswith("on a machine with network run datasets.load_dataset('uoft-cs/cifar10')"
                            ".save_to_disk(FOLDER) and pass that folder")


@pytest.mark.usefixtures("offline")
@pytest.mark.parametrize("config", [None, "sst2"])
def test_offline_and_not_cached_is_one_line_saying_what_to_download(tmp_path: Path, config) -> None:
    with pytest.raises(DatasetUnavailable) as caught:
        load_hub_dataset("lrlab-test/absent", config, cache_dir=tmp_path)
    message = str(caught.value)
    assert ONE_LINE_DATASET.match(message), message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    if config:
        assert "datasets.load_dataset('lrlab-test/absent', 'sst2')" in message
        assert message.endswith("LRLAB_DATA_DIR/lrlab-test/absent/sst2 is that folder")


@pytest.mark.usefixtures("offline")
def test_offline_tokenizer_not_cached_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(TokenizerUnavailable) as caught:
        load_tokenizer("lrlab-test/absent-tokenizer")
    message = str(caught.value)
    assert "\n" not in message and isinstance(caught.value, ValueError)
    assert message.startswith("tokenizer 'lrlab-test/absent-tokenizer' is not cached here and the "
                              "hub cannot be reached (")
    assert message.endswith("transformers.AutoTokenizer.from_pretrained('lrlab-test/absent-tokenizer')"
                            ".save_pretrained(FOLDER)\" and pass that folder, or copy it to "
                            "LRLAB_DATA_DIR/lrlab-test/absent-tokenizer")
    with pytest.raises(TokenizerUnavailable, match=r"^tokenizer 'bert-base-uncased' is not in /"):
        load_tokenizer("bert-base-uncased", local_path=tmp_path)


def test_a_saved_tokenizer_loads_from_the_data_dir(data_dir: Path) -> None:
    tokenizer = load_tokenizer("bert-base-uncased")
    assert tokenizer("good movie")["input_ids"][0] == tokenizer.cls_token_id


def test_own_splits_are_used_and_missing_ones_are_fixed_stratified_slices_of_train() -> None:
    own = datasets.DatasetDict(train=labelled(40), validation=labelled(6), test=labelled(8))
    train, val, test = train_val_test(own, "label")
    assert (train.num_rows, val.num_rows, test.num_rows) == (40, 6, 8)

    only_train = datasets.DatasetDict(train=labelled(100, classes=4))
    train, val, test = train_val_test(only_train, "label", val_fraction=0.25, test_fraction=0.2)
    assert (train.num_rows, val.num_rows, test.num_rows) == (60, 20, 20)
    ids = [set(split["x"]) for split in (train, val, test)]
    assert not ids[0] & ids[1] and not ids[0] & ids[2] and not ids[1] & ids[2]
    assert set().union(*ids) == set(range(100))
    for split in (val, test):
        assert np.bincount(split["label"], minlength=4).tolist() == [5, 5, 5, 5]
    again = train_val_test(only_train, "label", val_fraction=0.25, test_fraction=0.2)
    assert [split["x"] for split in again] == [split["x"] for split in (train, val, test)]

    # SST-2: the validation split is the test split; validation is then sliced from train.
    train, val, test = train_val_test(own, "label", val_split=None, test_split="validation",
                                      val_fraction=0.1)
    assert (train.num_rows, val.num_rows, test.num_rows) == (36, 4, 6)


def test_a_data_set_without_train_is_refused() -> None:
    with pytest.raises(ValueError, match=r"no 'train' split; it has \['test'\]"):
        train_val_test(datasets.DatasetDict(test=labelled(4)), "label")


def test_ensure_tasks_available_finds_every_hub_task_in_the_data_dir(data_dir: Path) -> None:
    from lrlab.tasks import ensure_tasks_available
    from lrlab.tasks.registry import HUB_TASKS

    ensure_tasks_available(["wine", *HUB_TASKS])


def offline_env(tmp_path: Path) -> dict[str, str]:
    """A fresh, empty Hugging Face home, offline, without LRLAB_DATA_DIR."""
    env = {k: v for k, v in os.environ.items() if k not in ("LRLAB_DATA_DIR", "HF_DATASETS_CACHE",
                                                          "HF_HUB_CACHE", "TRANSFORMERS_CACHE")}
    env.update(HF_HOME=str(tmp_path / "hf-home"), HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    return env


def test_a_study_checks_its_hub_data_before_any_trial(tmp_path: Path) -> None:
    """What the runner calls before starting trials: one line, the real hub id of the task."""
    script = ("import sys\nfrom lrlab.tasks import ensure_tasks_available\ntry:\n"
              "    ensure_tasks_available(['digits', 'cifar10'])\nexcept ValueError as error:\n"
              "    print(error, file=sys.stderr)\n    sys.exit(2)\n")
    proc = subprocess.run([sys.executable, "-c", script], env=offline_env(tmp_path),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and ONE_LINE_DATASET.match(lines[0]), proc.stderr
    assert lines[0].startswith("data set 'uoft-cs/cifar10' is not cached here")


PLAN = """
name = "hub-offline"
title = "A hub task without network"
idea = "none"
objective = "none"
methodology = "none"
seeds = [0]

[defaults]
epochs = 1

[[tasks]]
name = "cifar10"
model = "cnn"

[[schedules]]
name = "constant"
role = "baseline"

[[schedules]]
name = "cosine"
role = "proposed"
"""


def test_lrlab_run_without_the_data_exits_2_with_one_line(tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN)
    proc = subprocess.run([sys.executable, "-m", "lrlab.cli", "run", str(plan), "--out",
                           str(tmp_path / "out"), "--workers", "1"],
                          env=offline_env(tmp_path), capture_output=True, text=True, timeout=120)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert lines[0].startswith("lrlab: error: data set 'uoft-cs/cifar10' is not cached here")
    assert ONE_LINE_DATASET.match(lines[0].removeprefix("lrlab: error: "))
