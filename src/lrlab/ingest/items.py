"""What a Datasets or Models section lists, and the dict of values a Results section holds.

A list item ``key: value`` names its data set (or model) on the side that holds one: in
``**CIFAR-10:** a widely used data set`` the key, in ``**Image Classification**: CIFAR-10`` the
value (the key is then the group it belongs to). A side names one when it holds a name lrlab
knows; when neither does, a key that names a kind of task ("Image Classification", "NLP") gives
the name to the value. A value may name several (``CIFAR-10, MNIST``); a model may say what it
is for (``CNN for CIFAR-10 and MNIST``). Tables are read by their columns, prose by the names it
mentions. Every item keeps the report's line it came from.

Example:
    >>> from lrlab.ingest.markdown import parse_list
    >>> items = named_items(parse_list("- **Image Classification**: CIFAR-10, MNIST", 7), kind="dataset")
    >>> [(i.name, i.group, i.line) for i in items]
    [('CIFAR-10', 'Image Classification', 7), ('MNIST', 'Image Classification', 7)]
    >>> dict_section("{'eval_loss': 0.43}")
    ({'eval_loss': 0.43}, '')
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from lrlab.ingest.decisions import Evidence
from lrlab.ingest.markdown import Item, plain, split_key_value, strip_fences
from lrlab.ingest.vocabulary import datasets_in, is_category, models_in

Kind = Literal["dataset", "model"]


@dataclass(frozen=True)
class NamedItem:
    """A data set or a model as the report lists it."""

    name: str  # "CIFAR-10", "Convolutional Neural Network (CNN)"
    detail: str = ""  # the rest of its line
    group: str = ""  # the kind of task it is listed under ("Image Classification")
    code: str = ""  # an identifier in backticks (a hub name such as "cifar10")
    applies_to: tuple[str, ...] = ()  # "... for CIFAR-10 and MNIST" -> ("CIFAR-10", "MNIST")
    line: int | None = field(default=None, compare=False)  # the report's line

    @property
    def evidence(self) -> Evidence:
        return Evidence(self.line, self.name)


def _finder(kind: Kind) -> Callable[[str], list]:
    return datasets_in if kind == "dataset" else models_in


def named_items(blocks: list[Item], *, kind: Kind) -> list[NamedItem]:
    """The data sets (``kind="dataset"``) or models a section lists: its list items, its table
    rows, and paragraph lines that read as entries (``CIFAR-10: ...``). An item whose sub-items
    name things is their group; one that names a thing itself keeps its sub-items as detail."""
    finds = _finder(kind)
    found: list[NamedItem] = []

    def names_below(item: Item) -> bool:
        return any(finds(plain(child.text)) for child in item.walk()[1:])

    def visit(items: list[Item], group: str) -> None:
        for item in items:
            if item.kind == "heading":
                visit(item.children, plain(item.text))
            elif item.kind == "table":
                found.extend(_from_table(item, kind))
            elif item.children and not (finds(plain(item.text)) and not names_below(item)):
                key = split_key_value(item.text)[0]
                visit(item.children, key if len(key.split()) <= 8 else group)
            elif item.bullet or _entry_line(item.text, finds):
                detail = " ".join(plain(c.text) for c in item.walk()[1:])
                found.extend(_named(item.text, group, kind, item.line, detail))

    visit(blocks, "")
    return found


def _entry_line(text: str, finds: Callable[[str], list]) -> bool:
    """A paragraph line that reads as an entry: a bold or short key holding a name, or a short
    line naming one ("CIFAR-10 (`cifar10`)")."""
    key, value = split_key_value(text)
    if value:
        return len(key.split()) <= 6 and bool(finds(key) or (is_category(key) and finds(value)))
    return len(plain(text).split()) <= 6 and bool(finds(plain(text)))


_FOR = re.compile(r"(?:^|\s)\(?(?:for|used for|applied to)\s+(?:the\s+)?([^()]+?)\)?\.?$", re.I)


def _named(text: str, group: str, kind: Kind, line: int, below: str = "") -> list[NamedItem]:
    """The things one entry names; which side of its colon (or dash) names them is read from
    what each side holds."""
    finds = _finder(kind)
    code = re.search(r"`([^`]{1,60})`", text)
    key, value = split_key_value(text)
    if not value:  # "MNIST - handwritten digits", "Image Classification — CIFAR-10"
        dash = re.split(r"\s+[-–—]\s+", key, maxsplit=1)
        if len(dash) == 2:
            key, value = dash[0].strip(), dash[1].strip()
    if finds(key) or not value or not (finds(value) or is_category(key)):
        side, detail = key, value
    else:
        side, detail, group = value, "", key
    detail = " ".join(d for d in (detail, below) if d)
    found = []
    for part in _parts(side, finds):
        named = _one(part, detail, group, kind, line)
        if named is not None:
            found.append(replace_code(named, code.group(1).strip() if code else ""))
    return found


def replace_code(item: NamedItem, code: str) -> NamedItem:
    return NamedItem(item.name, item.detail, item.group, code, item.applies_to, item.line)


def _parts(side: str, finds: Callable[[str], list]) -> list[str]:
    """``side`` split at commas, semicolons and "and" outside parentheses, when every part names
    a known thing ("CIFAR-10, MNIST", "ResNet-18 for CIFAR-10 and CNN for MNIST"); else whole."""
    parts, depth, start = [], 0, 0
    separators = re.compile(r",\s*(?:and\s+)?|;\s*|\s+and\s+|\s+&\s+|\s*/\s*(?=[A-Z])")
    index = 0
    while index < len(side):
        char = side[index]
        depth += char == "("
        depth -= char == ")" and depth > 0
        match = separators.match(side, index) if depth == 0 else None
        if match and match.end() > index:
            parts.append(side[start:index])
            start = index = match.end()
            continue
        index += 1
    parts.append(side[start:])
    parts = [p.strip() for p in parts if p.strip()]
    if len(parts) > 1 and all(finds(p) for p in parts):
        return parts
    return [side]


def _one(text: str, detail: str, group: str, kind: Kind, line: int) -> NamedItem | None:
    name, applies = text.strip(), ()
    if kind == "model":  # "CNN for CIFAR-10 and MNIST", "**CNN**: for CIFAR-10", "**CNN** (for MNIST): ..."
        in_name = _FOR.search(name)
        in_detail = re.match(r"^\(?for\s+([^()]+?)\)?\.?$", detail, re.I)
        bracketed = re.match(r"^\((?:for|used for|applied to)\s+([^()]+)\)\s*:?\s*(.*)$", detail, re.I)
        if in_name and in_name.start() > 0:
            applies, name = _targets(in_name.group(1)), name[:in_name.start()]
        elif in_detail:
            applies, detail = _targets(in_detail.group(1)), ""
        elif bracketed:
            applies, detail = _targets(bracketed.group(1)), bracketed.group(2)
    else:  # "CIFAR-10 (`cifar10`)", "MNIST, handwritten digits"
        cut = re.split(r"\s+\(|,\s+", name, maxsplit=1)
        if len(cut) == 2:
            name, detail = cut[0], " ".join(d for d in (name[len(cut[0]):].strip(" ,()"), detail) if d)
    name = plain(name).strip().rstrip(".:").strip()
    if not name or len(name) > 120:
        return None
    return NamedItem(name=name, detail=plain(detail), group=plain(group), applies_to=applies, line=line)


def _targets(words: str) -> tuple[str, ...]:
    """``("CIFAR-10", "MNIST")`` from ``"CIFAR-10 and MNIST."``; ``()`` for "all datasets"."""
    words = plain(words).strip().rstrip(".").strip()
    if re.match(r"^(?:all|every|each|both)\b", words, re.I):
        return ()
    parts = re.split(r"\s*(?:,|;|/|&|\band\b|\bor\b)\s*", words)
    names = []
    for part in parts:
        part = re.sub(r"^(?:the|a|an)\s+", "", part.strip(), flags=re.I)
        part = re.sub(r"\s+(?:data ?sets?|tasks?)$", "", part, flags=re.I).strip()
        if part and len(part) <= 80:
            names.append(part)
    return tuple(names)


_COLUMN = {"dataset": r"data ?set|corpus|\bdata\b|benchmark|name", "model": r"model|architecture|network|backbone|name"}


def _from_table(table: Item, kind: Kind) -> list[NamedItem]:
    """Rows of a table: the cell that holds a known name (else the column headed for it) names
    the thing; a column headed "task", "domain" or "category" gives its group; in a table of
    models, a data set column says what the model is for."""
    finds = _finder(kind)
    header = [plain(h).lower() for h in table.header]
    named_column = next((i for i, h in enumerate(header) if re.search(_COLUMN[kind], h)), 0)
    group_column = next((i for i, h in enumerate(header) if re.search(r"task|domain|categor|type|modality", h)), None)
    for_column = next((i for i, h in enumerate(header) if kind == "model" and re.search(r"data ?set|data\b", h)), None)
    found = []
    for row in table.children:
        cells = [plain(c) for c in row.cells]
        holding = [i for i, c in enumerate(cells) if finds(c) and i not in (group_column, for_column)]
        column = holding[0] if holding else named_column
        if column >= len(cells) or not cells[column]:
            continue
        group = cells[group_column] if group_column is not None and group_column < len(cells) else ""
        detail = "; ".join(c for i, c in enumerate(cells) if i not in (column, group_column) and c)
        applies = _targets(cells[for_column]) if for_column is not None and for_column < len(cells) else ()
        for part in _parts(cells[column], finds):
            named = _one(part, detail, group, kind, row.line)
            if named is not None:
                found.append(NamedItem(named.name, named.detail, named.group,
                                       "", applies or named.applies_to, row.line))
    return found


_VARIANT = r"(?:[\s-]?\(?(?:base|large|small|tiny|mini)(?:[-\s](?:un)?cased)?\)?)?"  # "BERT (base-uncased)", "BERT-large"


def mentioned(units: list[tuple[int, str]], kind: Kind) -> list[NamedItem]:
    """No list of them: the known names the text mentions (whole words), in order of appearance,
    each once, with the line of its first mention."""
    finds = _finder(kind)
    hits: list[NamedItem] = []
    keys: set[str] = set()
    for line, text in units:
        words = plain(text)
        for start, known in finds(words):
            if known.key in keys:
                continue
            keys.add(known.key)
            match = re.compile(rf"(?:{known.pattern}){_VARIANT if kind == 'model' else ''}", re.I).match(words, start)
            name = match.group(0).strip() if match else known.key
            applies: tuple[str, ...] = ()
            if kind == "model" and match:
                applies = _said_for(words, start, match.end())
            hits.append(NamedItem(name=name, detail="(mentioned in the text; no list)", applies_to=applies, line=line))
    return hits


def _said_for(words: str, start: int, end: int) -> tuple[str, ...]:
    """The data set a model mentioned in prose is said to be for: "ResNet-50 on CIFAR-10", "an MLP
    for UCI Adult", "CIFAR-10 with ResNet-18" (in the same clause)."""
    after = re.match(r"\s+(?:is\s+)?(?:trained\s+|used\s+)?(?:on|for|with)\s+(?:the\s+)?", words[end:])
    if after:
        rest = words[end + after.end():]
        found = datasets_in(rest)
        if found and found[0][0] == 0:
            return (re.compile(rf"(?:{found[0][1].pattern})", re.I).match(rest).group(0),)
    clause = re.split(r"[;,.]\s", words[:start])[-1]
    before = re.search(r"(?:with|using|by)\s+(?:a|an|the)?\s*(?:[\w-]+\s+){0,2}$", clause)
    if before:
        found = datasets_in(clause[:before.start()])
        if found:
            last = found[-1]
            return (re.compile(rf"(?:{last[1].pattern})", re.I).match(clause, last[0]).group(0),)
    return ()


def dict_section(text: str) -> tuple[dict[str, Any], str]:
    """A Results section's values: a Python dict literal (read with ``ast.literal_eval``, which
    evaluates nothing), else ``name: number`` lines or a two-column table; and a note if neither."""
    body = strip_fences(text).strip()
    if not body:
        return {}, "empty"
    candidates = [body]
    if "{" in body and "}" in body:
        candidates.append(body[body.index("{"):body.rindex("}") + 1])
    for candidate in candidates:
        try:
            value = ast.literal_eval(candidate)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue
        if isinstance(value, dict):
            return value, ""
    pairs: dict[str, Any] = {}
    for line in body.splitlines():
        cells = [c.strip() for c in plain(line).strip("|- ").split("|")] if "|" in line else list(split_key_value(line.lstrip("-* ")))
        if len(cells) == 2 and cells[0] and re.fullmatch(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", cells[1]):
            number = float(cells[1])
            pairs[cells[0]] = int(number) if re.fullmatch(r"-?\d+", cells[1]) else number
    if pairs:
        return pairs, ""
    return {}, f"not a dict of values, kept out ({len(body)} characters: {body[:60]!r}...)"
