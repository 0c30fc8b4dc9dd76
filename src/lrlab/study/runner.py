"""Run a study: expand the plan, skip what is done, run the rest, store every record.

Running the same plan into the same folder again skips finished trials and resumes
interrupted ones from their last checkpoint. Ctrl-C and SIGTERM stop cleanly: finished trials
are in the store, running ones resume from their last epoch next time. One run at a time writes
a study folder (:mod:`lrlab.study.lock`). A trial that the environment stopped (a full disk, a
checkpoint that would not read back) is stored as ``retry`` and run again by the next run; a
trial whose own code raised is ``failed``, and stays so unless ``retry_failed`` asks otherwise.

Trials run on an executor: ``local`` (a pool of worker processes, the default) or ``ray`` (Ray
tasks on a local instance or a cluster, :mod:`lrlab.study.ray_executor`). Either way the trial ids,
the trial folders and the store are the same, so a study started with one can be finished with
the other.
"""

from __future__ import annotations

import json
import math
import os
import re
import signal
import sys
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from lrlab.errors import EnvironmentFailure, Terminated, WorkerDied
from lrlab.study.executor import LocalExecutor
from lrlab.study.lock import study_lock
from lrlab.study.plan import ExecutorSettings, Plan, PlanError, load_plan
from lrlab.study.progress import StudyProgress
from lrlab.study.store import FINAL, RETRY, STORE_NAME, Store
from lrlab.study.tuning import Outcome, PlannedTrial, configurations, expand, planned_count
from lrlab.tasks.registry import ensure_tasks_available
from lrlab.train.spec import TrialResult, TrialSpec

PLANS_DIR = Path(__file__).resolve().parent.parent / "plans"
EXECUTORS = ("local", "ray")
RAY_ADDRESS = re.compile(r"auto|(ray://)?[A-Za-z0-9_.\[\]:-]+:[0-9]+")  # the cluster's, or Ray Client's


def resolve_plan(name_or_path: str | Path | None) -> Path:
    """A plan file's path, or the name of a shipped plan (``default``, ``entropy``, ...)."""
    if name_or_path is None:
        name_or_path = "default"
    path = Path(name_or_path)
    if path.is_file():
        return path
    shipped = PLANS_DIR / f"{name_or_path}.toml"
    if shipped.is_file():
        return shipped
    names = sorted(p.stem for p in PLANS_DIR.glob("*.toml"))
    raise PlanError(f"{name_or_path}: no such plan file, nor a shipped plan (shipped: {', '.join(names)})")


@dataclass
class StudyOutcome:
    """What a run of a study did: where it wrote, and how many trials ended how."""

    out_dir: Path
    counts: dict[str, int]
    skipped: int
    interrupted: bool = False
    seconds: float = 0.0
    not_started: list[str] = field(default_factory=list)
    retry: list[str] = field(default_factory=list)  # what the environment stopped, one line each
    stopped_by: str = ""  # "Ctrl-C" or "SIGTERM" when interrupted

    @property
    def store_path(self) -> Path:
        return self.out_dir / STORE_NAME


def default_out_dir(plan: Plan) -> Path:
    return Path("runs") / plan.name


def trial_dir(out_dir: Path, spec: TrialSpec) -> Path:
    """The trial's folder in the study folder (its checkpoint by default; its TensorBoard events once exported)."""
    return out_dir / "trials" / spec.trial_id


def trials_root(plan: Plan, out_dir: Path) -> Path:
    """Where trials keep their checkpoints: the plan's ``[executor] storage``, else the study folder."""
    storage = plan.resources.storage
    if storage is None:
        return out_dir / "trials"
    return Path(storage).expanduser().resolve() / f"{plan.name}-{plan.hash}" / "trials"


def check_executor(executor: str, address: str | None) -> None:
    """Refuse an unknown executor or a misplaced ``--address`` before anything runs."""
    if executor not in EXECUTORS:
        raise ValueError(f"--executor must be one of {list(EXECUTORS)}, got {executor!r}")
    if executor == "local" and address is not None:
        raise ValueError("--address is for --executor ray")
    if executor == "ray":
        if address is not None and not RAY_ADDRESS.fullmatch(address):
            raise ValueError(f"--address must be 'auto', 'ray://host:port' or a head node's 'host:port', "
                             f"got {address!r}")
        try:
            import ray  # noqa: F401
        except ImportError:
            raise ValueError("--executor ray needs Ray: pip install 'lrlab[ray]'") from None


