"""The structure of a report, read with a markdown parser (markdown-it-py, CommonMark + tables).

Two passes. :func:`scan_lines` classifies every line of the whole text: headings (``#`` and
setext, as the parser finds them), lines inside code blocks (fenced or indented: a ``# comment``
there is code), and the lines that *may* open a section: a bold title (``**Objective**``,
``1. **Datasets**:``, ``- **Models**: ...``) or a label (``Objective: ...``). Whether such a line
is a section is decided by the caller, who knows the section names. :func:`parse_blocks` then
reads one section's lines into a tree of :class:`Item`: list items with their nesting, paragraph
lines, sub-headings with what they hold, tables with their rows; a paragraph line that ends with
a colon (or is all bold) holds the list or table right below it. Every item keeps the line of
the report it starts on (1-based). Nothing here raises on any text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token

_MD = MarkdownIt("commonmark", {"html": False}).enable("table")
_BOLD_LINE = re.compile(r"^\s{0,3}(?:(?:\d{1,3}[.)]|[-*+•])\s*)?(\*\*|__)([^*_]{1,80}?)(?::\s*)?\1\s*:?\s*(.*)$")
_LABEL_LINE = re.compile(r"^(?:\d{1,3}[.)]\s*)?([A-Za-z][A-Za-z &/-]{1,40}?)\s*:(?:\s+(.*))?$")
_ITEM_LABEL = re.compile(r"^\s{0,3}[-*+•]\s+([A-Za-z][A-Za-z &/-]{1,40}?)\s*:(?:\s+(.*))?$")
_BULLET_START = re.compile(r"^(\s*)(?:[-*+•]|\d{1,3}[.)])\s")
_NUMBERING = re.compile(r"^(?:(?:step|part|section)\s+)?(?:\d{1,3}(?:\.\d{1,3})*|[ivxlc]{1,6}|[a-z])[.):]\s+", re.I)
_SPACES = re.compile(r"[ \t]+")


def lines_of(text: str) -> list[str]:
    """The text's lines as the markdown parser counts them (``\\r\\n`` and ``\\r`` end a line too)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


@dataclass(frozen=True)
class Line:
    """One line of the report, with what it could be."""

    number: int  # 1-based
    text: str
    heading_level: int | None = None  # 1..6 on the first line of a heading
    bold_title: str | None = None  # "**Title**" (optionally numbered or bulleted, optionally ": rest")
    label_title: str | None = None  # "Title: rest" at the start of an unindented line
    rest: str = ""  # a heading's title, or the text after a bold title or a label
    code: bool = False  # inside a code block, fences included
    bullet_indent: int | None = None  # a list item's line: the indentation of its marker
    continued: bool = False  # the second and later lines of a heading (setext)


def _block_kinds(text: str) -> tuple[dict[int, tuple[int, str, int]], set[int]]:
    """Headings by first line (0-based): (level, title, lines it spans); and the code lines."""
    headings: dict[int, tuple[int, str, int]] = {}
    code: set[int] = set()
    tokens = _MD.parse(text)
    for index, token in enumerate(tokens):
        if token.map is None:
            continue
        start, end = token.map
        if token.type == "heading_open":
            title = tokens[index + 1].content if index + 1 < len(tokens) else ""
            headings[start] = (int(token.tag[1]), title.replace("\n", " "), end - start)
        elif token.type in ("fence", "code_block"):
            code.update(range(start, end))
    return headings, code


