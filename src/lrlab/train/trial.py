"""One trial, top to bottom: data, model, optimizer and schedule, resume, the loop, the test, the summary.

:func:`run_trial` is the whole training loop in one function; the optional work lives in small
modules beside it (:mod:`~lrlab.train.augment`, :mod:`~lrlab.train.checkpoint`,
:mod:`~lrlab.train.early_stopping`, :mod:`~lrlab.train.memory`, :mod:`~lrlab.train.summary`).
"""

from __future__ import annotations

import copy
import math
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.optim import Optimizer

from lrlab.errors import EnvironmentFailure
from lrlab.files import is_environmental, what_happened
from lrlab.schedulers import make_optimizer, needs_of
from lrlab.tasks import Split, compute_metrics
from lrlab.tasks.objective import Examples, Objective
from lrlab.train.augment import augmentation_for
from lrlab.train.batches import autocast, autocast_dtype, epoch_batches, loader_workers
from lrlab.train.checkpoint import (
    CHECKPOINT_NAME,
    load_checkpoint,
    records_from_text,
    records_to_text,
    rng_state,
    save_checkpoint,
    seed_everything,
    set_rng_state,
)
from lrlab.train.data import balanced_class_weights, epoch_generator, resolve_device, to_device
from lrlab.train.early_stopping import EarlyStopping
from lrlab.train.memory import peak_memory, reset_peak_memory
from lrlab.train.resolve import schedule_for, task_for
from lrlab.train.spec import TrialResult, TrialSpec
from lrlab.train.summary import summarize

#: Examples per forward pass when evaluating a whole split (memory only; numbers do not depend on it
#: beyond float rounding, and it is fixed, so runs stay identical).
EVAL_BATCH = 1024


