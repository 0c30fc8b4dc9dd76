"""Peak memory of one trial: resident set size of the process, and CUDA allocations on a GPU."""

from __future__ import annotations

import resource
import sys
from pathlib import Path
from typing import Any

import torch


def reset_peak_memory(device: torch.device) -> bool:
    """Start measuring peaks afresh; True if the resident-set high-water mark could be reset.

    On Linux, writing ``5`` to ``/proc/self/clear_refs`` resets ``VmHWM`` to the current
    resident size. Where that fails, the peak read later is the process's since it started.
    """
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss_mb() -> float:
    """Peak resident memory in MiB: ``VmHWM`` from ``/proc/self/status``, else ``ru_maxrss``."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0  # kB
    except (OSError, ValueError, IndexError):
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024.0**2 if sys.platform == "darwin" else peak / 1024.0  # bytes on macOS, kB elsewhere


def peak_memory(device: torch.device) -> dict[str, Any]:
    """``peak_rss_mb``, and on a GPU ``cuda_peak_mb`` (max allocated) and ``gpu_util`` (percent,
    as NVML reports it now; needs ``pynvml``). The GPU ones are None on the CPU or if unavailable.
    """
    cuda_peak = utilization = None
    if device.type == "cuda":
        try:
            cuda_peak = torch.cuda.max_memory_allocated(device) / 1024.0**2
        except (RuntimeError, AssertionError):
            cuda_peak = None
        try:
            utilization = float(torch.cuda.utilization(device))
        except Exception:  # pynvml missing or NVML unavailable: the number is optional
            utilization = None
    return {"peak_rss_mb": peak_rss_mb(), "cuda_peak_mb": cuda_peak, "gpu_util": utilization}