def scan_lines(text: str) -> list[Line]:
    """Every line, classified (see the module's docstring)."""
    raw_lines = lines_of(text)
    headings, code = _block_kinds("\n".join(raw_lines))
    lines: list[Line] = []
    spanned: set[int] = set()
    for index, raw in enumerate(raw_lines):
        number = index + 1
        if index in code:
            lines.append(Line(number, raw, code=True))
            continue
        if index in headings:
            level, title, span = headings[index]
            spanned.update(range(index + 1, index + span))
            lines.append(Line(number, raw, heading_level=level, rest=title.strip()))
            continue
        if index in spanned:
            lines.append(Line(number, raw, continued=True))
            continue
        bullet = _BULLET_START.match(raw.expandtabs(4))
        indent = len(bullet.group(1)) if bullet else None
        bold = _BOLD_LINE.match(raw)
        if bold:
            lines.append(Line(number, raw, bold_title=bold.group(2).strip().rstrip(":").strip(),
                              rest=bold.group(3).strip(), bullet_indent=indent))
            continue
        label = _ITEM_LABEL.match(raw) or (None if raw[:1].isspace() else _LABEL_LINE.match(raw))
        if label:
            lines.append(Line(number, raw, label_title=label.group(1).strip(), rest=(label.group(2) or "").strip(),
                              bullet_indent=indent))
            continue
        lines.append(Line(number, raw, bullet_indent=indent))
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
    """A list item, a paragraph line, a sub-heading, a table or a table row, with what it holds.

    ``kind``: ``"item"`` (a list item: its first paragraph, later paragraphs appended),
    ``"line"`` (one line of a paragraph), ``"heading"`` (holds what follows it, up to the next
    heading of its level), ``"table"`` (holds its rows), ``"row"`` (``cells`` under ``header``),
    ``"code"`` (a code block's text; :meth:`code_lines` numbers its lines).
    """

    text: str
    line: int
    kind: str = "item"
    children: list[Item] = field(default_factory=list)
    cells: tuple[str, ...] = ()
    header: tuple[str, ...] = ()
    level: int = 0  # a heading's level; for code, 1 when its first line follows a fence line

    @property
    def bullet(self) -> bool:
        return self.kind == "item"

    def code_lines(self) -> list[tuple[int, str]]:
        """A code block's lines with the report's line numbers."""
        return [(self.line + self.level + i, text) for i, text in enumerate(self.text.split("\n")) if text.strip()]

    def walk(self) -> list[Item]:
        """This item and all below it, depth first."""
        found = [self]
        for child in self.children:
            found.extend(child.walk())
        return found


def parse_blocks(lines: Sequence[tuple[int, str]]) -> list[Item]:
    """The tree of ``lines`` (numbered lines of the report; runs of consecutive numbers are read
    as one markdown text each).

    Example:
        >>> items = parse_blocks(list(enumerate(["Data:", "- **CIFAR-10**: images", "  - 10 classes"], 1)))
        >>> [(i.kind, i.text, i.line, [(c.text, [g.text for g in c.children]) for c in i.children]) for i in items]
        [('line', 'Data:', 1, [('**CIFAR-10**: images', ['10 classes'])])]
    """
    items: list[Item] = []
    run: list[tuple[int, str]] = []
    for number, text in lines:
        if run and number != run[-1][0] + 1:
            items.extend(_parse_run(run))
            run = []
        run.append((number, text))
    if run:
        items.extend(_parse_run(run))
    return items


def parse_list(text: str, first_line: int = 1) -> list[Item]:
    """:func:`parse_blocks` of one text whose first line is the report's line ``first_line``.

    Example:
        >>> items = parse_list("- **Batch Size**:\\n  - `64` for CIFAR-10\\n- Epochs: 5")
        >>> [(i.text, [c.text for c in i.children]) for i in items]
        [('**Batch Size**:', ['`64` for CIFAR-10']), ('Epochs: 5', [])]
    """
    return parse_blocks([(first_line + i, line) for i, line in enumerate(lines_of(text))])


def _parse_run(run: list[tuple[int, str]]) -> list[Item]:
    tokens = _MD.parse("\n".join(text for _, text in run))
    first = run[0][0]
    blocks, _ = _blocks(tokens, 0, first, closing=None)
    return _nest(blocks)


