"""Fixtures: the two real seed reports, as paths and as text."""

from __future__ import annotations

from pathlib import Path

import pytest

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