def run_trial(spec: TrialSpec, trial_dir: Path, *,
              on_epoch: Callable[[dict[str, Any]], None] | None = None) -> TrialResult:
    """Train ``spec`` once, checkpointing into ``trial_dir`` every epoch, and return its records.

    A checkpoint already in ``trial_dir`` (``checkpoint.pt``, from an interrupted run of the same
    spec) is continued from the epoch after it; the records and weights come out as an
    uninterrupted run's, except the wall-clock fields (``seconds``, ``elapsed``, summary timings).

    Per optimizer step the loop records ``{"step", "epoch", "lr" (the rate each group used for
    this step), "loss" (mean of its micro-batches' losses), "seconds", "signals"}``, and feeds the
    scheduler exactly what ``needs_of(scheduler)`` asks for. After each epoch it evaluates the
    whole validation split (eval mode) and records ``{"epoch", "step" (optimizer steps done),
    "elapsed" (seconds spent in training steps so far, evaluation excluded), "lr" (rates at the
    end of the epoch), "train", "val"}``. ``train`` holds the loss (unweighted cross-entropy)
    and accuracy *accumulated from the epoch's training forward passes* — free, but measured on
    the moving model in train mode (dropout, augmentation), not a re-evaluation of the split.
    ``val`` and ``test`` hold ``loss``, ``accuracy``, the spec's metrics and the target's.
    Epochs and steps are numbered from 1. ``adjustments`` is the scheduler's own log, whose
    ``"step"`` counts the scheduler steps taken when it decided: an adjustment with step ``s``
    was decided during step record ``s + 1`` (from that step's signals or gradients) and applies
    from the step after, or after the evaluation that follows step record ``s`` (from the
    validation metrics) and applies from step ``s + 1`` on.

    Outcomes: ``completed`` (the test split evaluated once, on the final model); ``diverged`` (a
    non-finite training or validation loss: the records so far are kept, no test); ``failed``
    (any ``Exception``, including an invalid spec: ``error`` holds the type, message and the
    last traceback lines), except failures of the environment, which are not the trial's (see
    Raises). Early stopping and ``max_seconds`` end training early but still
    complete the trial.

    Args:
        spec: the trial.
        trial_dir: folder for the checkpoint (created if missing; the checkpoint is kept).
        on_epoch: called with a copy of each epoch record, after that epoch's checkpoint is
            written. Whatever it raises propagates unchanged: it is an interruption by the
            caller, not a failure of the trial, and the next call resumes after that epoch.

    Raises:
        ValueError: ``spec.device`` is not ``cpu``/``cuda``, or is ``cuda`` without a GPU
            (a fact about this machine, not the trial, so it is not recorded as a failure).
        EnvironmentFailure: the disk would not write the checkpoint or read it back (full,
            I/O error, truncated file), or another ``OSError`` of the machine (ENOSPC, EIO, ...);
            the caller retries the trial later, from its last good checkpoint or from scratch.
    """
    device = resolve_device(spec.device)
    trial_dir = Path(trial_dir)
    trial_dir.mkdir(parents=True, exist_ok=True)
    checkpoint_path = trial_dir / CHECKPOINT_NAME
    result = TrialResult(trial_id=spec.trial_id, spec=spec, status="completed")
    reset_peak_memory(device)
    train_seconds = eval_seconds = 0.0  # wall time in optimizer steps / in evaluations, over all resumes
    stopped: str | None = None  # why training ended early: "early_stopping" or "budget"
    scheduler = None
    class_counts: list[int] | None = None  # of the validation split, for the chance level
    try:
        # -- data, model, loss ----------------------------------------------------------------
        task = task_for(spec)  # a registered task, or the user's own (its source is in the spec)
        _check_spec(spec, task.metric_choices)
        metric_names = _metric_names(spec, task.classification)
        data = task.load_for(spec.model)
        objective = data.objective  # None: classification of in-memory tensors
        if objective is None:
            class_counts = torch.bincount(data.val.y.cpu(), minlength=data.num_classes).tolist()
        if objective is None:
            train, val, test = (to_device(split, device) for split in (data.train, data.val, data.test))
        else:
            train, val, test = data.train, data.val, data.test
        if objective is not None and (spec.class_balancing or spec.augmentation):
            raise ValueError(f"task {spec.task!r} is not tensor classification: class_balancing and "
                             "augmentation do not apply to it")
        augment = augmentation_for(spec.task, data.input_shape) if spec.augmentation else None
        precision = autocast_dtype(spec.precision, device)
        workers = loader_workers(spec.loader_workers, device)
        seed_everything(spec.seed)
        model = task.build_model(spec.model, data, dropout=spec.dropout).to(device)
        class_weights = (balanced_class_weights(data.train.y, data.num_classes).to(device)
                         if spec.class_balancing else None)

        def loss_fn(logits: Tensor, y: Tensor) -> Tensor:
            return F.cross_entropy(logits, y, weight=class_weights)

        def forward(batch: Any) -> tuple[Tensor, Tensor]:
            """(the batch's training loss, its logits), in the trial's precision."""
            with autocast(device, precision):
                if objective is not None:
                    return objective.loss(model, batch)
                x, y = batch
                logits = model(x)
                return loss_fn(logits, y), logits

        # -- optimizer and schedule -----------------------------------------------------------
        batches_per_epoch = math.ceil(len(train) / spec.batch_size)
        steps_per_epoch = math.ceil(batches_per_epoch / spec.accumulate)
        # A self-tuning optimizer entry ("schedulefree_adamw", "prodigy", ...) is its own optimizer.
        schedule = schedule_for(spec)
        optimizer_name = spec.schedule if schedule.kind == "optimizer" else spec.optimizer
        optimizer = make_optimizer(optimizer_name, model.parameters(), lr=spec.lr,
                                   weight_decay=spec.weight_decay, **spec.optimizer_args)
        schedule_args = dict(spec.schedule_args)
        if "seed" in schedule.arguments():  # a scheduler's own randomness follows the trial's seed
            schedule_args.setdefault("seed", spec.seed)
        scheduler = schedule.build(optimizer, total_steps=spec.epochs * steps_per_epoch,
                                   warmup_steps=spec.warmup_steps, **schedule_args)
        needs = needs_of(scheduler)
        if hasattr(scheduler, "evaluation_grace"):  # this loop evaluates once an epoch, whatever its length
            scheduler.evaluation_grace = max(scheduler.evaluation_grace, steps_per_epoch + 1)
        evaluation_context = {"device": device, "precision": precision, "workers": workers,
                              "batch_size": spec.batch_size}
        monitor, mode = (spec.target.metric, spec.target.mode) if spec.target else ("loss", "min")
        stopping = EarlyStopping(spec.early_stopping_patience, mode)

        # -- resume from the last checkpoint, if there is one ---------------------------------
        first_epoch, step = 1, 0
        checkpoint = load_checkpoint(checkpoint_path)
        if checkpoint is not None:
            if checkpoint["trial_id"] != spec.trial_id:
                raise ValueError(f"{checkpoint_path} belongs to trial {checkpoint['trial_id']}, "
                                 f"not {spec.trial_id}; use an empty folder for a new trial")
            model.load_state_dict(checkpoint["model"])
            optimizer.load_state_dict(checkpoint["optimizer"])
            scheduler.load_state_dict(checkpoint["scheduler"])
            stopping.load_state_dict(checkpoint["early_stopping"])
            set_rng_state(checkpoint["rng"], device)
            result.steps, result.epochs = records_from_text(checkpoint["records"])
            train_seconds, eval_seconds = checkpoint["train_seconds"], checkpoint["eval_seconds"]
            stopped, step = checkpoint["stopped"], checkpoint["step"]
            first_epoch = checkpoint["epoch"] + 1
            result.resumed_from_epoch = checkpoint["epoch"]

        # -- the loop ------------------------------------------------------------------------
        for epoch in range(first_epoch, spec.epochs + 1):
            if stopped is not None:
                break
            model.train()
            _set_optimizer_mode(optimizer, "train")
            generator = epoch_generator(spec.seed, epoch)  # this epoch's order and augmentation
            order = torch.randperm(len(train), generator=generator)
            batches = epoch_batches(train, order, spec.batch_size, device, workers=workers,
                                    augment=augment, generator=generator)
            seen, loss_sum, correct = 0, torch.zeros((), device=device), torch.zeros((), device=device)
            for first_batch in range(0, batches_per_epoch, spec.accumulate):
                step_start = time.perf_counter()
                micro_batches = range(first_batch, min(first_batch + spec.accumulate, batches_per_epoch))
                optimizer.zero_grad(set_to_none=True)
                step_loss = 0.0
                for _ in micro_batches:
                    batch = next(batches)
                    loss, logits = forward(batch)
                    loss_value = loss.item()
                    if not math.isfinite(loss_value):
                        raise Diverged(f"training loss is {loss_value} at step {step + 1} (epoch {epoch})")
                    (loss / len(micro_batches)).backward()  # the step's gradient: mean over micro-batches
                    step_loss += loss_value / len(micro_batches)
                    with torch.no_grad():
                        if objective is None:  # unweighted cross-entropy and accuracy, for free
                            y = batch[1]
                            seen += len(y)
                            loss_sum += F.cross_entropy(logits.float(), y, reduction="sum")
                            correct += (logits.argmax(dim=1) == y).sum()
                        else:
                            size = _batch_size(batch)
                            seen += size
                            loss_sum += loss.detach().float() * size
                lrs = _rates(optimizer)
                optimizer.step()  # schedulers that need "grads" read them here, through their hook
                step += 1
                signals: dict[str, Any] = {}
                if "logits" in needs:
                    signals["logits"] = logits.detach().float()
                if "loss" in needs:
                    signals["loss"] = step_loss
                if "loss_closure" in needs:
                    signals["loss_closure"] = lambda batch=batch: forward(batch)[0]
                if signals:
                    scheduler.observe(**signals)
                scheduler.step()
                seconds = time.perf_counter() - step_start
                train_seconds += seconds
                result.steps.append({
                    "step": step, "epoch": epoch, "lr": lrs, "loss": step_loss, "seconds": seconds,
                    "signals": _plain(getattr(scheduler, "signals", {})),
                })
            train_metrics = {"loss": float(loss_sum) / seen}
            if objective is None:
                train_metrics["accuracy"] = float(correct) / seen

            # -- evaluate on the validation split (it decides; the test split never does) ----
            eval_start = time.perf_counter()
            model.eval()
            _set_optimizer_mode(optimizer, "eval")  # schedule-free: evaluate the averaged weights
            val_metrics = _evaluate(model, val, metric_names, objective, evaluation_context)
            eval_seconds += time.perf_counter() - eval_start
            record = {"epoch": epoch, "step": step, "elapsed": train_seconds, "lr": _rates(optimizer),
                      "train": train_metrics, "val": val_metrics}
            result.epochs.append(record)
            if not math.isfinite(val_metrics["loss"]):
                raise Diverged(f"validation loss is {val_metrics['loss']} after epoch {epoch}")
            evaluation = {"val_metrics": val_metrics, "train_metrics": train_metrics}
            evaluation = {name: value for name, value in evaluation.items() if name in needs}
            if evaluation:
                scheduler.observe(**evaluation)
            stopping.update(val_metrics[monitor])
            if epoch < spec.epochs:  # ending early is news only before the last epoch
                if stopping.should_stop:
                    stopped = "early_stopping"
                elif spec.max_seconds is not None and train_seconds + eval_seconds >= spec.max_seconds:
                    stopped = "budget"

            # -- checkpoint: everything needed to continue after this epoch ------------------
            save_checkpoint(checkpoint_path, {
                "trial_id": spec.trial_id, "epoch": epoch, "step": step, "stopped": stopped,
                "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "early_stopping": stopping.state_dict(),
                "rng": rng_state(device), "train_seconds": train_seconds,
                "eval_seconds": eval_seconds, "records": records_to_text(result.steps, result.epochs),
            })
            if on_epoch is not None:
                _notify(on_epoch, copy.deepcopy(record))

        # -- the test split, once, on the final model -----------------------------------------
        eval_start = time.perf_counter()
        model.eval()
        _set_optimizer_mode(optimizer, "eval")
        result.test = _evaluate(model, test, metric_names, objective, evaluation_context)
        test_seconds = time.perf_counter() - eval_start
        eval_seconds += test_seconds
        stopped = stopped or "epochs"
    except _Interrupted as interruption:
        raise interruption.error from None
    except Diverged as divergence:
        result.status, result.error, stopped = "diverged", str(divergence), "diverged"
    except EnvironmentFailure:
        raise  # a checkpoint the disk would not write or read back: not the trial's failure
    except Exception as error:
        if is_environmental(error):  # the machine (disk full, I/O error), not the trial's code
            raise EnvironmentFailure(f"trial {spec.trial_id}: {what_happened(error)}: {error}") from None
        result.status, result.error, stopped = "failed", describe_error(error), "failed"

    result.adjustments = list(getattr(scheduler, "adjustments", []))
    result.summary = summarize(result.steps, result.epochs, result.adjustments, spec.target,
                               stopped=stopped, wall_seconds=train_seconds + eval_seconds,
                               memory=peak_memory(device), class_counts=class_counts)
    # The final evaluation's cost, as the reports give it (runtime, samples and batches per second).
    if result.test is not None:
        eval_batch = EVAL_BATCH if objective is None else spec.batch_size
        result.summary.update(test_seconds=test_seconds, test_samples=len(test),
                              test_batches=math.ceil(len(test) / eval_batch))
    return result


