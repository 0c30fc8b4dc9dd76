"""Peak memory: the resident high-water mark is reset per trial and sees what was touched."""

from __future__ import annotations

import torch

from lrlab.train.memory import peak_memory, peak_rss_mb, reset_peak_memory


def test_peak_rss_sees_a_large_allocation() -> None:
    reset_peak_memory(torch.device("cpu"))
    before = peak_rss_mb()
    block = torch.ones(64 * 1024 * 1024 // 4)  # 64 MiB, written, so resident
    after = peak_rss_mb()
    del block
    assert before > 0
    assert after >= before + 48


def test_reset_lowers_the_high_water_mark_where_linux_allows_it() -> None:
    block = torch.ones(64 * 1024 * 1024 // 4)
    del block
    high = peak_rss_mb()
    if reset_peak_memory(torch.device("cpu")):
        assert peak_rss_mb() <= high - 32


def test_gpu_numbers_are_none_on_the_cpu() -> None:
    memory = peak_memory(torch.device("cpu"))
    assert memory["cuda_peak_mb"] is None and memory["gpu_util"] is None
    assert memory["peak_rss_mb"] > 0
