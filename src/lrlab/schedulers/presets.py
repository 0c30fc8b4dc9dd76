"""Named presets: a registered schedule with fixed arguments, saved as a TOML file and reached by name.

A preset is ``<name>.toml`` in the presets folder: ``$LRLAB_PRESETS`` if set, else
``~/.config/lrlab/presets``. It is what ``lrlab research adopt RUN idea-1 --name fast-cosine``
writes: nothing changes the library by itself; a preset exists only once someone saved it.
``make_scheduler("fast-cosine", optimizer, total_steps=...)`` then builds the preset's schedule
with its arguments (explicit keyword arguments override them)::

    # lrlab preset "fast-cosine"
    schedule = "composite"
    lr_scale = 1.5
    idea = "on a cosine base, every 10 steps, cut ×0.8 when ..."
    source = "/home/me/runs/research"
    candidate = "idea-1"
    verdict = ["breast_cancer: no detectable difference vs constant: -0.004 [-0.009, 0], p=0.5"]
    date = "2026-12-02"

    [args]
    base = "cosine"
    signal = "loss_trend"

``lr_scale`` is the multiple of *your* learning rate that the search found this schedule works
best with (it searched the rate as a multiple of each task's plan rate). ``make_scheduler`` does
not change the optimizer's rate — a scheduler cannot know what you meant it to be — so build the
optimizer with ``lr = your_rate * lr_scale`` (:func:`Preset.lr`), or keep your rate and tune it.
Everything else (``idea``, ``source``, ``candidate``, ``verdict``, ``date``) is provenance: where
the preset came from and what the held-out confirmation said of it; it changes nothing.

This module imports only the standard library; the registry is imported where a preset is
checked against it (saving), so listing presets costs nothing.

Example:
    >>> import os, tempfile
    >>> os.environ["LRLAB_PRESETS"] = tempfile.mkdtemp()
    >>> path = save_preset("gentle-cosine", "composite", {"base": "cosine", "signal": "loss_trend"},
    ...                    lr_scale=2.0, idea="on a cosine base, ...")
    >>> load_preset("gentle-cosine").args
    {'base': 'cosine', 'signal': 'loss_trend'}
    >>> list_presets()
    ['gentle-cosine']
    >>> del os.environ["LRLAB_PRESETS"]
"""

from __future__ import annotations

import datetime
import json
import math
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The environment variable that names the presets folder.
PRESETS_ENV = "LRLAB_PRESETS"
DEFAULT_DIR = "~/.config/lrlab/presets"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
#: Provenance keys written in this order (others after them, sorted).
PROVENANCE_ORDER = ("idea", "source", "candidate", "search_value", "confirmed", "verdict", "date")


class PresetError(ValueError):
    """A preset that cannot be saved or loaded; one line naming it and what is wrong."""


@dataclass(frozen=True)
class Preset:
    """A saved preset: the registered ``schedule``, its ``args``, the search's ``lr_scale`` (or
    None) and the ``provenance`` (idea, source, candidate, verdict, date, ...); ``path`` is its file."""

    name: str
    schedule: str
    args: dict[str, Any]
    lr_scale: float | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def lr(self, your_rate: float) -> float:
        """The rate to build the optimizer with: ``your_rate * lr_scale`` (``your_rate`` without one)."""
        return your_rate * (self.lr_scale if self.lr_scale is not None else 1.0)

    @property
    def summary(self) -> str:
        """One line: the idea when known, else the schedule and its arguments."""
        idea = self.provenance.get("idea")
        text = idea if isinstance(idea, str) and idea else (
            f"{self.schedule}({', '.join(f'{k}={v!r}' for k, v in self.args.items())})")
        return text + (f" (rate x{self.lr_scale:g})" if self.lr_scale is not None else "")


def presets_dir() -> Path:
    """The presets folder: ``$LRLAB_PRESETS`` if set (and not empty), else ``~/.config/lrlab/presets``."""
    return Path(os.environ.get(PRESETS_ENV) or DEFAULT_DIR).expanduser()


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not NAME.fullmatch(name) or name.endswith(".toml"):
        raise PresetError(f"preset name {name!r}: must be a folder-safe name (letters, digits, '-', '_', '.'; "
                          "starting with a letter or digit, without '.toml')")
    return name


