"""A user's own code, named by a plan: ``"path/to/file.py:name"`` or ``"package.module:name"``.

This is the one place where lrlab runs code that a plan names, and only when the plan's author
wrote ``source = ...`` in it: nothing else in lrlab ever executes code from a plan, a report or a
store (a store keeps the source text of the trials it ran, for the record; reading a store, a
report or an analysis never runs it).

A reference is resolved in two steps, so that a plan can be hashed without running anything:

* :func:`resolve` reads the file's bytes (no code runs for a file; a module's parent packages are
  imported to find its file) and gives a :class:`Source`: the reference, the file, its SHA-256 and,
  for a file, its text. The plan's hash and each trial's id cover the SHA-256, so a changed file is
  a new study and new trials.
* :func:`load` runs it and returns the named attribute. A file is run *from the text read by
  resolve*, never re-read, so the code that trains is the code that was hashed, in the driver and
  in every worker (local processes or Ray tasks, which receive the text with the trial's spec);
  its folder is put on ``sys.path`` first, so it may import its neighbours (whose content the hash
  does not cover). A module is imported by name, where the trial runs, and must have the same
  SHA-256 there as where the study was planned.

This module imports nothing of lrlab, so that both :mod:`lrlab.tasks` and :mod:`lrlab.schedulers`
build on it.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "mine.py").write_text("def answer():\\n    return 42\\n")
    >>> source = resolve("mine.py:answer", folder)
    >>> source.kind, source.attribute, len(source.sha256)
    ('file', 'answer', 64)
    >>> load(source)()
    42
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import linecache
import re
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


class SourceError(ValueError):
    """A ``source`` that cannot be used; the message is one line naming the file and what is wrong."""


@dataclass(frozen=True)
class Source:
    """A resolved reference to a user's function or class.

    Args:
        ref: the reference as the plan wrote it, e.g. ``"my_task.py:make_task"``.
        kind: ``"file"`` (a ``.py`` file, by path) or ``"module"`` (an importable module).
        path: the file's absolute path (a module's file, where it was resolved).
        attribute: the name after the colon (dots reach into classes: ``"Tasks.wine"``).
        sha256: of the file's bytes.
        text: the file's text (files only; ``""`` for a module, which is imported by name).
        module: the module's dotted name (modules only).
    """

    ref: str
    kind: str
    path: str
    attribute: str
    sha256: str
    text: str = ""
    module: str = ""

    @property
    def where(self) -> str:
        """How error messages name it: the file and the attribute."""
        return f"{self.path}:{self.attribute}" if self.kind == "file" else f"{self.module}:{self.attribute} ({self.path})"

    def to_dict(self) -> dict[str, str]:
        """Plain data for a trial's spec (JSON): everything a worker needs to load it."""
        return {"ref": self.ref, "kind": self.kind, "path": self.path, "attribute": self.attribute,
                "sha256": self.sha256, "text": self.text, "module": self.module}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Source:
        return cls(**data)


def split_ref(ref: str) -> tuple[str, str]:
    """``"where:attribute"`` → ``(where, attribute)``; ``SourceError`` for anything else."""
    if not isinstance(ref, str) or ref.count(":") < 1:
        raise SourceError(f"source {ref!r}: expected 'path/to/file.py:name' or 'package.module:name'")
    where, _, attribute = ref.rpartition(":")
    if not where or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", attribute):
        raise SourceError(f"source {ref!r}: expected 'path/to/file.py:name' or 'package.module:name' "
                          f"(the name after the colon is a Python identifier)")
    return where, attribute


