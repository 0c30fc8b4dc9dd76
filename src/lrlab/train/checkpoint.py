"""The trial's checkpoint: one file, written atomically, loaded with ``weights_only=True``.

What goes in it is decided by the loop (see :func:`lrlab.train.trial.run_trial`); this module
only writes and reads it, and saves and restores torch's random state.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import torch

from lrlab.errors import EnvironmentFailure
from lrlab.files import atomic_path, what_happened

CHECKPOINT_NAME = "checkpoint.pt"


class CheckpointError(EnvironmentFailure):
    """A checkpoint could not be written (a full disk, ...) or read (truncated, corrupt): the
    environment's failure, not the trial's. The trial is retried on the next run."""


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Write ``state`` to ``path`` atomically: a crash or a full disk mid-write leaves the old
    checkpoint whole (:class:`CheckpointError` says what happened).

    Not flushed to disk (fsync): a checkpoint lost to a power cut costs only time, since a
    trial whose checkpoint cannot be read starts again from scratch, to the same numbers.
    """
    try:
        with atomic_path(path, fsync=False) as temporary, open(temporary, "wb") as handle:
            writer = _Writer(handle)
            try:
                torch.save(state, writer)
            except RuntimeError:  # torch's zip writer hides the OSError behind its own message
                if writer.error is None:
                    raise
                raise writer.error from None
    except OSError as error:
        raise CheckpointError(f"{what_happened(error)} while writing {path}; the trial resumes from its last "
                              "good checkpoint (or from scratch) on the next run") from None


class _Writer:
    """A file for ``torch.save`` that remembers the ``OSError`` (ENOSPC, EFBIG, ...) of a failed write."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle, self.error = handle, None

    def write(self, data: bytes) -> int:
        try:
            return self.handle.write(data)
        except OSError as error:
            self.error = error
            raise

    def flush(self) -> None:
        self.handle.flush()


def load_checkpoint(path: Path) -> dict[str, Any] | None:
    """The checkpoint at ``path`` (tensors on the CPU), or None if there is none.

    One that cannot be read (truncated, corrupt, or holding objects that ``weights_only``
    refuses) is moved aside to ``<name>.corrupt`` and :class:`CheckpointError` says so: the next
    attempt starts the trial from scratch, which gives the numbers an uninterrupted run gives.
    """
    if not path.exists():
        return None
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - whatever torch raises, the file is not a usable checkpoint
        aside = path.with_name(path.name + ".corrupt")
        os.replace(path, aside)
        lines = str(error).strip().splitlines()
        raise CheckpointError(f"{path} could not be read ({type(error).__name__}: {lines[0] if lines else ''}); "
                              f"moved to {aside.name}, the trial starts again from scratch on the next run") from None


def records_to_text(steps: list[dict[str, Any]], epochs: list[dict[str, Any]]) -> str:
    """The records so far as one JSON string.

    torch's pickler visits every small object of a nested structure (thousands of step records
    by the end of a run), which made each epoch's checkpoint slower than the model's weights;
    one string costs one object. Python's JSON round-trips floats exactly, NaN included.
    """
    return json.dumps({"steps": steps, "epochs": epochs}, separators=(",", ":"))


def records_from_text(text: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    records = json.loads(text)
    return records["steps"], records["epochs"]


def seed_everything(seed: int) -> None:
    """Seed torch's, NumPy's and Python's global generators: models draw from torch's (dropout),
    some of ``transformers`` from NumPy's (wav2vec 2.0's SpecAugment masks)."""
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    random.seed(seed)


def rng_state(device: torch.device) -> dict[str, Any]:
    """The global random states a trial draws from: torch's CPU one (and CUDA's on a GPU), NumPy's
    and Python's, as tensors and numbers (loadable with ``weights_only=True``)."""
    cuda = torch.cuda.get_rng_state_all() if device.type == "cuda" else []
    _, keys, position, has_gauss, gauss = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    return {"cpu": torch.get_rng_state(), "cuda": cuda,
            "numpy": {"keys": torch.from_numpy(keys.astype(np.int64)), "position": int(position),
                      "has_gauss": int(has_gauss), "gauss": float(gauss)},
            "python": {"version": version, "internal": torch.tensor(internal, dtype=torch.int64),
                       "gauss_next": gauss_next}}


def set_rng_state(state: dict[str, Any], device: torch.device) -> None:
    """Restore what :func:`rng_state` saved (CUDA's only when resuming on a GPU from a GPU run;
    NumPy's and Python's where the checkpoint has them)."""
    torch.set_rng_state(state["cpu"])
    if device.type == "cuda" and state["cuda"]:
        torch.cuda.set_rng_state_all(state["cuda"])
    if "numpy" in state:
        saved = state["numpy"]
        np.random.set_state(("MT19937", saved["keys"].numpy().astype(np.uint32), saved["position"],
                             saved["has_gauss"], saved["gauss"]))
    if "python" in state:
        saved = state["python"]
        random.setstate((saved["version"], tuple(saved["internal"].tolist()), saved["gauss_next"]))
