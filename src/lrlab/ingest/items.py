"""What one section of a report lists: data sets and models (with the "for X" they apply to),
hyperparameters (shared, or scoped to a data set or model by "for X" or by the group they are
listed under), and the dict of values a Results section holds.

Example:
    >>> [(s.key, s.value, s.applies_to) for s in settings("- **Epochs**:\\n  - `50` for CIFAR-10 and MNIST")]
    [('epochs', '50', ('CIFAR-10', 'MNIST'))]
    >>> dict_section("{'eval_loss': 0.43}")
    ({'eval_loss': 0.43}, '')
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

from lrlab.ingest.markdown import Item, parse_list, plain, split_key_value, strip_fences
from lrlab.ingest.vocabulary import find_hparam


@dataclass(frozen=True)
class NamedItem:
    """A data set or a model as the report lists it."""

    name: str  # "CIFAR-10", "Convolutional Neural Network (CNN)"
    detail: str = ""  # the rest of its line
    group: str = ""  # the list item it is under ("Image Classification")
    code: str = ""  # an identifier in backticks (a hub name such as "cifar10")
    applies_to: tuple[str, ...] = ()  # "... for CIFAR-10 and MNIST" -> ("CIFAR-10", "MNIST")


@dataclass(frozen=True)
class Setting:
    """A hyperparameter as the report states it; ``applies_to`` empty means every task."""

    key: str | None  # canonical name ("batch_size", "lr", ...), None when lrlab does not know it
    label: str  # as written ("Batch Size")
    value: str  # "64", "Adam", "0.001"
    applies_to: tuple[str, ...] = ()
    scope: str = ""  # the group it was listed under ("ResNet-18 Specific")


def named_items(section: str, *, with_for: bool) -> list[NamedItem]:
    """Bullet items without sub-items are the things named; items with sub-items are groups."""
    found: list[NamedItem] = []

    def visit(items: list[Item], group: str) -> None:
        for item in items:
            if item.children:
                visit(item.children, split_key_value(item.text)[0])
            elif item.bullet:
                named = _named(item.text, group, with_for)
                if named is not None:
                    found.append(named)

    visit(parse_list(section), "")
    return found


def _named(text: str, group: str, with_for: bool) -> NamedItem | None:
    code = re.search(r"`([^`]{1,60})`", text)
    key, rest = split_key_value(text)
    applies: tuple[str, ...] = ()
    if with_for:  # "CNN for CIFAR-10 and MNIST", "**CNN**: for CIFAR-10"
        in_name = re.search(r"\s\(?for\s+([^()]+?)\)?\.?$", key)
        in_rest = re.match(r"^\(?for\s+([^()]+?)\)?\.?$", rest)
        if in_name:
            applies, key = _targets(in_name.group(1)), key[:in_name.start()]
        elif in_rest:
            applies, rest = _targets(in_rest.group(1)), ""
    if not rest:  # "CIFAR-10 (`cifar10`)", "MNIST - handwritten digits"
        cut = re.split(r"\s+[-–—]\s+|,\s+" if with_for else r"\s+\(|\s+[-–—]\s+|,\s+", key, maxsplit=1)
        key, rest = cut[0], key[len(cut[0]):].strip()
    key = key.strip().rstrip(".:").strip()
    if not key or len(key) > 120:
        return None
    return NamedItem(name=key, detail=plain(rest), group=group, code=code.group(1).strip() if code else "",
                     applies_to=applies)


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


def mentioned(text: str, known: tuple[Any, ...]) -> list[NamedItem]:
    """No list of them: the known names ``text`` mentions, in order of appearance."""
    words = plain(text)
    hits: list[tuple[int, str, str]] = []
    for entry in known:
        for match in re.finditer(rf"(?<![a-z0-9]){entry.pattern}", words, re.I):
            if all(entry.key != k for _, _, k in hits):
                hits.append((match.start(), match.group(0).strip(), entry.key))
    return [NamedItem(name=name, detail="(mentioned in the text; no list)") for _, name, _ in sorted(hits)]


def settings(section: str) -> list[Setting]:
    found: list[Setting] = []

    def add(key: str | None, label: str, value: str, scope: str, inherited: tuple[str, ...]) -> None:
        value = plain(value)
        match = re.search(r"(?:^|\s)(?:\(for\s+([^()]+)\)|for\s+([^()]+?))\s*\.?$", value)
        applies = _targets(match.group(1) or match.group(2)) if match else inherited
        value = (value[:match.start()] if match else value).strip().rstrip(".,;").strip()
        if value:
            found.append(Setting(key, label, value, applies, scope))

    def visit(items: list[Item], scope: str, inherited: tuple[str, ...]) -> None:
        for item in items:
            label, value = split_key_value(item.text)
            key = find_hparam(label)
            if key is not None:
                if value:
                    add(key, label, value, scope, inherited)
                for child in item.children:
                    add(key, label, child.text, scope, inherited)
            elif item.children:
                visit(item.children, label, _scope_targets(label) or inherited)
            elif value and len(label.split()) <= 6:
                add(None, label, value, scope, inherited)

    visit(parse_list(section), "", ())
    if not any(s.key for s in found):
        found.extend(settings_in_prose(section))
    return found


def _scope_targets(label: str) -> tuple[str, ...]:
    """``("ResNet-18",)`` for "ResNet-18 Specific", ``("CIFAR-10",)`` for "For CIFAR-10";
    ``()`` for "Common Hyperparameters"."""
    if re.search(r"\b(?:common|shared|general|global|default|all)\b", label, re.I):
        return ()
    words = re.sub(r"^\s*for\s+", "", label, flags=re.I)
    words = re.sub(r"\s*[-(]?\s*(?:specific|only|settings|hyper-?parameters|parameters|configuration)\)?\s*$", "",
                   words, flags=re.I)
    return _targets(words)


_PROSE = (
    ("batch_size", r"batch[- ]size(?:\s+(?:of|=|is|:))?\s+(\d+)"),
    ("lr", r"learning[- ]rate(?:\s+(?:of|=|is|:))?\s+(\d[\d.eE-]*)"),
    ("epochs", r"(\d+)\s+epochs"),
    ("weight_decay", r"weight[- ]decay(?:\s+(?:of|=|is|:))?\s+(\d[\d.eE-]*)"),
    ("dropout", r"dropout(?:\s+(?:rate|probability))?(?:\s+(?:of|=|is|:))?\s+(\d[\d.]*)"),
    ("optimizer", r"\b(adamw|adam|sgd)\b"),
)


def settings_in_prose(section: str) -> list[Setting]:
    words = plain(section)
    found = []
    for key, pattern in _PROSE:
        match = re.search(pattern, words, re.I)
        if match:
            found.append(Setting(key, key.replace("_", " "), match.group(1)))
    return found



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
