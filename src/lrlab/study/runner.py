"""Run a study: expand the plan, skip what is done, run the rest, store every record.

Running the same plan into the same folder again skips finished trials and resumes
interrupted ones from their last checkpoint. Ctrl-C stops cleanly: finished trials are in the
store, running ones resume from their last epoch next time.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from lrlab.errors import WorkerDied
from lrlab.study.executor import LocalExecutor
from lrlab.study.plan import Plan, PlanError, load_plan
from lrlab.study.progress import StudyProgress
from lrlab.study.store import FINAL, STORE_NAME, Store
from lrlab.study.tensorboard import write_events
from lrlab.train.spec import TrialResult, TrialSpec

PLANS_DIR = Path(__file__).resolve().parent.parent / "plans"


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

    @property
    def store_path(self) -> Path:
        return self.out_dir / STORE_NAME


def default_out_dir(plan: Plan) -> Path:
    return Path("runs") / plan.name


def trial_dir(out_dir: Path, spec: TrialSpec) -> Path:
    return out_dir / "trials" / spec.trial_id


def check_folder(plan: Plan, out_dir: Path) -> None:
    """Refuse a folder that holds a study of another plan, before anything is printed or run."""
    if (out_dir / STORE_NAME).is_file():
        store = Store(out_dir / STORE_NAME)
        try:
            store.check_plan(plan.hash)
        finally:
            store.close()


def _label(spec: TrialSpec) -> str:
    return f"{spec.task_label or spec.task} / {spec.schedule_label} / seed {spec.seed}"


def run_study(plan: Plan, out_dir: Path, *, plan_text: str = "", workers: int | None = None,
              device: str = "cpu", stream: TextIO | None = None) -> StudyOutcome:
    """Run every trial of ``plan`` that has not ended yet; returns counts by status."""
    stream = stream or sys.stderr
    started = time.monotonic()
    out_dir.mkdir(parents=True, exist_ok=True)
    store = Store(out_dir / STORE_NAME)
    try:
        store.bind_plan(plan.hash, json.dumps(plan.model_dump(mode="json"), sort_keys=True), plan_text)
        specs = plan.trials(device)
        store.register(specs, {s.key: s.role for s in plan.schedules})
        todo = [s for s in specs if store.status(s.trial_id) not in FINAL]
        skipped = len(specs) - len(todo)
        if skipped:
            print(f"{skipped} of {len(specs)} trials already ended; {len(todo)} to run", file=stream)
        outcome = StudyOutcome(out_dir, {}, skipped)
        if todo:
            _run_trials(todo, store, out_dir, workers, plan.budget.max_study_seconds, started, stream, outcome)
        outcome.counts = store.counts()
        outcome.seconds = time.monotonic() - started
        return outcome
    finally:
        store.close()


def _run_trials(todo: list[TrialSpec], store: Store, out_dir: Path, workers: int | None,
                max_seconds: float | None, started: float, stream: TextIO, outcome: StudyOutcome) -> None:
    executor = LocalExecutor(min(workers or _cores(), len(todo)))
    progress = StudyProgress(len(todo) + outcome.skipped, outcome.skipped, stream)
    pending: dict[Future[TrialResult], TrialSpec] = {}
    queue = list(todo)
    try:
        while queue or pending:
            over_budget = max_seconds is not None and time.monotonic() - started > max_seconds
            while queue and len(pending) < executor.workers and not over_budget:
                spec = queue.pop(0)
                store.mark_running(spec.trial_id, spec.device)
                pending[executor.submit(spec, trial_dir(out_dir, spec))] = spec
                progress.started_trial()
            if over_budget and queue:
                outcome.not_started = [s.trial_id for s in queue]
                print(f"study budget of {max_seconds:g}s spent: {len(queue)} trials not started "
                      "(run again to continue)", file=stream)
                queue.clear()
            if not pending:
                break
            done, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            epochs = {s.trial_id: s.epochs for s in pending.values()}
            for kind, trial_id, epoch in executor.drain_events():
                if kind == "epoch" and trial_id in epochs:
                    progress.epoch_done(trial_id, epoch / epochs[trial_id])
            for future in done:
                spec = pending.pop(future)
                result = future.result()
                store.write_result(result)
                write_events(result, trial_dir(out_dir, spec) / "tensorboard")
                progress.finished_trial(_label(spec), result.status, spec.trial_id)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        outcome.interrupted = True
        executor.shutdown(kill=True)
        progress.close()
        print("interrupted: finished trials are stored; run the same command again to resume",
              file=stream)
        return
    except BrokenProcessPool:
        # A worker was killed from outside (out of memory, a signal): not a trial's failure.
        executor.shutdown(kill=True)
        progress.close()
        raise WorkerDied("a worker process died (out of memory, or killed); finished trials are "
                           "stored, the others resume from their last checkpoint when you run the "
                           "same command again") from None
    progress.close()
    executor.shutdown()


def _cores() -> int:
    import os

    return os.cpu_count() or 1


def run_plan_file(plan_path: str | Path | None = None, out_dir: str | Path | None = None, *,
                  workers: int | None = None, device: str = "cpu", stream: TextIO | None = None) -> StudyOutcome:
    """``lrlab run``: load the plan (default: the shipped default study), run it, say where."""
    stream = stream or sys.stderr
    path = resolve_plan(plan_path)
    plan = load_plan(path)
    if device not in ("cpu", "cuda"):
        raise ValueError(f"--device must be 'cpu' or 'cuda', got {device!r}")
    if device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise ValueError("--device cuda: no CUDA device is available here; use --device cpu")
    out = Path(out_dir) if out_dir is not None else default_out_dir(plan)
    check_folder(plan, out)
    specs = plan.trials(device)
    print(f"study {plan.name!r} (plan {plan.hash}): {len(plan.tasks)} tasks x {len(plan.schedules)} "
          f"schedules x {len(plan.seeds)} seeds = {len(specs)} trials -> {out}", file=stream)
    outcome = run_study(plan, out, plan_text=path.read_text(encoding="utf-8"), workers=workers,
                        device=device, stream=stream)
    counts = ", ".join(f"{n} {status}" for status, n in sorted(outcome.counts.items()))
    verb = "stopped after" if outcome.interrupted else "done in"
    print(f"{verb} {outcome.seconds:.1f}s: {counts}", file=stream)
    print(f"results: {outcome.store_path}", file=stream)
    return outcome