def _blocks(tokens: list[Token], index: int, first: int, closing: str | None) -> tuple[list[Item], int]:
    """Items from ``tokens[index:]`` up to the token ``closing`` (None: the end)."""
    out: list[Item] = []
    while index < len(tokens):
        token = tokens[index]
        if closing is not None and token.type == closing:
            return out, index + 1
        line = first + (token.map[0] if token.map else 0)
        if token.type == "paragraph_open":
            content = tokens[index + 1].content if index + 1 < len(tokens) else ""
            out.extend(Item(text.strip(), line + i, "line") for i, text in enumerate(content.split("\n"))
                       if text.strip())
            index += 3
        elif token.type == "heading_open":
            content = tokens[index + 1].content if index + 1 < len(tokens) else ""
            out.append(Item(content.strip(), line, "heading", level=int(token.tag[1])))
            index += 3
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            items, index = _list(tokens, index + 1, first, token.type.replace("_open", "_close"))
            out.append(Item("", line, "list", items))
        elif token.type == "table_open":
            table, index = _table(tokens, index + 1, first)
            out.append(table)
        elif token.type in ("fence", "code_block"):  # level: the line of the code's first line, from the block's
            out.append(Item(token.content, line, "code", level=1 if token.type == "fence" else 0))
            index += 1
        else:
            index += 1
    return out, index


def _list(tokens: list[Token], index: int, first: int, closing: str) -> tuple[list[Item], int]:
    items: list[Item] = []
    while index < len(tokens) and tokens[index].type != closing:
        token = tokens[index]
        if token.type != "list_item_open":
            index += 1
            continue
        line = first + (token.map[0] if token.map else 0)
        inner, index = _blocks(tokens, index + 1, first, "list_item_close")
        texts = [b for b in inner if b.kind == "line"]
        item = Item(" ".join(b.text for b in texts), line, "item")
        item.children = _nest([b for b in inner if b.kind != "line"])
        items.append(item)
    return items, index + 1


def _table(tokens: list[Token], index: int, first: int) -> tuple[Item, int]:
    header: tuple[str, ...] = ()
    rows: list[Item] = []
    line, cells, in_head = first, [], False
    table_line = first + (tokens[index - 1].map[0] if tokens[index - 1].map else 0)
    while index < len(tokens) and tokens[index].type != "table_close":
        token = tokens[index]
        if token.type == "thead_open":
            in_head = True
        elif token.type == "tbody_open":
            in_head = False
        elif token.type == "tr_open":
            line, cells = first + (token.map[0] if token.map else 0), []
        elif token.type == "inline":
            cells.append(token.content.strip())
        elif token.type == "tr_close":
            if in_head:
                header = tuple(cells)
            elif any(cells):
                rows.append(Item(" | ".join(cells), line, "row", cells=tuple(cells)))
        index += 1
    for row in rows:
        row.header = header
    return Item(" | ".join(header), table_line, "table", rows, header=header), index + 1


def _nest(blocks: list[Item]) -> list[Item]:
    """Lists flattened into their items; a list or table right below a line ending with ":" (or
    all bold) goes under that line; what follows a sub-heading goes under it, to the next
    heading of its level or above."""
    out: list[Item] = []
    headings: list[Item] = []  # the open sub-headings, outermost first

    def add(item: Item) -> None:
        (headings[-1].children if headings else out).append(item)

    def holder() -> list[Item]:
        return headings[-1].children if headings else out

    for block in blocks:
        if block.kind == "heading":
            while headings and headings[-1].level >= block.level:
                headings.pop()
            add(block)
            headings.append(block)
            continue
        siblings = holder()
        above = siblings[-1] if siblings else None
        if block.kind in ("list", "table") and above is not None and above.kind == "line" and not above.children \
                and _introduces(above.text):
            above.children.extend(block.children if block.kind == "list" else [block])
            continue
        if block.kind == "list":
            siblings.extend(block.children)
        else:
            add(block)
    return out


def _introduces(text: str) -> bool:
    """Whether a paragraph line introduces what follows: "Image data:" or "**Image data**"."""
    stripped = text.strip()
    return stripped.endswith(":") or bool(re.fullmatch(r"(\*\*|__)[^*_]{1,80}\1:?", stripped))


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
    return "\n".join(line for line in text.splitlines() if not re.match(r"^\s{0,3}(```|~~~)", line))