def resolve(ref: str, base: str | Path | None = None) -> Source:
    """Find the file ``ref`` names and read it; no code of it runs (a module's parents are imported).

    A reference whose part before the colon ends in ``.py`` or contains a ``/`` is a file, relative
    to ``base`` (the plan's folder; default the working directory); anything else is a module name.
    """
    where, attribute = split_ref(ref)
    if where.endswith(".py") or "/" in where or "\\" in where:
        path = Path(where).expanduser()
        if not path.is_absolute():
            path = Path(base or ".") / path
        path = path.resolve()
        if not path.is_file():
            raise SourceError(f"source {ref!r}: no such file {path}")
        data = _read(path, ref)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise SourceError(f"source {ref!r}: {path} is not UTF-8 text") from None
        return Source(ref, "file", str(path), attribute, hashlib.sha256(data).hexdigest(), text)
    if not _MODULE.fullmatch(where):
        raise SourceError(f"source {ref!r}: {where!r} is neither a .py file nor a module name")
    try:
        spec = importlib.util.find_spec(where)
    except Exception as error:  # noqa: BLE001 - a parent package that fails to import says why
        raise SourceError(f"source {ref!r}: module {where!r} cannot be found: "
                          f"{type(error).__name__}: {_first_line(error)}") from None
    if spec is None:
        raise SourceError(f"source {ref!r}: no module named {where!r} (is it installed, or on PYTHONPATH?)")
    if not spec.origin or not Path(spec.origin).is_file() or not spec.origin.endswith(".py"):
        raise SourceError(f"source {ref!r}: module {where!r} has no Python source file to hash "
                          f"({spec.origin}); name a .py file or a pure-Python module")
    path = Path(spec.origin).resolve()
    return Source(ref, "module", str(path), attribute, hashlib.sha256(_read(path, ref)).hexdigest(),
                  module=where)


def load(source: Source) -> Any:
    """Run the source (once per process and content) and return its attribute.

    ``SourceError`` in one line when the code raises while it runs, the attribute is missing, or
    (a module) the file found here differs from the one that was hashed.
    """
    module = _module(source)
    value: Any = module
    for part in source.attribute.split("."):
        if not hasattr(value, part):
            names = sorted(n for n in vars(module) if not n.startswith("_"))
            raise SourceError(f"{source.path}: has no {source.attribute!r} (names there: "
                              f"{', '.join(names[:20]) or 'none'})")
        value = getattr(value, part)
    return value


def _module(source: Source) -> types.ModuleType:
    if source.kind == "module":
        try:
            module = importlib.import_module(source.module)
        except Exception as error:  # noqa: BLE001 - the user's code raises what it raises
            raise SourceError(f"{source.path}: importing {source.module!r} raised "
                              f"{type(error).__name__}: {_first_line(error)}") from None
        here = hashlib.sha256(_read(Path(module.__file__ or source.path), source.ref)).hexdigest()
        if here != source.sha256:
            raise SourceError(f"{module.__file__}: module {source.module!r} here is not the one the study was "
                              f"planned with (sha256 {here[:12]}, planned {source.sha256[:12]}); install the "
                              "same version where trials run")
        return module
    if hashlib.sha256(source.text.encode("utf-8")).hexdigest() != source.sha256:
        raise SourceError(f"{source.path}: the source text does not match its sha256 {source.sha256[:12]}")
    name = f"lrlab_source_{Path(source.path).stem}_{source.sha256[:16]}"
    name = re.sub(r"\W", "_", name)
    if name in sys.modules:  # the same content ran in this process already
        return sys.modules[name]
    folder = str(Path(source.path).parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)  # so that it may import the modules beside it
    module = types.ModuleType(name)
    module.__file__ = source.path
    # Tracebacks show the lines that ran, even where the file has changed or does not exist.
    linecache.cache[source.path] = (len(source.text), None, source.text.splitlines(True), source.path)
    sys.modules[name] = module  # dataclasses and pickling look a class's module up here
    try:
        exec(compile(source.text, source.path, "exec"), module.__dict__)  # noqa: S102 - the plan's author asked
    except BaseException as error:
        del sys.modules[name]
        if isinstance(error, Exception):
            line = _line_of(error, source.path)
            raise SourceError(f"{source.path}{line}: running it raised {type(error).__name__}: "
                              f"{_first_line(error)}") from None
        raise
    return module


def _read(path: Path, ref: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise SourceError(f"source {ref!r}: {path} cannot be read ({error.strerror})") from None


def _line_of(error: BaseException, path: str) -> str:
    if isinstance(error, SyntaxError) and error.lineno:
        return f":{error.lineno}"
    frames = [f for f in _frames(error) if f.tb_frame.f_code.co_filename == path]
    return f":{frames[-1].tb_lineno}" if frames else ""


def _frames(error: BaseException) -> list[Any]:
    out, tb = [], error.__traceback__
    while tb is not None:
        out.append(tb)
        tb = tb.tb_next
    return out


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else ""
