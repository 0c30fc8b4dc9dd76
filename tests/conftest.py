"""Fixtures shared by every test folder."""

from __future__ import annotations

import pytest
import torch

from helpers import make_blobs


@pytest.fixture
def blobs() -> tuple[torch.Tensor, torch.Tensor]:
    return make_blobs()
