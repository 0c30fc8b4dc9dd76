"""Fixtures for the hub tasks: a ``$LRLAB_DATA_DIR`` of tiny data sets in the real schemas
(:mod:`tasks.hub_fixtures`), and offline mode."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tasks.hub_fixtures import build_hub_dir


@pytest.fixture(scope="session")
def hub_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ``$LRLAB_DATA_DIR`` holding every hub task's fixture and the tokenizer."""
    return build_hub_dir(tmp_path_factory.mktemp("hub"))


@pytest.fixture
def data_dir(hub_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``$LRLAB_DATA_DIR`` set to :func:`hub_dir` for the test."""
    monkeypatch.setenv("LRLAB_DATA_DIR", str(hub_dir))
    return hub_dir


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``HF_HUB_OFFLINE=1`` for this process (the libraries read the variable at import, so their
    flags are set too), and no ``$LRLAB_DATA_DIR``."""
    import datasets
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_OFFLINE", True)
    monkeypatch.delenv("LRLAB_DATA_DIR", raising=False)
    yield
