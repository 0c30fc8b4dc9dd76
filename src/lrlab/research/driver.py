"""Run a batch of trials on the study's executors and store what comes back, as ``lrlab run`` does.

The search knows its trials a batch at a time (a rung of a generation), so it drives the
executor itself: the same executors (:func:`lrlab.study.runner.open_executor`: the local pool or
Ray), the same store (:class:`~lrlab.study.store.Store`, written only here, in the driver), the same
checkpoints (a killed trial resumes from its last epoch), the same progress. The executor is
opened once, on the first batch, and kept for the whole search.

What stops a batch is what stops a study: Ctrl-C or SIGTERM (:class:`Stopped`, after killing the
workers), a failure of the machine inside a trial (stored as ``retry``; the batch ends, and
:attr:`TrialDriver.retry` says which), a worker killed from outside (:class:`~lrlab.errors.WorkerDied`).
"""

from __future__ import annotations

import signal
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, TextIO

from lrlab.errors import EnvironmentFailure, Terminated, WorkerDied
from lrlab.study.plan import ExecutorSettings
from lrlab.study.progress import StudyProgress
from lrlab.study.runner import open_executor
from lrlab.study.store import FINAL, Store
from lrlab.train.spec import TrialResult, TrialSpec


class Stopped(Exception):
    """Ctrl-C or SIGTERM stopped the batch; finished trials are stored."""

    def __init__(self, by: str) -> None:
        super().__init__(by)
        self.by = by


class TrialDriver:
    """Runs batches of trials for one store, on one executor opened when first needed."""

    def __init__(self, store: Store, checkpoints: Path, resources: ExecutorSettings, stream: TextIO, *,
                 executor: str = "local", workers: int | None = None, address: str | None = None) -> None:
        self.store, self.checkpoints, self.resources, self.stream = store, checkpoints, resources, stream
        self.kind, self.workers, self.address = executor, workers, address
        self.pool: Any = None
        self.retry: list[str] = []  # what the environment stopped, one line each
        self.ran = 0

    def run(self, specs: list[TrialSpec], what: str) -> None:
        """Run the trials of ``specs`` that have not ended (each once, in order); store each result."""
        todo = list({s.trial_id: s for s in specs if self.store.status(s.trial_id) not in FINAL}.values())
        if not todo:
            return
        if self.pool is None:
            self.pool = open_executor(self.kind, self.resources, self.workers, 10**6, self.address)
        print(f"{what}: {len(todo)} trial(s)", file=self.stream)
        progress = StudyProgress(len(todo), 0, self.stream)
        pending: dict[Future[TrialResult], TrialSpec] = {}
        queue = list(todo)

        def fill() -> None:
            while queue and len(pending) < self.pool.workers:
                spec = queue.pop(0)
                self.store.mark_running(spec.trial_id, spec.device)
                pending[self.pool.submit(spec, self.checkpoints / spec.trial_id)] = spec
                progress.started_trial()

        try:
            fill()
            while pending:
                done, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                epochs = {s.trial_id: s.epochs for s in pending.values()}
                for kind, trial_id, epoch in self.pool.drain_events():
                    if kind == "epoch" and trial_id in epochs:
                        progress.epoch_done(trial_id, epoch / epochs[trial_id])
                finished = [(pending.pop(future), future) for future in done]
                fill()
                for spec, future in finished:
                    label = f"{spec.task_label or spec.task} / {spec.schedule_label} / seed {spec.seed}"
                    try:
                        result = future.result()
                    except WorkerDied as error:
                        self.retry.append(f"{label}: {error}")
                        progress.finished_trial(label, "lost", spec.trial_id)
                        continue
                    except EnvironmentFailure as error:
                        self.store.mark_retry(spec.trial_id, str(error))
                        self.retry.append(f"{label}: {error}")
                        progress.finished_trial(label, "to retry", spec.trial_id)
                        continue
                    self.store.write_result(result)
                    self.ran += 1
                    progress.finished_trial(label, result.status, spec.trial_id)
                fill()
        except KeyboardInterrupt as interruption:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            self.close(kill=True)
            progress.close()
            raise Stopped("SIGTERM" if isinstance(interruption, Terminated) else "Ctrl-C") from None
        except BrokenProcessPool:
            self.close(kill=True)
            progress.close()
            raise WorkerDied("a worker process died (out of memory, or killed); finished trials are stored, the "
                             "others resume from their last checkpoint when you run the same command again") from None
        except BaseException:
            self.close(kill=True)
            progress.close()
            raise
        progress.close()

    def close(self, *, kill: bool = False) -> None:
        if self.pool is not None:
            self.pool.shutdown(kill=kill)
            self.pool = None
