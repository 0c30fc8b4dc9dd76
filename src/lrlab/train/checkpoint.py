"""The trial's checkpoint: one file, written atomically, loaded with ``weights_only=True``.

What goes in it is decided by the loop (see :func:`lrlab.train.trial.run_trial`); this module
only writes and reads it, and saves and restores torch's random state.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

CHECKPOINT_NAME = "checkpoint.pt"


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Write ``state`` to ``path`` atomically: a crash mid-write leaves the old checkpoint whole."""
    temporary = path.with_name(path.name + ".tmp")
    torch.save(state, temporary)
    os.replace(temporary, path)


def load_checkpoint(path: Path) -> dict[str, Any] | None:
    """The checkpoint at ``path`` (tensors on the CPU), or None if there is none."""
    if not path.exists():
        return None
    return torch.load(path, map_location="cpu", weights_only=True)


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
