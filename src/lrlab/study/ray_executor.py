"""The Ray executor: each trial is a Ray task, on this machine or on a Ray cluster.

It has the local executor's small interface (``workers``, ``submit``, ``drain_events``,
``shutdown``), so the runner drives either. Tasks only compute: each returns its
:class:`~lrlab.train.spec.TrialResult` to the driver, which alone writes the store.

Fault tolerance: a worker process that dies mid-trial (killed, out of memory, its node lost) is
retried by Ray, at most ``max_retries`` times, and the retry resumes from the trial's last
checkpoint in its trial folder (put it on a filesystem every node sees: the plan's
``[executor] storage``). A trial's own error is not retried: ``run_trial`` already returns it as a
``failed`` result; a failure of the environment (:class:`~lrlab.errors.EnvironmentFailure`: a full
disk, a checkpoint that would not read back) comes back as such, for the driver to retry next run. A trial whose retries are spent comes back as :class:`~lrlab.errors.WorkerDied`.

Three ways to connect (``address``): ``None`` starts a local Ray instance with ``num_cpus`` CPUs
(default: every core) and stops it at the end; ``"auto"`` joins the cluster this machine is part of
(``ray start --head``, ``ray up``); ``"ray://host:port"`` connects through Ray Client. When Ray is
already initialised in this process (a notebook, a test), that instance is used and left running.

Ray is an optional dependency (``pip install "lrlab[ray]"``); it is imported only here.
"""

from __future__ import annotations

import contextlib
import math
import os
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from lrlab.errors import EnvironmentFailure, WorkerDied
from lrlab.train.spec import TrialResult, TrialSpec

MAX_RETRIES = 3  # attempts after the first, per trial, when its worker process dies


def lrlab_trial(spec_json: str, trial_dir: str, threads: int, events: Any) -> TrialResult:
    """The Ray task: one trial, resumed from ``trial_dir``'s checkpoint when there is one.

    Named for ``ps``: a busy Ray worker shows up as ``ray::lrlab_trial``.
    """
    import torch

    from lrlab.train.trial import run_trial

    torch.set_num_threads(threads)  # Ray reuses worker processes: set it for every task
    spec = TrialSpec.from_json(spec_json)

    def tell(kind: str, epoch: Any) -> None:
        if events is not None:
            with contextlib.suppress(Exception):  # progress is a nicety: a lost queue must not stop the trial
                events.put_nowait((kind, spec.trial_id, epoch))

    tell("start", None)
    return run_trial(spec, Path(trial_dir), on_epoch=lambda record: tell("epoch", record.get("epoch")))


