"""Fixtures for the trial tests: one torch thread, and a small spec factory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import torch

from lrlab.train import TrialSpec


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """One intra-op thread: these models are tiny, and on a loaded machine several threads
    spin against each other (100x slower). Threads are set by whoever runs trials, not by the trial."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def make_spec() -> Callable[..., TrialSpec]:
    """A small real trial (wine, mlp, constant, 2 epochs) with any field overridden."""

    def make(**overrides: Any) -> TrialSpec:
        fields: dict[str, Any] = {
            "task": "wine", "model": "mlp", "metrics": ("loss", "accuracy", "macro_f1"),
            "schedule": "constant", "schedule_label": "test", "seed": 0, "epochs": 2,
            "batch_size": 16, "lr": 1e-2,
        }
        fields.update(overrides)
        return TrialSpec(**fields)

    return make

