"""The local executor: a pool of worker processes, one thread each, that run trials.

Workers only compute: each returns its :class:`~lrlab.train.spec.TrialResult` to the driver,
which alone writes the store. Workers ignore Ctrl-C and SIGTERM (the driver decides what stops) and, on
Linux, die with the driver (``PR_SET_PDEATHSIG``), so a killed study leaves no orphan writing
checkpoints behind.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import queue
import signal
import sys
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from lrlab.train.spec import TrialResult, TrialSpec

_events: Any = None  # the progress queue, set in each worker by the initializer


def _init_worker(events: Any, threads: int) -> None:
    global _events
    _events = events
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a terminal or `kill -TERM -<group>` stops the driver, which stops us
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die when the driver dies
        except OSError:
            pass
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    import torch

    torch.set_num_threads(threads)


def _run(spec_json: str, trial_dir: str) -> TrialResult:
    from lrlab.train.trial import run_trial

    spec = TrialSpec.from_json(spec_json)

    def on_epoch(record: dict[str, Any]) -> None:
        if _events is not None:
            _events.put(("epoch", spec.trial_id, record.get("epoch")))

    if _events is not None:
        _events.put(("start", spec.trial_id, None))
    return run_trial(spec, Path(trial_dir), on_epoch=on_epoch)


class LocalExecutor:
    """Run trials on ``workers`` local processes (default: one per core)."""

    def __init__(self, workers: int | None = None, threads_per_worker: int = 1) -> None:
        self.workers = workers or os.cpu_count() or 1
        if self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        context = multiprocessing.get_context("spawn")  # fork after torch has threads can deadlock
        self.events = context.Queue()  # inherited by each worker at its start
        self.pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_init_worker,
                                        initargs=(self.events, threads_per_worker))

    def submit(self, spec: TrialSpec, trial_dir: Path) -> Future[TrialResult]:
        return self.pool.submit(_run, spec.to_json(), str(trial_dir))

    def drain_events(self) -> list[tuple[str, str, Any]]:
        out = []
        while True:
            try:
                out.append(self.events.get_nowait())
            except queue.Empty:
                return out

    def shutdown(self, *, kill: bool = False) -> None:
        if kill:  # Ctrl-C: stop now; the trials resume from their last checkpoint next time
            for process in list(getattr(self.pool, "_processes", {}).values()):
                process.kill()
        self.pool.shutdown(wait=not kill, cancel_futures=True)
        self.events.close()
        self.events.cancel_join_thread()
