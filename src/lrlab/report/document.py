"""The report as plain blocks, built once and written twice (markdown and HTML).

Text in :class:`Paragraph`, list items and table cells may use two inline marks, ``**bold**``
and ```code```; :class:`Plain` text is written as it is (the seeds' Results dict lines).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Plain:
    """A line written verbatim (monospace in HTML), e.g. ``{'eval_loss': 0.43 ± 0.01, ...}``."""

    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Code:
    text: str
    language: str = ""


@dataclass(frozen=True)
class Image:
    """A PNG under the study folder: ``path`` is relative to it (``plots/...``)."""

    path: str
    alt: str
    caption: str = ""


@dataclass(frozen=True)
class Details:
    """A collapsible part in HTML (``<details>``); in markdown a bold summary and the blocks."""

    summary: str
    blocks: tuple[Block, ...] = field(default_factory=tuple)


Block = Heading | Paragraph | Plain | Bullets | Table | Code | Image | Details


def table(header: list[str] | tuple[str, ...], rows: list[list[str]] | list[tuple[str, ...]]) -> Table:
    return Table(tuple(header), tuple(tuple(r) for r in rows))


def to_plain(block: Block) -> dict[str, Any]:
    """A block as a JSON-able dict with its kind (for report.json)."""
    out: dict[str, Any] = {"kind": type(block).__name__.lower()}
    if isinstance(block, Details):
        out.update(summary=block.summary, blocks=[to_plain(b) for b in block.blocks])
    else:
        out.update({k: _lists(v) for k, v in asdict(block).items()})
    return out


def _lists(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_lists(v) for v in value]
    return value


def section_titles(blocks: list[Block]) -> list[str]:
    """The report's ``#`` and ``##`` headings, in order."""
    return [b.text for b in blocks if isinstance(b, Heading) and b.level <= 2]


def images(blocks: list[Block] | tuple[Block, ...]) -> list[Image]:
    """Every image, including those inside :class:`Details`, in order."""
    out: list[Image] = []
    for block in blocks:
        if isinstance(block, Image):
            out.append(block)
        elif isinstance(block, Details):
            out += images(block.blocks)
    return out
