"""lrlab schedulers in the Hugging Face ``Trainer``.

The ``Trainer`` drives the scheduler it is given: pass the lrlab scheduler with the optimizer it
wraps, ``Trainer(optimizers=(optimizer, scheduler))``, and the Trainer calls
``scheduler.step()`` after every optimizer step, saves ``scheduler.state_dict()`` in each
checkpoint (``scheduler.pt``) and restores it on ``train(resume_from_checkpoint=...)``.
:class:`AdaptiveLRCallback` feeds the same scheduler the signals it declares in ``needs``:

* ``logits``: a forward hook on the model keeps the last training micro-batch's logits
  (``output.logits``, detached); installed only if the scheduler needs them.
* ``loss``: the mean over the step's micro-batches of ``output.loss``, the loss the model
  computed itself (the batch must carry ``labels``). A ``compute_loss`` of your own is not seen;
  the Trainer's own per-step loss is not passed to callbacks (it logs the mean over
  ``logging_steps`` only).
* ``loss_closure``: re-runs the model on the last micro-batch and returns its ``output.loss``.
* ``grads``: read by the scheduler's own optimizer step pre-hook; nothing to do here.
* ``val_metrics``: the ``metrics`` of ``on_evaluate`` with their prefix removed
  (``eval_loss`` -> ``loss``, ``eval_accuracy`` -> ``accuracy``; runtime and throughput left
  out); ``train_metrics``: ``{"loss": ...}``, the mean of the training losses the Trainer
  logged since the previous evaluation (exact when ``eval_steps`` is a multiple of
  ``logging_steps``). Both come from the Trainer's state, so a resumed run sees the same values.

Per-step signals are observed in ``on_step_end``, after the Trainer's ``scheduler.step()``; a
decision is applied at once (see :mod:`lrlab.schedulers.base`), so the next optimizer step trains
with it, as in lrlab's own loop. (Observing earlier, in ``on_optimizer_step``, would change
``get_last_lr()`` before the Trainer reads it as the rate of the step just taken.) An
adjustment's ``"step"`` is the Trainer's ``global_step`` of the step whose signals decided it.

Every log the Trainer writes gets ``lrlab/lr`` (``lrlab/lr_<group>`` for further parameter
groups), ``lrlab/adjustments`` (changes so far) and ``lrlab/<signal>`` for the scheduler's
latest signals; they go into ``trainer.state.log_history`` always, and to the loggers of
``report_to`` (TensorBoard, W&B, ...) when the callback runs before them: add it with
:meth:`AdaptiveLRCallback.attach` rather than ``callbacks=[...]``. ``lrlab/lr`` is the rate the
logged step trained with, the same number as the Trainer's own ``learning_rate`` in that record
(which the Trainer reads before its ``scheduler.step()``); a decision made at that step shows in
the next record. ``scheduler.get_last_lr()`` is the rate the next step will use.

Why no ``AdaptiveLRCallback.from_name(...)`` on the Trainer's own optimizer: the Trainer would
still build and step its own scheduler (``lr_scheduler_type``), two schedulers would write the
same rates, and only the Trainer's would be checkpointed. Build the optimizer and the lrlab
scheduler yourself (``make_scheduler(name, optimizer, ...)``) and hand both to the Trainer.

Example (needs ``pip install 'lrlab[hf]'``)::

    import torch
    from transformers import Trainer, TrainingArguments
    from lrlab.integrations.hf import AdaptiveLRCallback
    from lrlab.schedulers import make_scheduler

    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)
    scheduler = make_scheduler("entropy", optimizer, threshold=0.5, interval=10)
    trainer = Trainer(model=model, args=TrainingArguments("out", eval_strategy="steps"),
                      train_dataset=train, eval_dataset=val,
                      optimizers=(optimizer, scheduler))            # the Trainer steps it
    AdaptiveLRCallback(scheduler).attach(trainer)                   # the callback feeds it
    trainer.train()
    scheduler.adjustments  # every change: step, old and new rate, signals, rule

    # or, when report_to loggers need not see the signals:
    # Trainer(..., optimizers=(optimizer, scheduler), callbacks=[AdaptiveLRCallback(scheduler)])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import Tensor, nn
from torch.optim.lr_scheduler import LRScheduler, ReduceLROnPlateau

from lrlab.schedulers import needs_of

try:
    from transformers import TrainerCallback
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "lrlab.integrations.hf needs transformers (and accelerate for its Trainer): "
        "pip install 'lrlab[hf]'") from error

#: Entries of ``on_evaluate``'s metrics that describe the run, not the model.
_NOT_METRICS = ("runtime", "samples_per_second", "steps_per_second", "epoch", "model_preparation_time")


def output_field(output: Any, name: str) -> Any:
    """``output.<name>`` of a model output (``ModelOutput``, dict, or the tensor itself for logits)."""
    if isinstance(output, Tensor):
        return output if name == "logits" else None
    if isinstance(output, Mapping):
        return output.get(name)
    return getattr(output, name, None)


def eval_metrics(metrics: Mapping[str, Any], prefix: str = "eval_") -> dict[str, float]:
    """``on_evaluate``'s metrics as lrlab's ``val_metrics``: prefix removed, numbers only.

    Example:
        >>> eval_metrics({"eval_loss": 0.5, "eval_accuracy": 0.8, "eval_runtime": 1.2, "epoch": 1.0})
        {'loss': 0.5, 'accuracy': 0.8}
    """
    out: dict[str, float] = {}
    for key, value in metrics.items():
        name = key[len(prefix):]
        if key.startswith(prefix) and name not in _NOT_METRICS and isinstance(value, int | float) \
                and not isinstance(value, bool):
            out[name] = float(value)
    return out


def train_loss_since(log_history: list[dict[str, Any]], since_step: int, until_step: int) -> float | None:
    """Mean training loss over steps ``(since_step, until_step]`` from the Trainer's log history.

    Each training log holds the mean loss since the previous one; it is weighted by the steps it
    covers. ``None`` if nothing was logged in that span.

    Example:
        >>> history = [{"loss": 1.0, "step": 5}, {"eval_loss": 0.9, "step": 5}, {"loss": 0.5, "step": 10}]
        >>> train_loss_since(history, 0, 10), train_loss_since(history, 5, 10)
        (0.75, 0.5)
    """
    total = weight = 0.0
    previous = 0
    for entry in log_history:
        if "loss" not in entry or "step" not in entry:
            continue
        step = int(entry["step"])
        if since_step < step <= until_step:
            total += float(entry["loss"]) * (step - previous)
            weight += step - previous
        previous = step
    return total / weight if weight else None


class AdaptiveLRCallback(TrainerCallback):
    """Feed an lrlab scheduler, passed as ``Trainer(optimizers=(opt, scheduler))``, its signals.

    Args:
        scheduler: the scheduler the Trainer steps (any lrlab scheduler, or any ``LRScheduler``:
            one that needs nothing is only logged).
        metric_prefix: prefix of the evaluation metrics to pass as ``val_metrics`` (default
            ``"eval_"``; with a dict of eval datasets, e.g. ``"eval_validation_"``). Evaluations
            whose metrics carry none are not passed.
        log_signals: add the rate and the signals to every log (default True).

    Evaluations outside ``train()`` (a final ``trainer.evaluate()`` on a test set) are never
    passed to the scheduler. A ``ReduceLROnPlateau`` given to the Trainer is stepped by the
    Trainer with ``metric_for_best_model``; the callback then does not pass it metrics again.
    """

    def __init__(self, scheduler: LRScheduler | ReduceLROnPlateau, *, metric_prefix: str = "eval_",
                 log_signals: bool = True) -> None:
        if not hasattr(scheduler, "optimizer"):
            raise TypeError(f"scheduler must be a torch LR scheduler, got {type(scheduler).__name__}")
        self.scheduler = scheduler
        self.needs = needs_of(scheduler)
        self.metric_prefix = metric_prefix
        self.log_signals = log_signals
        self._hook: torch.utils.hooks.RemovableHandle | None = None
        self._training = False
        self._in_closure = False
        self._step_rates: list[float] | None = None  # the rates the last optimizer step used
        self._pending_rates: list[float] | None = None
        self._feed_val = "val_metrics" in self.needs
        self._logits: Tensor | None = None
        self._losses: list[Tensor] = []
        self._last_call: tuple[nn.Module, tuple[Any, ...], dict[str, Any]] | None = None

    def attach(self, trainer: Any) -> Any:
        """Add this callback ahead of the Trainer's others, so that every logger sees the signals."""
        trainer.callback_handler.callbacks.insert(0, self)
        return trainer

    # -- training starts and ends --------------------------------------------------------------
    def on_train_begin(self, args: Any, state: Any, control: Any, model: nn.Module | None = None,
                       lr_scheduler: Any = None, **kwargs: Any) -> None:
        if lr_scheduler is not self.scheduler:
            raise ValueError(
                "AdaptiveLRCallback's scheduler is not the Trainer's: pass it as "
                "Trainer(optimizers=(optimizer, scheduler)) so that the Trainer steps and checkpoints it")
        # The Trainer feeds a ReduceLROnPlateau itself after each evaluation.
        self._feed_val = "val_metrics" in self.needs and not isinstance(self.scheduler, ReduceLROnPlateau)
        self._training = True
        self._reset_step()
        self._expect_evaluations(args, state)
        if self.needs & {"logits", "loss", "loss_closure"} and model is not None:
            self._hook = model.register_forward_hook(self._on_forward, with_kwargs=True)

    def _expect_evaluations(self, args: Any, state: Any) -> None:
        """Tell the scheduler how often the Trainer evaluates, so that it warns of missing
        evaluation metrics only after a period with none (``eval_strategy="no"``: as it likes)."""
        if not hasattr(self.scheduler, "evaluation_grace"):
            return
        strategy = str(getattr(getattr(args, "eval_strategy", "no"), "value", getattr(args, "eval_strategy", "no")))
        every = 0
        if strategy == "steps" and getattr(args, "eval_steps", None):
            steps = args.eval_steps
            every = int(steps if steps >= 1 else math.ceil(steps * max(1, state.max_steps)))
        elif strategy == "epoch" and getattr(args, "num_train_epochs", 0):
            every = math.ceil(max(1, state.max_steps) / max(1.0, float(args.num_train_epochs)))
        if every:
            self.scheduler.evaluation_grace = max(self.scheduler.evaluation_grace, every + 1)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._training = False
        if self._hook is not None:
            self._hook.remove()
            self._hook = None
        self._reset_step()

    # -- per step ------------------------------------------------------------------------------
    def _on_forward(self, module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any],
                    output: Any) -> None:
        if not module.training or self._in_closure:  # evaluation, or our own closure
            return
        if "logits" in self.needs:
            logits = output_field(output, "logits")
            self._logits = logits.detach() if isinstance(logits, Tensor) else None
        if "loss" in self.needs:
            loss = output_field(output, "loss")
            if isinstance(loss, Tensor):
                self._losses.append(loss.detach())
        if "loss_closure" in self.needs:
            self._last_call = (module, args, kwargs)

    def on_optimizer_step(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._pending_rates = self._rates()  # what this step trained with, before any change

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        # (transformers without on_optimizer_step: the rates after the Trainer's scheduler.step())
        self._step_rates = self._pending_rates if self._pending_rates is not None else self._rates()
        self._pending_rates = None
        self._observe_step()

    def _rates(self) -> list[float]:
        return [float(group["lr"]) for group in self.scheduler.optimizer.param_groups]

    def _observe_step(self) -> None:
        signals: dict[str, Any] = {}
        if "logits" in self.needs and self._logits is not None:
            signals["logits"] = self._logits
        if "loss" in self.needs:
            if not self._losses:
                raise ValueError(
                    f"{type(self.scheduler).__name__} needs the training loss, but the model's output "
                    "has no `loss`: give the batches `labels` so that the model computes its loss")
            signals["loss"] = torch.stack(self._losses).float().mean()
        if "loss_closure" in self.needs and self._last_call is not None:
            signals["loss_closure"] = self._closure(*self._last_call)
        if signals:
            self.scheduler.observe(**signals)
        self._reset_step()

    def _closure(self, module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Callable[[], Tensor]:
        def loss() -> Tensor:
            self._in_closure = True
            try:
                value = output_field(module(*args, **kwargs), "loss")
            finally:
                self._in_closure = False
            if not isinstance(value, Tensor):
                raise ValueError("loss_closure: the model's output has no `loss`; give the batches `labels`")
            return value
        return loss

    def _reset_step(self) -> None:
        self._logits, self._losses, self._last_call = None, [], None

    # -- evaluations ---------------------------------------------------------------------------
    def on_evaluate(self, args: Any, state: Any, control: Any, metrics: Mapping[str, Any] | None = None,
                    **kwargs: Any) -> None:
        if not (self._training and self._feed_val and metrics):
            return
        val_metrics = eval_metrics(metrics, self.metric_prefix)
        if not val_metrics:
            return
        signals: dict[str, Any] = {"val_metrics": val_metrics}
        if "train_metrics" in self.needs:
            step = state.global_step
            previous = max((int(e["step"]) for e in state.log_history
                            if "step" in e and int(e["step"]) < step
                            and any(k.startswith(self.metric_prefix) for k in e)), default=0)
            train_loss = train_loss_since(state.log_history, previous, step)
            if train_loss is not None:
                signals["train_metrics"] = {"loss": train_loss}
        self.scheduler.observe(**signals)

    # -- logs ----------------------------------------------------------------------------------
    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None,
               **kwargs: Any) -> None:
        if not self.log_signals or logs is None:
            return
        extra = self.log_values()
        logs.update(extra)
        # The Trainer stored a copy of these logs before calling back; keep the history complete.
        if state.log_history and state.log_history[-1].get("step") == state.global_step:
            state.log_history[-1].update(extra)

    def log_values(self) -> dict[str, float]:
        """What goes into the logs: the rates the last optimizer step trained with (the current
        rates before the first step), the number of adjustments, the latest signals."""
        values: dict[str, float] = {}
        rates = self._step_rates if self._step_rates is not None else self._rates()
        for i, rate in enumerate(rates):
            values["lrlab/lr" if i == 0 else f"lrlab/lr_{i}"] = rate
        adjustments = getattr(self.scheduler, "adjustments", None)
        if adjustments is not None:
            values["lrlab/adjustments"] = float(len(adjustments))
        for name, value in getattr(self.scheduler, "signals", {}).items():
            if isinstance(value, int | float) and math.isfinite(value):
                values[f"lrlab/{name}"] = float(value)
        return values