class RayExecutor:
    """Run trials as Ray tasks, ``workers`` at a time, each with the resources the plan asks for.

    Args:
        workers: trials in flight at once; default: as many as the cluster's CPUs (and GPUs,
            when trials need them) hold now. With an autoscaling cluster, set it higher so that
            queued trials make the autoscaler add nodes.
        address: ``None`` (a local instance), ``"auto"``, ``"ray://host:port"`` (Ray Client) or
            a head node's ``"host:port"``.
        cpus_per_trial: CPUs Ray reserves per trial (> 0); the trial trains on that many torch
            threads (whole CPUs, at least one).
        gpus_per_trial: GPUs Ray reserves per trial (>= 0; a fraction shares a GPU).
        num_cpus: CPUs of the local instance (``address=None`` only; default: every core).
        max_retries: retries per trial when its worker process dies (0 to 10; default 3).
    """

    def __init__(self, workers: int | None = None, *, address: str | None = None,
                 cpus_per_trial: float = 1.0, gpus_per_trial: float = 0.0, num_cpus: int | None = None,
                 max_retries: int = MAX_RETRIES) -> None:
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        if not cpus_per_trial > 0:
            raise ValueError(f"cpus_per_trial must be > 0, got {cpus_per_trial}")
        if gpus_per_trial < 0:
            raise ValueError(f"gpus_per_trial must be >= 0, got {gpus_per_trial}")
        if not 0 <= max_retries <= 10:
            raise ValueError(f"max_retries must be in [0, 10], got {max_retries}")
        try:
            import ray
        except ImportError:
            raise ValueError("the Ray executor needs Ray: pip install 'lrlab[ray]'") from None
        self._ray = ray
        self.owns_ray = not ray.is_initialized()
        if self.owns_ray:
            options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
            if address is None:  # "local": a new instance, even where `ray start` runs a cluster
                options.update(address="local", num_cpus=num_cpus or os.cpu_count() or 1)
            else:
                options.update(address=address)
            try:
                ray.init(**options)
            except ConnectionError as error:
                raise ValueError(f"cannot connect to Ray at {address!r}: {error}") from None
        try:
            self.workers = workers or _capacity(ray.cluster_resources(), cpus_per_trial, gpus_per_trial)
        except ValueError:
            if self.owns_ray:
                ray.shutdown()
            raise
        self.threads = max(1, int(cpus_per_trial))
        self._task = ray.remote(lrlab_trial).options(
            num_cpus=cpus_per_trial, num_gpus=gpus_per_trial, max_retries=max_retries,
            retry_exceptions=False)
        from ray.util.queue import Queue

        # Per-epoch progress from the tasks; an actor that holds no CPU.
        self.events = Queue(actor_options={"num_cpus": 0})
        self._refs: dict[Future[TrialResult], Any] = {}

    def submit(self, spec: TrialSpec, trial_dir: Path) -> Future[TrialResult]:
        ref = self._task.remote(spec.to_json(), str(Path(trial_dir).resolve()), self.threads, self.events)
        future: Future[TrialResult] = Future()
        self._refs[future] = ref

        def settle(done: Future[TrialResult]) -> None:
            self._refs.pop(future, None)
            error = done.exception()
            cause = getattr(error, "cause", error)  # a RayTaskError carries what the task raised
            if error is None:
                future.set_result(done.result())
            elif isinstance(cause, EnvironmentFailure) and not isinstance(cause, WorkerDied):
                future.set_exception(EnvironmentFailure(str(cause)))  # a full disk, ...: the driver retries it later
            else:  # the task's retries are spent, or Ray lost it (a trial's own error is a result)
                future.set_exception(WorkerDied(f"trial {spec.trial_id}: {_first_line(error)}"))

        ref.future().add_done_callback(settle)
        return future

    def drain_events(self) -> list[tuple[str, str, Any]]:
        try:
            return self.events.get_nowait_batch(self.events.qsize())
        except Exception:  # progress only
            return []

    def shutdown(self, *, kill: bool = False) -> None:
        ray = self._ray
        if kill:  # Ctrl-C: stop now; the trials resume from their last checkpoint next time
            for ref in list(self._refs.values()):
                with contextlib.suppress(Exception):  # already finished or lost
                    ray.cancel(ref, force=True)
        with contextlib.suppress(Exception):
            self.events.shutdown(force=True)
        if self.owns_ray:
            ray.shutdown()


def _capacity(resources: dict[str, float], cpus_per_trial: float, gpus_per_trial: float) -> int:
    """How many trials the cluster runs at once now, by CPUs (and GPUs if trials need them)."""
    fits = math.floor(resources.get("CPU", 0) / cpus_per_trial + 1e-9)
    if gpus_per_trial > 0:
        gpus = resources.get("GPU", 0)
        if gpus < gpus_per_trial:
            raise ValueError(f"the plan asks for {gpus_per_trial:g} GPU(s) per trial, but the Ray "
                             f"cluster has {gpus:g}")
        fits = min(fits, math.floor(gpus / gpus_per_trial + 1e-9))
    if fits < 1:
        raise ValueError(f"the plan asks for {cpus_per_trial:g} CPU(s) per trial, but the Ray cluster "
                         f"has {resources.get('CPU', 0):g}")
    return fits


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}".rstrip(": ")