class Diverged(Exception):
    """The training or validation loss stopped being a finite number."""


class _Interrupted(BaseException):
    """Carries what ``on_epoch`` raised past the handler that turns errors into failed trials."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(error)
        self.error = error


def _notify(on_epoch: Callable[[dict[str, Any]], None], record: dict[str, Any]) -> None:
    try:
        on_epoch(record)
    except BaseException as error:
        raise _Interrupted(error) from error


def _metric_names(spec: TrialSpec, classification: bool = True) -> list[str]:
    """Validation/test metrics: loss always (and accuracy for classification), then the spec's,
    then the target's."""
    return list(dict.fromkeys(["loss", *(["accuracy"] if classification else []), *spec.metrics,
                               *([spec.target.metric] if spec.target else [])]))


def _check_spec(spec: TrialSpec, choices: tuple[str, ...]) -> None:
    """What the loop itself relies on (the study validates plans earlier; this is the backstop)."""
    unknown = [name for name in _metric_names(spec, "accuracy" in choices) if name not in choices]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown} for task {spec.task!r}; allowed: {list(choices)}")
    for name, value, minimum in (("epochs", spec.epochs, 1), ("batch_size", spec.batch_size, 1),
                                 ("accumulate", spec.accumulate, 1),
                                 ("early_stopping_patience", spec.early_stopping_patience, 0)):
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if spec.target is not None and spec.target.mode not in ("min", "max"):
        raise ValueError(f"target mode must be 'min' or 'max', got {spec.target.mode!r}")
    if spec.max_seconds is not None and not spec.max_seconds > 0:
        raise ValueError(f"max_seconds must be > 0 or None, got {spec.max_seconds!r}")


