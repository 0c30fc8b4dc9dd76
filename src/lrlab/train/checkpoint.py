"""The trial's checkpoint: one file, written atomically, loaded with ``weights_only=True``.

What goes in it is decided by the loop (see :func:`lrlab.train.trial.run_trial`); this module
only writes and reads it, and saves and restores torch's random state.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

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


def rng_state(device: torch.device) -> dict[str, Any]:
    """torch's global random state (dropout draws from it): the CPU one, and CUDA's on a GPU."""
    cuda = torch.cuda.get_rng_state_all() if device.type == "cuda" else []
    return {"cpu": torch.get_rng_state(), "cuda": cuda}


def set_rng_state(state: dict[str, Any], device: torch.device) -> None:
    """Restore what :func:`rng_state` saved (CUDA's only when resuming on a GPU from a GPU run)."""
    torch.set_rng_state(state["cpu"])
    if device.type == "cuda" and state["cuda"]:
        torch.cuda.set_rng_state_all(state["cuda"])