def preset_path(name: str) -> Path:
    """Where preset ``name`` lives (whether or not it exists)."""
    return presets_dir() / f"{_check_name(name)}.toml"


def list_presets() -> list[str]:
    """The names of the saved presets, sorted (files ``*.toml`` of the presets folder; none if it is missing)."""
    folder = presets_dir()
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.toml") if p.is_file() and NAME.fullmatch(p.stem))


def load_preset(name: str) -> Preset:
    """Read preset ``name``; :class:`PresetError` (one line) if it is missing or not a preset."""
    path = preset_path(name)
    if not path.is_file():
        saved = list_presets()
        raise PresetError(f"no preset {name!r} in {presets_dir()} (saved: {', '.join(saved) or 'none'}; "
                          f"set {PRESETS_ENV} to use another folder)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise PresetError(f"{path}: not a preset (not valid TOML: {error})") from None
    except OSError as error:
        raise PresetError(f"{path}: cannot be read ({error.strerror})") from None
    schedule, args, lr_scale = data.pop("schedule", None), data.pop("args", {}), data.pop("lr_scale", None)
    if not isinstance(schedule, str) or not schedule:
        raise PresetError(f"{path}: not a preset (schedule: expected the name of a registered schedule)")
    if not isinstance(args, dict):
        raise PresetError(f"{path}: args: expected a table of the schedule's arguments")
    if lr_scale is not None and (not isinstance(lr_scale, int | float) or isinstance(lr_scale, bool)
                                 or not math.isfinite(lr_scale) or lr_scale <= 0):
        raise PresetError(f"{path}: lr_scale: expected a number > 0, got {lr_scale!r}")
    return Preset(name, schedule, args, None if lr_scale is None else float(lr_scale), data, path)


def save_preset(name: str, schedule: str, args: Mapping[str, Any], *, lr_scale: float | None = None,
                overwrite: bool = False, **provenance: Any) -> Path:
    """Save ``schedule`` with ``args`` as preset ``name``; returns its path.

    Args:
        name: folder-safe (letters, digits, ``-``, ``_``, ``.``), and not a registered schedule's name.
        schedule: a registered schedule (not a self-tuning optimizer, not another preset).
        args: its arguments, checked by building it on a throw-away optimizer; an argument that is
            None where the schedule's default is None is left out (TOML has no null).
        lr_scale: the multiple of the user's rate the search found (> 0), or None.
        overwrite: replace an existing preset of that name (default: refuse).
        **provenance: where it came from: ``idea``, ``source``, ``candidate``, ``verdict`` (a list
            of lines), ``date`` (default: today, UTC) and any other strings, numbers, booleans or
            lists of them.

    The file is written whole or not at all (:func:`lrlab.files.write_atomic`). Every refusal is a
    :class:`PresetError` (a ``ValueError``) naming what is wrong.
    """
    from lrlab.files import write_atomic
    from lrlab.schedulers.registry import SCHEDULES

    _check_name(name)
    if name in SCHEDULES:
        raise PresetError(f"preset name {name!r}: is a registered schedule; choose another name")
    info = SCHEDULES.get(schedule)
    if info is None or info.kind == "optimizer":
        raise PresetError(f"preset {name!r}: schedule {schedule!r} is not a registered schedule; known: "
                          f"{sorted(n for n, i in SCHEDULES.items() if i.kind != 'optimizer')}")
    if lr_scale is not None and (not isinstance(lr_scale, int | float) or isinstance(lr_scale, bool)
                                 or not math.isfinite(lr_scale) or lr_scale <= 0):
        raise PresetError(f"preset {name!r}: lr_scale must be a number > 0, got {lr_scale!r}")
    kept = _storable_args(name, schedule, args)
    _check_builds(name, schedule, kept)
    path = preset_path(name)
    if path.exists() and not overwrite:
        raise PresetError(f"preset {name!r} exists ({path}); choose another name, or replace it (overwrite=True)")
    provenance.setdefault("date", datetime.datetime.now(datetime.UTC).date().isoformat())
    text = _render(name, schedule, kept, lr_scale, provenance)
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:  # a value TOML cannot hold: refuse rather than write it
        raise PresetError(f"preset {name!r}: cannot be written as TOML ({error})") from None
    write_atomic(path, text.encode("utf-8"))
    return path


def _storable_args(name: str, schedule: str, args: Mapping[str, Any]) -> dict[str, Any]:
    from lrlab.schedulers.registry import schedule_arguments, schedule_defaults

    allowed, defaults = schedule_arguments(schedule) | {"warmup_steps"}, schedule_defaults(schedule)
    unknown = sorted(set(args) - allowed)
    if unknown:
        raise PresetError(f"preset {name!r}: schedule {schedule!r} does not take {unknown}; allowed: {sorted(allowed)}")
    kept = {}
    for key, value in args.items():
        if value is None:
            if defaults.get(key, 0) is not None:
                raise PresetError(f"preset {name!r}: args.{key} is None, which TOML cannot hold and is not the "
                                  "schedule's default")
            continue
        kept[key] = value
    return kept


def _check_builds(name: str, schedule: str, args: dict[str, Any]) -> None:
    import torch

    from lrlab.schedulers.registry import make_scheduler

    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1e-3)
    rest = dict(args)
    warmup = rest.pop("warmup_steps", 0)
    try:
        make_scheduler(schedule, optimizer, total_steps=max(1000, 2 * warmup + 2) if isinstance(warmup, int) else 1000,
                       warmup_steps=warmup, **rest)
    except (TypeError, ValueError) as error:
        raise PresetError(f"preset {name!r}: {schedule!r} refuses these arguments: {error}") from None