@torch.no_grad()
def _evaluate(model: nn.Module, split: Split | Examples, names: list[str], objective: Objective | None,
              context: dict[str, Any]) -> dict[str, float]:
    """The named metrics of ``model`` on the whole ``split`` (the caller sets eval mode), in the
    trial's precision; an objective's split is read in order, in batches of the training size."""
    device = context["device"]
    with autocast(device, context["precision"]):
        if objective is None:
            logits = torch.cat([model(split.x[i:i + EVAL_BATCH]) for i in range(0, len(split), EVAL_BATCH)])
            return compute_metrics(logits, split.y, names)
        batches = epoch_batches(split, torch.arange(len(split)), context["batch_size"], device,
                                workers=context["workers"])
        return objective.evaluate(model, split, batches, names)


def _batch_size(batch: dict[str, Tensor]) -> int:
    """Examples in a padded batch: the length of its first tensor."""
    return len(next(value for value in batch.values() if isinstance(value, Tensor)))


def _set_optimizer_mode(optimizer: Optimizer, mode: str) -> None:
    """Schedule-free optimizers keep two iterates: ``train()`` to step, ``eval()`` to evaluate."""
    switch = getattr(optimizer, mode, None)
    if callable(switch):
        switch()


def _rates(optimizer: Optimizer) -> list[float]:
    return [float(group["lr"]) for group in optimizer.param_groups]


def _plain(signals: dict[str, Any]) -> dict[str, float | None]:
    """The scheduler's latest signals as plain floats (JSON-able, loadable with weights_only)."""
    return {name: None if value is None else float(value) for name, value in signals.items()}


def describe_error(error: BaseException, frames: int = 3) -> str:
    """``Type: message`` and the last ``frames`` traceback lines, short enough for a table cell."""
    lines = [f"{type(error).__name__}: {error}"]
    for frame in traceback.extract_tb(error.__traceback__)[-frames:]:
        lines.append(f"  at {Path(frame.filename).name}:{frame.lineno} in {frame.name}")
    return "\n".join(lines)
