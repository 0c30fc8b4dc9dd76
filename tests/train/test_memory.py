"""Peak memory: the resident high-water mark is reset per trial and sees what was touched."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
from collections.abc import Callable
from typing import Any

import torch

from lrlab.train.memory import peak_memory, peak_rss_mb, reset_peak_memory


def in_fresh_process(function: Callable[[], Any]) -> Any:
    """``function()`` run in a new interpreter: in this one, earlier tests (DataLoader workers,
    large models) can leave freed, still-resident memory that a new block reuses unseen."""
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function).result()


def allocate_and_measure() -> tuple[float, float]:
    reset_peak_memory(torch.device("cpu"))
    before = peak_rss_mb()
    block = torch.ones(64 * 1024 * 1024 // 4)  # 64 MiB, written, so resident
    after = peak_rss_mb()
    del block
    return before, after


def test_peak_rss_sees_a_large_allocation() -> None:
    before, after = in_fresh_process(allocate_and_measure)
    assert before > 0
    assert after >= before + 48


def allocate_free_and_reset() -> tuple[float, bool, float]:
    block = torch.ones(64 * 1024 * 1024 // 4)
    del block
    high = peak_rss_mb()
    reset = reset_peak_memory(torch.device("cpu"))
    return high, reset, peak_rss_mb()


def test_reset_lowers_the_high_water_mark_where_linux_allows_it() -> None:
    high, reset, after = in_fresh_process(allocate_free_and_reset)
    if reset:
        assert after <= high - 32


def test_gpu_numbers_are_none_on_the_cpu() -> None:
    memory = peak_memory(torch.device("cpu"))
    assert memory["cuda_peak_mb"] is None and memory["gpu_util"] is None
    assert memory["peak_rss_mb"] > 0
