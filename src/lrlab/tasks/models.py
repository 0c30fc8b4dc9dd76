"""Model builders by name, usable on any task whose input shape the model can take.

Every model outputs ``num_classes`` logits for cross-entropy, two for a binary task. The
recurrent ones (``TOKEN_MODELS``) also read token ids of a text task, given its ``vocab_size``.
Weights are initialised from torch's global generator: seed it (the trial does) before
building to get the same model twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from torch import nn

from lrlab.tasks.conv import build_cnn, build_cnn1d
from lrlab.tasks.lenet import build_lenet5
from lrlab.tasks.mlp import build_mlp
from lrlab.tasks.recurrent import build_bilstm, build_gru_attention, build_lstm_attention
from lrlab.tasks.resnet import build_resnet18, build_resnet50, build_resnet_small

if TYPE_CHECKING:
    from lrlab.tasks.data import TaskData


class ModelBuilder(Protocol):
    """What a registered builder looks like; it raises ``ValueError`` for a shape it cannot take.

    The builders of ``TOKEN_MODELS`` take a keyword ``vocab_size: int | None = None`` too.
    """

    def __call__(
        self,
        input_shape: tuple[int, ...],
        num_classes: int,
        *,
        dropout: float = 0.0,
        width: int | None = None,
    ) -> nn.Module: ...


MODELS: dict[str, ModelBuilder] = {
    "mlp": build_mlp,
    "fcnn": build_mlp,
    "cnn1d": build_cnn1d,
    "gru_attention": build_gru_attention,
    "lstm_attention": build_lstm_attention,
    "bilstm": build_bilstm,
    "cnn": build_cnn,
    "lenet5": build_lenet5,
    "resnet_small": build_resnet_small,
    "resnet18": build_resnet18,
    "resnet50": build_resnet50,
}

TOKEN_MODELS = ("bilstm", "gru_attention", "lstm_attention")
"""Models that read the token ids of text tasks (an embedding in front) when given a vocab_size."""


def list_models() -> list[str]:
    """Names of all registered models, sorted."""
    return sorted(MODELS)


def build_model(
    name: str,
    input_shape: tuple[int, ...],
    num_classes: int,
    *,
    dropout: float = 0.0,
    width: int | None = None,
    vocab_size: int | None = None,
) -> nn.Module:
    """Build the model registered as ``name`` for inputs of ``input_shape``.

    Args:
        name: one of :func:`list_models`.
        input_shape: shape of one example, without the batch dimension (``TaskData.input_shape``).
        num_classes: number of output logits, at least 2.
        dropout: dropout probability before the output layer (and between the hidden layers
            of ``mlp``), in ``[0, 1)``; default 0.
        width: the model's main size (hidden units, channels or base channels), at least 1;
            default ``None`` means the model's own default.
        vocab_size: for text tasks (``TaskData.vocab_size``): inputs are ``(L,)`` int64 token
            ids in ``[0, vocab_size)``, read through an embedding; only ``TOKEN_MODELS`` take it.
            Default ``None``: float inputs.

    Raises:
        ValueError: unknown name, an input shape the model cannot take, or a bad argument.

    Example:
        >>> import torch
        >>> model = build_model("cnn", (1, 8, 8), 10)
        >>> model(torch.zeros(2, 1, 8, 8)).shape
        torch.Size([2, 10])
    """
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; known models: {', '.join(list_models())}")
    if not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes must be an integer >= 2; got {num_classes!r}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must lie in [0, 1); got {dropout!r}")
    if width is not None and (not isinstance(width, int) or width < 1):
        raise ValueError(f"width must be a positive integer or None; got {width!r}")
    if vocab_size is None:
        return MODELS[name](tuple(input_shape), num_classes, dropout=dropout, width=width)
    if name not in TOKEN_MODELS:
        raise ValueError(f"model {name!r} cannot read token ids (vocab_size={vocab_size!r}); "
                         f"models that can: {', '.join(TOKEN_MODELS)}")
    if not isinstance(vocab_size, int) or isinstance(vocab_size, bool) or vocab_size < 2:
        raise ValueError(f"vocab_size must be an integer >= 2 or None; got {vocab_size!r}")
    return MODELS[name](tuple(input_shape), num_classes, dropout=dropout, width=width,
                        vocab_size=vocab_size)


def build_task_model(name: str, data: TaskData, *, dropout: float = 0.0) -> nn.Module:
    """The model ``name`` for a task's ``data``: lrlab's own (:func:`build_model`); for any name that
    is not lrlab's, a Hugging Face sequence classifier on a text task's token ids or an image
    classifier on an image task's tensors; or what the task's objective builds (QA, speech).

    Example:
        >>> from lrlab.tasks import get_task
        >>> build_task_model("fcnn", get_task("wine").load()).__class__.__name__
        'MLP'
    """
    if data.objective is not None:
        return data.objective.build_model(name, dropout=dropout)
    if name in MODELS:
        return build_model(name, data.input_shape, data.num_classes, dropout=dropout,
                           vocab_size=data.vocab_size)
    from lrlab.tasks.pretrained import (
        build_pretrained_classifier,
        build_pretrained_image_classifier,
    )

    if data.vocab_size is not None:
        return build_pretrained_classifier(name, data.num_classes, dropout=dropout)
    if len(data.input_shape) in (2, 3):  # (h, w) or (channels, h, w)
        return build_pretrained_image_classifier(name, data.num_classes, dropout=dropout)
    raise ValueError(f"unknown model {name!r}: Hugging Face models read text tasks' token ids and "
                     f"images only; lrlab's models: {', '.join(list_models())}")
