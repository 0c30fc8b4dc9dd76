"""lrlab schedulers in Lightning (``lightning.pytorch``).

Lightning steps, checkpoints and restores the scheduler that ``configure_optimizers`` returns;
return an lrlab scheduler with ``"interval": "step"`` so that it is stepped after every optimizer
step. :class:`AdaptiveLRCallback` finds it there and feeds it the signals it declares in
``needs``:

* ``logits`` and ``loss``: from what ``training_step`` returns, which must then be a dict:
  ``{"loss": loss, "logits": logits}`` (``logits`` only for schedulers that need them; they are
  detached here). With ``accumulate_grad_batches`` the losses of the accumulated batches are
  averaged and the last batch's logits are passed.
* ``loss_closure``: calls ``training_step`` again on the last batch (anything it logs is logged
  again).
* ``grads``: read by the scheduler's own optimizer step pre-hook; nothing to do here.
* ``val_metrics``: after each validation run of ``fit`` (not the sanity check, not
  ``trainer.validate``), the entries of ``trainer.callback_metrics`` that start with
  ``val_prefix``, without it (``val_loss`` -> ``loss``, ``val_acc`` -> ``acc``): log them in
  ``validation_step`` with ``self.log("val_loss", ...)``. ``train_metrics``: ``{"loss": ...}``,
  the mean training loss since the previous validation (saved in checkpoints).

Lightning steps ``"interval": "step"`` schedulers *before* ``on_train_batch_end``, where the
callback observes; a decision is applied at once (:mod:`lrlab.schedulers.base`), so the next
step trains with it, as in lrlab's own loop and the Hugging Face callback. The callback logs
``lrlab/lr`` (``lrlab/lr_<group>`` for further parameter groups: the rate in force after the
step, i.e. the one the next step uses), ``lrlab/adjustments`` and ``lrlab/<signal>`` with
``pl_module.log`` every training step, so they reach the Trainer's loggers and
``trainer.callback_metrics``.

A ``ReduceLROnPlateau`` (lrlab's ``PlateauLR``) is stepped by Lightning with its ``monitor``
metric; the callback does not pass it metrics again.

Example (needs ``pip install 'lrlab[lightning]'``)::

    import lightning.pytorch as pl
    import torch
    from lrlab.integrations.lightning import AdaptiveLRCallback
    from lrlab.schedulers import make_scheduler

    class Model(pl.LightningModule):
        ...
        def training_step(self, batch, batch_idx):
            x, y = batch
            logits = self.net(x)
            return {"loss": torch.nn.functional.cross_entropy(logits, y), "logits": logits}

        def validation_step(self, batch, batch_idx):
            x, y = batch
            self.log("val_loss", torch.nn.functional.cross_entropy(self.net(x), y))

        def configure_optimizers(self):
            optimizer = torch.optim.AdamW(self.parameters(), lr=1e-3)
            scheduler = make_scheduler("entropy", optimizer, threshold=0.5, interval=10)
            return {"optimizer": optimizer,
                    "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

    trainer = pl.Trainer(max_steps=1000, callbacks=[AdaptiveLRCallback()])
    trainer.fit(Model(), train_loader, val_loader)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import Tensor
from torch.optim.lr_scheduler import ReduceLROnPlateau

from lrlab.schedulers import needs_of

try:
    from lightning.pytorch import Callback
    from lightning.pytorch.trainer.states import TrainerFn
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError("lrlab.integrations.lightning needs Lightning: pip install 'lrlab[lightning]'") from error


def val_metrics_from(callback_metrics: Mapping[str, Any], prefix: str = "val_") -> dict[str, float]:
    """The validation entries of ``trainer.callback_metrics`` as lrlab's ``val_metrics``.

    Example:
        >>> val_metrics_from({"val_loss": torch.tensor(0.5), "val_acc": 0.75, "train_loss": 0.4})
        {'loss': 0.5, 'acc': 0.75}
    """
    out: dict[str, float] = {}
    for key, value in callback_metrics.items():
        if key.startswith(prefix) and (isinstance(value, int | float) and not isinstance(value, bool)
                                       or isinstance(value, Tensor) and value.numel() == 1):
            out[key[len(prefix):]] = float(value)
    return out


class AdaptiveLRCallback(Callback):
    """Feed the lrlab scheduler(s) of ``configure_optimizers`` the signals they need.

    Args:
        val_prefix: prefix of the logged validation metrics to pass as ``val_metrics``
            (default ``"val_"``; e.g. ``"val/"`` for metrics logged as ``val/loss``).
        log_signals: log the rate and the signals every training step (default True).

    The schedulers fed are those of ``trainer.lr_scheduler_configs`` that have ``observe``
    (every lrlab scheduler); there must be at least one.
    """

    def __init__(self, *, val_prefix: str = "val_", log_signals: bool = True) -> None:
        self.val_prefix = val_prefix
        self.log_signals = log_signals
        self.schedulers: list[Any] = []
        self._feed_val: list[Any] = []
        self._needs: frozenset[str] = frozenset()
        self._last_global_step = 0
        self._step_losses: list[Tensor] = []
        self._since_val: list[float] = []

    # -- training starts -----------------------------------------------------------------------
    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        configs = [c for c in trainer.lr_scheduler_configs if hasattr(c.scheduler, "observe")]
        if not configs:
            raise ValueError(
                "AdaptiveLRCallback found no lrlab scheduler: return one from configure_optimizers, "
                "e.g. {'optimizer': opt, 'lr_scheduler': {'scheduler': sched, 'interval': 'step'}}")
        for config in configs:
            if not config.reduce_on_plateau and config.interval != "step":
                raise ValueError(
                    f"{type(config.scheduler).__name__} must be stepped every optimizer step: "
                    "set 'interval': 'step' in its lr_scheduler dict")
        self.schedulers = [c.scheduler for c in configs]
        # Lightning steps a ReduceLROnPlateau itself with its `monitor` metric.
        self._feed_val = [c.scheduler for c in configs if "val_metrics" in needs_of(c.scheduler)
                          and not isinstance(c.scheduler, ReduceLROnPlateau)]
        self._needs = frozenset().union(*(needs_of(s) for s in self.schedulers))
        self._last_global_step = trainer.global_step
        self._step_losses = []

    # -- per step ------------------------------------------------------------------------------
    def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        loss = outputs.get("loss") if isinstance(outputs, Mapping) else outputs
        if isinstance(loss, Tensor):
            self._step_losses.append(loss.detach())
        if trainer.global_step == self._last_global_step:
            return  # accumulating gradients: the optimizer has not stepped yet
        self._last_global_step = trainer.global_step
        step_loss = torch.stack(self._step_losses).float().mean() if self._step_losses else None
        self._step_losses = []
        if step_loss is not None and "train_metrics" in self._needs:
            self._since_val.append(float(step_loss))
        for scheduler in self.schedulers:
            signals = self._signals(needs_of(scheduler), outputs, step_loss, pl_module, batch, batch_idx)
            if signals:
                scheduler.observe(**signals)
        if self.log_signals:
            for name, value in self.log_values().items():
                pl_module.log(name, value, on_step=True, on_epoch=False, logger=bool(trainer.loggers))

    def _signals(self, needs: frozenset[str], outputs: Any, step_loss: Tensor | None, pl_module: Any,
                 batch: Any, batch_idx: int) -> dict[str, Any]:
        signals: dict[str, Any] = {}
        if "logits" in needs:
            logits = outputs.get("logits") if isinstance(outputs, Mapping) else None
            if not isinstance(logits, Tensor):
                raise ValueError("the scheduler needs logits: return {'loss': loss, 'logits': logits} "
                                 "from training_step")
            signals["logits"] = logits.detach()
        if "loss" in needs and step_loss is not None:
            signals["loss"] = step_loss
        if "loss_closure" in needs:
            signals["loss_closure"] = self._closure(pl_module, batch, batch_idx)
        return signals

    @staticmethod
    def _closure(pl_module: Any, batch: Any, batch_idx: int) -> Callable[[], Tensor]:
        def loss() -> Tensor:
            out = pl_module.training_step(batch, batch_idx)
            return out["loss"] if isinstance(out, Mapping) else out
        return loss

    # -- validation ----------------------------------------------------------------------------
    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        if trainer.sanity_checking or trainer.state.fn != TrainerFn.FITTING or not self._feed_val:
            return
        val_metrics = val_metrics_from(trainer.callback_metrics, self.val_prefix)
        if not val_metrics:
            return
        signals: dict[str, Any] = {"val_metrics": val_metrics}
        if self._since_val:
            signals["train_metrics"] = {"loss": sum(self._since_val) / len(self._since_val)}
        self._since_val = []
        for scheduler in self._feed_val:
            scheduler.observe(**signals)

    # -- logs and checkpoints ------------------------------------------------------------------
    def log_values(self) -> dict[str, float]:
        """What is logged each step: rates, number of adjustments, the latest signals."""
        values: dict[str, float] = {}
        several = len(self.schedulers) > 1
        for k, scheduler in enumerate(self.schedulers):
            tag = f"lrlab/{k}/" if several else "lrlab/"
            for i, group in enumerate(scheduler.optimizer.param_groups):
                values[f"{tag}lr" if i == 0 else f"{tag}lr_{i}"] = float(group["lr"])
            adjustments = getattr(scheduler, "adjustments", None)
            if adjustments is not None:
                values[f"{tag}adjustments"] = float(len(adjustments))
            for name, value in getattr(scheduler, "signals", {}).items():
                if isinstance(value, int | float) and math.isfinite(value):
                    values[f"{tag}{name}"] = float(value)
        return values

    def state_dict(self) -> dict[str, Any]:
        return {"since_val": list(self._since_val)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._since_val = list(state_dict.get("since_val", []))
