"""Fixtures: the two real seed reports, as paths and as text; the task registry with and without hub tasks."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from lrlab.tasks.registry import TASKS

from .seed_reports import SEED_001, SEED_004


@pytest.fixture
def seed_001() -> Path:
    return SEED_001


@pytest.fixture
def seed_004() -> Path:
    return SEED_004


@pytest.fixture
def text_001() -> str:
    return SEED_001.read_text(encoding="utf-8")


@pytest.fixture
def text_004() -> str:
    return SEED_004.read_text(encoding="utf-8")


HUB_TASKS = {"cifar10": "digits", "cifar100": "digits", "mnist": "digits",
             "svhn": "digits", "imdb": "fortunes", "sst2": "fortunes", "ag_news": "fortunes",
             "yelp_polarity": "fortunes", "iris": "wine"}


@pytest.fixture
def offline_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """A task registry without hub tasks (whether or not this lrlab has them); the fetched real
    data sets (adult among them) and the embedded tasks stay."""
    for name in (*HUB_TASKS, "squad_v2", "librispeech"):
        monkeypatch.delitem(TASKS, name, raising=False)


@pytest.fixture
def hub_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """A task registry with the hub tasks the seeds name (stand-ins where this lrlab lacks them)."""
    models = {"digits": ("resnet18", "resnet50", "cnn"), "fortunes": ("bilstm", "lstm_attention"),
              "breast_cancer": ("fcnn", "mlp"), "wine": ("fcnn", "mlp")}
    for name, offline in HUB_TASKS.items():
        if name not in TASKS:
            fake = dataclasses.replace(TASKS[offline], name=name, models=models[offline],
                                       default_model=models[offline][0])
            monkeypatch.setitem(TASKS, name, fake)
