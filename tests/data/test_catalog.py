"""The catalog: each data set's sources give every one of its files, the canonical home first,
and every registry artefact pinned by its SHA-256."""

from __future__ import annotations

import re

import pytest

from lrlab.data import DATASETS, get_dataset
from lrlab.data.sources import Artefact, DataFile, DataSet, Member, Source

SHA256 = re.compile(r"[0-9a-f]{64}")


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_canonical_sources_come_first_and_mirrors_are_pinned(name: str) -> None:
    dataset = get_dataset(name)
    kinds = [s.canonical for s in dataset.sources]
    assert kinds[0] and not kinds[-1] and kinds == sorted(kinds, reverse=True)
    for source in dataset.sources:
        assert set(source.files) == {f.name for f in dataset.files}
        if not source.canonical:  # a registry's artefact: its published checksum is recorded
            assert all(a.sha256 and SHA256.fullmatch(a.sha256) for a in source.artefacts)
    assert all(SHA256.fullmatch(f.sha256) and f.size > 0 for f in dataset.files)


def test_the_five_data_sets_of_the_issue_are_there() -> None:
    assert sorted(DATASETS) == ["adult", "fashion_mnist", "letter", "mnist5k", "rotten_tomatoes"]
    with pytest.raises(ValueError, match="unknown data set 'cifar10'; known: adult, fashion_mnist"):
        get_dataset("cifar10")


def test_a_source_that_misses_a_file_is_refused_when_the_catalog_is_built() -> None:
    file = DataFile("a", "0" * 64, 1)
    with pytest.raises(ValueError, match="gives \\[\\], not the data set's files \\['a'\\]"):
        DataSet("x", "t", "l", (file,), (Source("s", True, (Artefact("http://h/a"),), {}),))
    with pytest.raises(ValueError, match="has no artefact 1"):
        DataSet("x", "t", "l", (file,), (Source("s", True, (Artefact("http://h/a"),), {"a": Member(artefact=1)}),))