def open_executor(executor: str, resources: ExecutorSettings, workers: int | None, trials: int,
                  address: str | None = None) -> Any:
    """The executor that runs ``trials`` trials: at most ``workers`` at once (default: what fits)."""
    check_executor(executor, address)
    threads = resources.threads
    if executor == "local":
        return LocalExecutor(min(workers or max(1, _cores() // threads), trials), threads_per_worker=threads)
    from lrlab.study.ray_executor import RayExecutor

    num_cpus = math.ceil(workers * resources.cpus_per_trial) if workers and address is None else None
    ray_executor = RayExecutor(workers, address=address, cpus_per_trial=resources.cpus_per_trial,
                               gpus_per_trial=resources.gpus_per_trial, num_cpus=num_cpus)
    ray_executor.workers = min(ray_executor.workers, trials)
    return ray_executor


def check_folder(plan: Plan, out_dir: Path) -> None:
    """Refuse a folder that holds a study of another plan, before anything is printed or run."""
    if (out_dir / STORE_NAME).exists():
        store = Store(out_dir / STORE_NAME, readonly=True)
        try:
            store.check_plan(plan.hash)
        finally:
            store.close()


def _label(spec: TrialSpec) -> str:
    return f"{spec.task_label or spec.task} / {spec.schedule_label} / seed {spec.seed}"


def run_study(plan: Plan, out_dir: Path, *, plan_text: str = "", workers: int | None = None,
              device: str = "cpu", stream: TextIO | None = None, executor: str = "local",
              address: str | None = None, retry_failed: bool = False) -> StudyOutcome:
    """Run every trial of ``plan`` that has not ended yet; returns counts by status.

    Holds the folder's lock throughout (:class:`~lrlab.errors.FolderInUse` if another process
    holds it). ``retry_failed``: run the failed trials again too (see :func:`reopen_failed`).

    A plan with ``[tuning]`` grows as it runs (:func:`~lrlab.study.tuning.expand`): tuning trials
    first, and as soon as a (task, schedule)'s tuning has ended its chosen configuration's
    evaluation trials join the queue; the as-given track fills the workers meanwhile.
    ``executor``: ``"local"`` (worker processes) or ``"ray"`` (Ray tasks; ``address``: None for
    a local Ray instance, ``"auto"`` or ``"ray://host:port"`` for a cluster).
    """
    check_executor(executor, address)
    stream = stream or sys.stderr
    with study_lock(out_dir, stream):
        return _run_study(plan, out_dir, plan_text, workers, device, stream, executor, address, retry_failed)


def _run_study(plan: Plan, out_dir: Path, plan_text: str, workers: int | None, device: str, stream: TextIO,
               executor: str, address: str | None, retry_failed: bool) -> StudyOutcome:
    started = time.monotonic()
    store = Store(out_dir / STORE_NAME)
    try:
        store.bind_plan(plan.hash, json.dumps(plan.model_dump(mode="json"), sort_keys=True), plan_text)
        if plan.tuning is not None:
            store.save_configs(configurations(plan))
        if retry_failed:
            reopen_failed(store, stream)
        frontier = _Frontier(plan, store, device)
        first = frontier.grow()
        todo = [t for t in first if store.status(t.spec.trial_id) not in FINAL]
        total = planned_count(plan)
        skipped = len(first) - len(todo)
        if skipped:
            print(f"{skipped} of {total} trials already ended; {total - skipped} to run", file=stream)
        outcome = StudyOutcome(out_dir, {}, skipped)
        if todo:
            pool = open_executor(executor, plan.resources, workers, total - skipped, address)
            _run_trials(todo, store, out_dir, trials_root(plan, out_dir), pool,
                        plan.budget.max_study_seconds, started, stream, outcome, total, frontier)
        outcome.counts = store.counts()
        outcome.seconds = time.monotonic() - started
        return outcome
    finally:
        store.close()


def reopen_failed(store: Store, stream: TextIO) -> list[str]:
    """``--retry-failed``: make the failed trials pending again, so that this run runs them.

    A failed tuning trial whose rung has closed stays failed: its rung already chose with it
    counted as the worst, and what came after (the next rung, the evaluation of the chosen
    configuration) was run on that choice; changing it now would be choosing after the fact.
    Returns the reopened trial ids; what was reopened is kept in the store's ``meta``.
    """
    failed = store.failed()
    if not failed:
        return []
    open_rungs = {(t["task"], t["schedule"], t["rung"]) for t in store.trials()
                  if t["phase"] == "tuning" and t["status"] not in FINAL}
    kept = [t for t in failed if t["phase"] == "tuning" and (t["task"], t["schedule"], t["rung"]) not in open_rungs]
    reopened = [t["trial_id"] for t in failed if t not in kept]
    if reopened:
        store.reopen(reopened, "lrlab run --retry-failed")
    print(f"--retry-failed: {len(reopened)} failed trial(s) run again"
          + (f"; {len(kept)} failed tuning trial(s) stay failed: their rung already chose, and what followed "
             "ran on that choice" if kept else ""), file=stream)
    return reopened


class _Frontier:
    """The trials the protocol knows so far, registered in the store as they become known, and the
    tuning rungs still open: a rung's end is what makes new trials known (the next rung, or the
    chosen configuration's evaluation), so the protocol is asked again only then."""

    def __init__(self, plan: Plan, store: Store, device: str) -> None:
        self.plan, self.store, self.device = plan, store, device
        self.roles = {s.key: s.role for s in plan.schedules}
        self.known: set[str] = set()
        self.open: Counter[tuple[str, str, int | None]] = Counter()  # unfinished tuning trials per rung
        self.rung_of: dict[str, tuple[str, str, int | None]] = {}

    def grow(self) -> list[PlannedTrial]:
        """Register the trials the protocol knows now that were not known before; return them."""
        outcomes = {tid: Outcome(status, summary) for tid, (status, summary) in self.store.ended("tuning").items()}
        fresh = [t for t in expand(self.plan, outcomes, self.device) if t.spec.trial_id not in self.known]
        self.store.register([t.spec for t in fresh], self.roles,
                            {t.spec.trial_id: {"track": t.track, "phase": t.phase, "config": t.config, "rung": t.rung}
                             for t in fresh})
        self.known.update(t.spec.trial_id for t in fresh)
        for t in fresh:
            if t.phase == "tuning" and t.spec.trial_id not in outcomes:
                key = (t.spec.task_label, t.spec.schedule_label, t.rung)
                self.open[key] += 1
                self.rung_of[t.spec.trial_id] = key
        return fresh

    def ended(self, spec: TrialSpec) -> list[PlannedTrial]:
        """A trial ended: the trials that became known (none unless it closed a tuning rung)."""
        key = self.rung_of.pop(spec.trial_id, None)
        if key is None:
            return []
        self.open[key] -= 1
        return self.grow() if self.open[key] == 0 else []


def _run_trials(todo: list[PlannedTrial], store: Store, out_dir: Path, checkpoints: Path, executor: Any,
                max_seconds: float | None, started: float, stream: TextIO, outcome: StudyOutcome,
                total: int, frontier: _Frontier) -> None:
    """The driver loop, for either executor: keep ``executor.workers`` trials running, store each
    result as it comes back, and queue the trials each result makes known (they go first: a tuning
    rung or a tuned evaluation waits on nothing else). Trials keep their checkpoints under
    ``checkpoints``. TensorBoard events are not written here: writing them cost the driver about a
    quarter of a second per trial, taken from the workers' two cores; ``lrlab export STUDY --format
    tensorboard`` writes them from the store."""
    lost: list[str] = []  # Ray: trials whose worker died more often than Ray retries
    progress = StudyProgress(total, outcome.skipped, stream)
    pending: dict[Future[TrialResult], TrialSpec] = {}
    queue = [t.spec for t in todo]

    def fill() -> None:
        over_budget = max_seconds is not None and time.monotonic() - started > max_seconds
        while queue and len(pending) < executor.workers and not over_budget:
            spec = queue.pop(0)
            store.mark_running(spec.trial_id, spec.device)
            pending[executor.submit(spec, checkpoints / spec.trial_id)] = spec
            progress.started_trial()
        if over_budget and queue:
            outcome.not_started = [s.trial_id for s in queue]
            print(f"study budget of {max_seconds:g}s spent: {len(queue)} trials not started "
                  "(run again to continue)", file=stream)
            queue.clear()

    try:
        fill()
        while pending:
            done, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            epochs = {s.trial_id: s.epochs for s in pending.values()}
            for kind, trial_id, epoch in executor.drain_events():
                if kind == "epoch" and trial_id in epochs:
                    progress.epoch_done(trial_id, epoch / epochs[trial_id])
            finished = [(pending.pop(future), future) for future in done]
            fill()  # the workers go on while the driver stores what came back
            for spec, future in finished:
                try:
                    result = future.result()
                except WorkerDied as error:  # Ray: this trial is lost for now, the others go on
                    lost.append(str(error))
                    progress.finished_trial(_label(spec), "lost", spec.trial_id)
                    continue
                except EnvironmentFailure as error:  # not the trial's failure: the next run runs it again
                    store.mark_retry(spec.trial_id, str(error))
                    outcome.retry.append(f"{_label(spec)}: {error}")
                    progress.finished_trial(_label(spec), "to retry", spec.trial_id)
                    continue
                store.write_result(result)
                progress.finished_trial(_label(spec), result.status, spec.trial_id)
                fresh = frontier.ended(spec)
                queue[:0] = [t.spec for t in fresh if store.status(t.spec.trial_id) not in FINAL]
                progress.skip(sum(store.status(t.spec.trial_id) in FINAL for t in fresh))
            fill()
    except KeyboardInterrupt as interruption:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        outcome.interrupted = True
        outcome.stopped_by = "SIGTERM" if isinstance(interruption, Terminated) else "Ctrl-C"
        executor.shutdown(kill=True)
        progress.close()
        said = "interrupted" if outcome.stopped_by == "Ctrl-C" else "stopped by SIGTERM"
        print(f"{said}: finished trials are stored; run the same command again to resume", file=stream)
        return
    except BrokenProcessPool:
        # A worker was killed from outside (out of memory, a signal): not a trial's failure.
        executor.shutdown(kill=True)
        progress.close()
        raise WorkerDied("a worker process died (out of memory, or killed); finished trials are "
                           "stored, the others resume from their last checkpoint when you run the "
                           "same command again") from None
    except BaseException:  # the store could not be written (disk full), ...: stop the workers first
        executor.shutdown(kill=True)
        progress.close()
        raise
    progress.close()
    executor.shutdown()
    if lost:
        raise WorkerDied(f"{len(lost)} trial(s) lost their worker process more often than Ray retries "
                         f"(first: {lost[0]}); finished trials are stored, the others resume from their "
                         "last checkpoint when you run the same command again")


def _cores() -> int:
    return os.cpu_count() or 1


def auto_device(plan: Plan, executor: str) -> str:
    """``--device auto``: ``cuda`` where the trials will find a GPU (this machine's, or a Ray
    cluster's when the plan reserves GPUs for each trial), else ``cpu``."""
    if executor == "ray" and plan.resources.gpus_per_trial > 0:
        return "cuda"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


@dataclass
class RunRequest:
    """A checked ``lrlab run``: the plan, its file, the study folder and the device."""

    plan: Plan
    plan_path: Path
    out: Path
    device: str


def prepare_run(plan_path: str | Path | None = None, out_dir: str | Path | None = None, *, device: str = "auto",
                executor: str = "local", address: str | None = None) -> RunRequest:
    """Load and check what ``lrlab run`` was asked (the plan, the device, the executor): every
    refusal comes before any folder is touched."""
    path = resolve_plan(plan_path)
    plan = load_plan(path)
    if device not in ("auto", "cpu", "cuda"):
        raise ValueError(f"--device must be 'auto', 'cpu' or 'cuda', got {device!r}")
    check_executor(executor, address)
    if device == "auto":
        device = auto_device(plan, executor)
    if executor == "ray" and device == "cuda" and plan.resources.gpus_per_trial == 0:
        raise ValueError("--executor ray --device cuda: the plan must reserve GPUs for its trials "
                         "([executor] gpus_per_trial, e.g. 1)")
    if device == "cuda" and not (executor == "ray" and address is not None):  # a cluster's GPUs are elsewhere
        import torch

        if not torch.cuda.is_available():
            raise ValueError("--device cuda: no CUDA device is available here; use --device cpu")
    out = Path(out_dir) if out_dir is not None else default_out_dir(plan)
    return RunRequest(plan, path, out, device)


def run_prepared(request: RunRequest, *, workers: int | None = None, stream: TextIO | None = None,
                 executor: str = "local", address: str | None = None, retry_failed: bool = False) -> StudyOutcome:
    """Run a checked request (the caller holds the folder's lock, or :func:`run_study` takes it)."""
    stream = stream or sys.stderr
    plan, out, device = request.plan, request.out, request.device
    check_folder(plan, out)
    # Hub data is fetched once here (or its absence said in one line), not failed in every trial.
    # (A user's own task was run and checked when the plan was loaded.)
    ensure_tasks_available((entry.name, entry.resolved_model()) for entry in plan.tasks if entry.source is None)
    shape = f"{len(plan.tasks)} tasks x {len(plan.schedules)} schedules x {len(plan.seeds)} seeds"
    if plan.tuning is not None:
        shape = (f"{shape}, as given and tuned ({plan.tuning.trials} configurations each on tuning seeds "
                 f"{plan.tuning.seeds})")
    print(f"study {plan.name!r} (plan {plan.hash}): {shape} = {planned_count(plan)} trials on {device} -> {out}",
          file=stream)
    if executor == "ray" and address is not None and plan.resources.storage is None:
        print(f"note: the plan names no [executor] storage: each trial keeps its checkpoint in "
              f"{trials_root(plan, out).resolve()} on the machine that runs it, so a retry on another "
              "machine starts that trial again", file=stream)
    outcome = run_study(plan, out, plan_text=request.plan_path.read_text(encoding="utf-8"), workers=workers,
                        device=device, stream=stream, executor=executor, address=address, retry_failed=retry_failed)
    counts = ", ".join(f"{n} {'to retry' if status == RETRY else status}" for status, n in sorted(outcome.counts.items()))
    verb = "stopped after" if outcome.interrupted else "done in"
    print(f"{verb} {outcome.seconds:.1f}s: {counts}", file=stream)
    for line in outcome.retry:
        print(f"to retry: {line}", file=stream)
    if outcome.retry:
        print(f"{len(outcome.retry)} trial(s) were stopped by the environment, not by their code; fix that and "
              "run the same command again: they resume from their last good checkpoint", file=stream)
    failed = outcome.counts.get("failed", 0)
    if failed and not outcome.interrupted:
        print(f"{failed} trial(s) failed (their code raised): `lrlab status {out}` shows why; "
              "`lrlab run --retry-failed` runs them again", file=stream)
    print(f"results: {outcome.store_path}", file=stream)
    return outcome


def run_plan_file(plan_path: str | Path | None = None, out_dir: str | Path | None = None, *,
                  workers: int | None = None, device: str = "auto", stream: TextIO | None = None,
                  executor: str = "local", address: str | None = None, retry_failed: bool = False) -> StudyOutcome:
    """``lrlab run`` without the report: load the plan (default: the shipped default study), run
    it, say where. ``device`` ``auto`` (default) trains on CUDA where there is a GPU, else on the CPU."""
    stream = stream or sys.stderr
    request = prepare_run(plan_path, out_dir, device=device, executor=executor, address=address)
    with study_lock(request.out, stream):
        return run_prepared(request, workers=workers, stream=stream, executor=executor, address=address,
                            retry_failed=retry_failed)
