"""Write a plan as TOML with a comment above each value saying why it is there.

A small writer for the plan's shapes (strings, numbers, booleans, lists, inline tables), so the
comments sit where a reader looks; ``tomllib`` reads the result back (the tests check it).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


@dataclass
class Table:
    """Keys and values in order, with comment lines above a key (``notes[key]``) or the table."""

    values: dict[str, Any] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)

    def put(self, key: str, value: Any, *comments: str) -> None:
        self.values[key] = value
        if comments:
            self.notes.setdefault(key, []).extend(c for c in comments if c)


def clean(text: str) -> str:
    """Text TOML can hold: no surrogates, no control characters but newline and tab."""
    return "".join(c for c in text if (c in "\n\t" or ord(c) >= 32) and ord(c) != 0x7F
                   and not 0xD800 <= ord(c) <= 0xDFFF)


def string(text: str) -> str:
    """A TOML basic string.

    Example:
        >>> string('say "hi"\\n')
        '"say \\\\"hi\\\\"\\\\n"'
    """
    escaped = clean(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def multiline(text: str) -> str:
    """A TOML multi-line basic string (for idea, objective, methodology)."""
    body = clean(text).replace("\\", "\\\\").replace('"', '\\"')
    return f'"""\n{body}\n"""'


def key(name: str) -> str:
    return name if _BARE_KEY.fullmatch(name) else string(name)


def value(item: Any) -> str:
    """One TOML value; dicts become inline tables. ``None`` is not a TOML value: callers drop it."""
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int):
        return str(item)
    if isinstance(item, float):
        if math.isnan(item):
            return "nan"
        if math.isinf(item):
            return "inf" if item > 0 else "-inf"
        return repr(item)
    if isinstance(item, str):
        return multiline(item) if "\n" in item else string(item)
    if isinstance(item, list | tuple):
        return "[" + ", ".join(value(v) for v in item) + "]"
    if isinstance(item, dict):
        if not item:
            return "{}"
        return "{ " + ", ".join(f"{key(str(k))} = {value(v)}" for k, v in item.items()) + " }"
    raise TypeError(f"no TOML value for {type(item).__name__}")


def comment(text: str) -> list[str]:
    """``# ...`` lines, wrapped at about 100 characters."""
    words = clean(text).replace("\n", " ").replace("\t", " ").split()
    lines, line = [], "#"
    for word in words:
        if len(line) + 1 + len(word) > 100 and line != "#":
            lines.append(line)
            line = "#  "
        line += " " + word
    lines.append(line)
    return lines


def render_table(header: str | None, table: Table) -> list[str]:
    out: list[str] = []
    for text in table.comments:
        out.extend(comment(text))
    if header:
        out.append(header)
    for name, item in table.values.items():
        if item is None:
            continue
        for text in table.notes.get(name, []):
            out.extend(comment(text))
        if name == "notes" and isinstance(item, list) and item:
            out.append(f"{key(name)} = [")
            out.extend(f"    {value(v)}," for v in item)
            out.append("]")
        else:
            out.append(f"{key(name)} = {value(item)}")
    return out


def toml_safe(data: dict[Any, Any]) -> tuple[dict[str, Any], list[str]]:
    """The part of ``data`` TOML can hold (str keys; finite numbers, strings, booleans, lists,
    dicts), and the keys left out."""
    kept: dict[str, Any] = {}
    dropped: list[str] = []
    for name, item in data.items():
        converted = _convertible(item)
        if isinstance(name, str) and converted is not _NOTHING:
            kept[clean(name)] = converted
        else:
            dropped.append(repr(name))
    return kept, dropped


_NOTHING = object()


def _convertible(item: Any) -> Any:
    if isinstance(item, bool):
        return item
    if isinstance(item, float):
        return item if math.isfinite(item) else _NOTHING  # a plan holds no inf or nan
    if isinstance(item, int):
        return item if -(2**63) <= item < 2**63 else _NOTHING  # TOML integers are 64-bit
    if isinstance(item, str):
        return clean(item)
    if isinstance(item, list | tuple):
        items = [_convertible(v) for v in item]
        return _NOTHING if any(v is _NOTHING for v in items) else items
    if isinstance(item, dict):
        if not all(isinstance(k, str) for k in item):
            return _NOTHING
        items = {clean(k): _convertible(v) for k, v in item.items()}
        return _NOTHING if any(v is _NOTHING for v in items.values()) else items
    return _NOTHING
