"""What the loop does with a task's data: put it on the device, order each epoch, weigh classes."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.utils.class_weight import compute_class_weight

from lrlab.tasks import Split


def resolve_device(name: str) -> torch.device:
    """``torch.device(name)`` for ``"cpu"`` or ``"cuda[:i]"``; ``ValueError`` if it is not usable here."""
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError) as error:
        raise ValueError(f"device must be 'cpu' or 'cuda', got {name!r}") from error
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or 'cuda', got {name!r}")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device {name!r} was asked for but CUDA is not available on this machine "
            "(torch.cuda.is_available() is False); run with device='cpu'"
        )
    return device


def to_device(split: Split, device: torch.device) -> Split:
    """The same split with its tensors on ``device`` (no copy if they are already there)."""
    return Split(split.x.to(device), split.y.to(device))


def epoch_generator(seed: int, epoch: int) -> torch.Generator:
    """The CPU generator of one epoch's shuffle and augmentation: a function of (seed, epoch) only.

    Because it does not carry over from the epoch before, an epoch sees the same order and the
    same augmentation whether the run was resumed before it or not.

    Example:
        >>> a, b = epoch_generator(0, 3), epoch_generator(0, 3)
        >>> torch.equal(torch.randperm(10, generator=a), torch.randperm(10, generator=b))
        True
    """
    # SeedSequence mixes the pair into well-spread bits: (0, 1) and (1, 0) give unrelated streams.
    mixed = np.random.SeedSequence([seed & 0xFFFF_FFFF_FFFF_FFFF, epoch]).generate_state(1, np.uint64)
    return torch.Generator().manual_seed(int(mixed[0]))


def balanced_class_weights(train_labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Weights ``n / (num_classes * count_c)`` per class, from the *training* labels (scikit-learn's
    ``compute_class_weight("balanced")``), as a float32 tensor for ``cross_entropy(weight=...)``.

    ``ValueError`` if a class has no training example (its weight would be infinite).

    Example:
        >>> balanced_class_weights(torch.tensor([0, 0, 0, 1]), 2)
        tensor([0.6667, 2.0000])
    """
    labels = train_labels.cpu().numpy()
    classes = np.arange(num_classes)
    missing = sorted(set(classes.tolist()) - set(np.unique(labels).tolist()))
    if missing:
        raise ValueError(f"class_balancing: classes {missing} have no training example")
    weights = compute_class_weight("balanced", classes=classes, y=labels)
    return torch.tensor(weights, dtype=torch.float32)