# -- TOML, written by hand (tomllib only reads) ----------------------------------------------------
def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _value(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PresetError(f"{where}: {value!r} is not a finite number")
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Path):
        return _string(str(value))
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(str(k))} = {_value(v, f'{where}.{k}')}" for k, v in value.items()) + " }"
    if isinstance(value, Sequence):
        return "[" + ", ".join(_value(v, where) for v in value) + "]"
    raise PresetError(f"{where}: {value!r} ({type(value).__name__}) cannot be written in a preset")


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _string(key)


def _render(name: str, schedule: str, args: dict[str, Any], lr_scale: float | None,
            provenance: dict[str, Any]) -> str:
    lines = [f"# lrlab preset {_string(name)}: make_scheduler({_string(name)}, optimizer, total_steps=...) builds",
             f"# {schedule!r} with [args] below (keyword arguments you pass override them)."]
    lines.append(f"schedule = {_string(schedule)}")
    if lr_scale is not None:
        lines += ["# The rate the search found, as a multiple of yours; make_scheduler does not change the",
                  "# optimizer's rate: build the optimizer with lr = your_rate * lr_scale.",
                  f"lr_scale = {_value(float(lr_scale), 'lr_scale')}"]
    keys = [k for k in PROVENANCE_ORDER if k in provenance] + sorted(set(provenance) - set(PROVENANCE_ORDER))
    for key in keys:
        if provenance[key] is not None:
            lines.append(f"{_key(key)} = {_value(provenance[key], key)}")
    lines += ["", "[args]"] + [f"{_key(k)} = {_value(v, f'args.{k}')}" for k, v in args.items()]
    return "\n".join(lines) + "\n"


def preset_arguments(preset: Preset, kwargs: Mapping[str, Any], warmup_steps: int) -> tuple[dict[str, Any], int]:
    """The arguments ``make_scheduler`` builds preset ``preset`` with: its args, overridden by ``kwargs``;
    and the warm-up: the caller's when not 0, else the preset's ``warmup_steps`` argument, if any."""
    args = {**preset.args, **kwargs}
    preset_warmup = args.pop("warmup_steps", 0)
    return args, warmup_steps or preset_warmup
