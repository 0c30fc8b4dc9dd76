"""The little markdown the experiment reports use: headings, nested lists, bold and code spans.

Tolerant by design: headings may be ``#`` to ``######``, a bold line (``**Objective**``) or a
label (``Objective: ...``); whether a bold line or a label *is* a heading is decided by the
caller, who knows the section names. Nothing here raises on any text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_ATX = re.compile(r"^\s{0,3}(#{1,6})(?:[ \t]+(.*))?$")
_BULLET = re.compile(r"^([ \t]*)([-*+•]|\d{1,3}[.)]|[A-Za-z][.)])[ \t]+(.*)$")
_BOLD_LINE = re.compile(r"^\s{0,3}(?:\d{1,3}[.)]\s*)?(\*\*|__)([^*_]{1,80}?)(?::\s*)?\1\s*:?\s*(.*)$")
_LABEL_LINE = re.compile(r"^(?:\d{1,3}[.)]\s*)?([A-Za-z][A-Za-z &/-]{1,40}?)\s*:(?:\s+(.*))?$")
_NUMBERING = re.compile(r"^(?:(?:step|part|section)\s+)?(?:\d{1,3}(?:\.\d{1,3})*|[ivxlc]{1,6}|[a-z])[.):]\s+", re.I)
_SPACES = re.compile(r"[ \t]+")


@dataclass(frozen=True)
class Line:
    """One line outside code fences, with what it could be."""

    number: int
    text: str
    atx_level: int | None = None  # 1..6 for a "#" heading
    bold_title: str | None = None  # "**Title**" (optionally numbered, optionally ": rest")
    label_title: str | None = None  # "Title: rest" at the start of an unindented line
    rest: str = ""  # the text after a bold title or a label


def scan_lines(text: str) -> list[Line]:
    """Every line, classified; lines inside ``` fences are plain text (a ``# comment`` there is code)."""
    lines: list[Line] = []
    in_fence = False
    for number, raw in enumerate(text.splitlines()):
        if _FENCE.match(raw):
            in_fence = not in_fence
            lines.append(Line(number, raw))
            continue
        if in_fence:
            lines.append(Line(number, raw))
            continue
        atx = _ATX.match(raw)
        if atx:
            title = (atx.group(2) or "").strip().rstrip("#").strip()
            lines.append(Line(number, raw, atx_level=len(atx.group(1)), rest=title))
            continue
        bold = _BOLD_LINE.match(raw)
        if bold:
            lines.append(Line(number, raw, bold_title=bold.group(2).strip().rstrip(":").strip(),
                              rest=bold.group(3).strip()))
            continue
        label = None if raw[:1].isspace() else _LABEL_LINE.match(raw)
        if label:
            lines.append(Line(number, raw, label_title=label.group(1).strip(), rest=(label.group(2) or "").strip()))
            continue
        lines.append(Line(number, raw))
    return lines


def heading_words(title: str) -> str:
    """A heading's title reduced to lower-case words: no markup, numbering or trailing colon.

    Example:
        >>> heading_words("#### 2. **Methodology**:")
        'methodology'
    """
    words = plain(title).strip().lstrip("#").strip()
    for _ in range(2):  # "1. Step 2: ..." at most
        words = _NUMBERING.sub("", words).strip()
    return _SPACES.sub(" ", words.rstrip(":").strip()).lower()


def plain(text: str) -> str:
    """Text without markdown emphasis and code marks, spaces collapsed.

    Example:
        >>> plain("**Batch Size**: `64` for *CIFAR-10*")
        'Batch Size: 64 for CIFAR-10'
    """
    text = text.replace("**", "").replace("__", "").replace("`", "")
    text = re.sub(r"(?<![\w*])\*(?=\S)([^*\n]{1,200}?)(?<=\S)\*(?![\w*])", r"\1", text)
    return _SPACES.sub(" ", text).strip()


@dataclass
class Item:
    """A list item (or a paragraph line, ``bullet=False``) with its nested items."""

    text: str
    bullet: bool
    children: list[Item] = field(default_factory=list)

    def walk(self) -> list[Item]:
        """This item and all below it, depth first."""
        found = [self]
        for child in self.children:
            found.extend(child.walk())
        return found


def parse_list(text: str) -> list[Item]:
    """The nested list structure of ``text``: items nest by indentation; code blocks are skipped.

    Example:
        >>> items = parse_list("- **Batch Size**:\\n  - `64` for CIFAR-10\\n- Epochs: 5")
        >>> [(i.text, [c.text for c in i.children]) for i in items]
        [('**Batch Size**:', ['`64` for CIFAR-10']), ('Epochs: 5', [])]
    """
    roots: list[Item] = []
    stack: list[tuple[int, Item]] = []
    in_fence = False
    for raw in text.splitlines():
        if _FENCE.match(raw):
            in_fence = not in_fence
            continue
        if in_fence or not raw.strip() or _ATX.match(raw):
            continue
        expanded = raw.expandtabs(4)
        bullet = _BULLET.match(expanded)
        if bullet:
            indent, content, is_bullet = len(bullet.group(1)), bullet.group(3), True
        else:
            indent, content, is_bullet = len(expanded) - len(expanded.lstrip()), expanded.strip(), False
            if stack and indent > stack[-1][0] and stack[-1][1].bullet:
                stack[-1][1].text += " " + content  # a continuation line of the item above
                continue
        while stack and stack[-1][0] >= indent:
            stack.pop()
        item = Item(content.strip(), is_bullet)
        (stack[-1][1].children if stack else roots).append(item)
        stack.append((indent, item))
    return roots


def split_key_value(text: str) -> tuple[str, str]:
    """``("Batch Size", "64 for CIFAR-10")`` from ``"**Batch Size**: `64` for CIFAR-10"``.

    A leading bold phrase is the key (with or without a colon); otherwise the text before the
    first ``": "``; without either, the whole text is the key and the value is empty.

    Example:
        >>> split_key_value("**CIFAR-10:** A widely-used dataset")
        ('CIFAR-10', 'A widely-used dataset')
        >>> split_key_value("Image Size: 32x32 (default for CIFAR-10)")
        ('Image Size', '32x32 (default for CIFAR-10)')
    """
    bold = re.match(r"^\s*(\*\*|__)(.+?)\1\s*(.*)$", text)
    if bold:
        key, rest = bold.group(2).strip(), bold.group(3).strip()
        return plain(key).rstrip(":").strip(), plain(rest.lstrip(":").strip())
    flat = plain(text)
    match = re.search(r":(?:\s|$)", flat)
    if match:
        return flat[:match.start()].strip(), flat[match.end():].strip()
    return flat, ""


def strip_fences(text: str) -> str:
    """The text without its ``` fence lines (the code inside is kept)."""
    return "\n".join(line for line in text.splitlines() if not _FENCE.match(line))
