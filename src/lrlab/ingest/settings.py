"""The hyperparameters a report states: list items ``Key: value`` (shared, or scoped to a data set
or model by "for X" or by the group they are listed under), tables (a row per setting, or a row
per data set with a column per setting), and sentences ("a batch size of 64 for 20 epochs").

A key is read for what it names on either side of a parenthesis ("Regularization (Weight
Decay)"); a value that names another setting first ("Regularization: dropout 0.3") is that one.
Settings lrlab does not know keep ``key=None``: the proposed rule's own settings (threshold,
window, meta-learner rate) are among them, and :mod:`~lrlab.ingest.rules` reads those.

Example:
    >>> from lrlab.ingest.markdown import parse_list
    >>> found, _ = settings(parse_list("- **Epochs**:\\n  - `50` for CIFAR-10 and MNIST\\n- Regularization (Weight Decay): 1e-5", 3))
    >>> [(s.key, s.value, s.applies_to, s.line) for s in found]
    [('epochs', '50', ('CIFAR-10', 'MNIST'), 4), ('weight_decay', '1e-5', (), 5)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lrlab.ingest.decisions import Evidence
from lrlab.ingest.items import _targets
from lrlab.ingest.markdown import Item, plain, split_key_value
from lrlab.ingest.quantities import NUMBER
from lrlab.ingest.vocabulary import find_hparam

Unit = tuple[int, str]  # (line, text): a list item or a paragraph line of the report


@dataclass(frozen=True)
class Setting:
    """A hyperparameter as the report states it; ``applies_to`` empty means every task."""

    key: str | None  # canonical name ("batch_size", "lr", ...), None when lrlab does not know it
    label: str  # as written ("Batch Size")
    value: str  # "64", "Adam", "0.001"
    applies_to: tuple[str, ...] = ()
    scope: str = ""  # the group it was listed under ("ResNet-18 Specific")
    line: int | None = field(default=None, compare=False)

    @property
    def evidence(self) -> Evidence:
        return Evidence(self.line, self.label)


_FOR_VALUE = re.compile(r"(?:^|\s)(?:\(for\s+([^()]+)\)|for\s+([^()]+?))\s*\.?$", re.I)


def settings(blocks: list[Item]) -> tuple[list[Setting], list[Unit]]:
    """The settings ``blocks`` state, and the lines they hold that state none (for the rule)."""
    found: list[Setting] = []
    prose: list[Unit] = []

    def add(key: str | None, label: str, value: str, scope: str, inherited: tuple[str, ...], line: int) -> None:
        value = plain(value)
        match = _FOR_VALUE.search(value)
        applies = _targets(match.group(1) or match.group(2)) if match else inherited
        value = (value[:match.start()] if match else value).strip().rstrip(".,;").strip()
        if value:
            found.append(Setting(key, label, value, applies, scope, line))

    def visit(items: list[Item], scope: str, inherited: tuple[str, ...]) -> None:
        for item in items:
            if item.kind == "heading":
                label = plain(item.text)
                visit(item.children, label, _scope_targets(label) or inherited)
                continue
            if item.kind == "table":
                found.extend(_from_table(item, inherited))
                continue
            if item.kind == "code":
                found.extend(from_code(item, inherited))
                continue
            label, value = split_key_value(item.text)
            key = find_hparam(label)
            named = _value_names(value)
            if named is not None and named[0] != key and (key is None or key == "weight_decay"):
                key, label, value = named[0], f"{label}: {named[1]}", named[2]
            if key is not None:
                if value:
                    add(key, label, value, scope, inherited, item.line)
                for child in item.children:
                    add(key, label, child.text, scope, inherited, child.line)
                if key == "optimizer" and value:  # "Adam (lr 1e-3, weight decay 1e-4)"
                    found.extend(s for s in settings_in_prose([(item.line, value)]) if s.key != "optimizer")
            elif item.children:
                visit(item.children, label, _scope_targets(label) or inherited)
            elif value and len(label.split()) <= 6:
                add(None, label, value, scope, inherited, item.line)
            else:
                stated = settings_in_prose([(item.line, item.text)])
                found.extend(Setting(s.key, s.label, s.value, s.applies_to or inherited, scope, s.line) for s in stated)
                if not stated:
                    prose.append((item.line, plain(item.text)))

    visit(blocks, "", ())
    return found, prose


def settings_anywhere(blocks: list[Item]) -> tuple[list[Setting], list[Unit]]:
    """No Hyperparameters section: ``Key: value`` items with a key lrlab knows, tables of
    settings and configuration blocks, anywhere in the plan, then sentences; and the lines that
    stated none (for the rule). The first statement of each setting wins."""
    found: list[Setting] = []
    rest: list[Unit] = []
    for item in (i for root in blocks for i in root.walk()):
        if item.kind == "table":
            found.extend(_from_table(item, ()) if _settings_table(item) else [])
        elif item.kind == "code":
            found.extend(from_code(item, ()))
        elif item.kind not in ("row", "heading") and item.text.strip():
            label, value = split_key_value(item.text)
            key = find_hparam(label) if value and len(label.split()) <= 6 else None
            if key is not None:
                found.append(Setting(key, label, value.rstrip(".").strip(), (), "", item.line))
            else:
                rest.append((item.line, plain(item.text)))
    found += settings_in_prose(rest)
    kept: list[Setting] = []
    for setting in found:  # the first of each (setting, tasks); a rule's settings (key None) all
        if setting.key is None or not any((k.key, k.applies_to) == (setting.key, setting.applies_to) for k in kept):
            kept.append(setting)
    return kept, rest


def _settings_table(table: Item) -> bool:
    header = [plain(h) for h in table.header]
    return any(find_hparam(h) for h in header[1:]) or bool(
        len(header) >= 2 and re.search(r"hyper|param|setting", header[0], re.I) and re.search(r"value", header[1], re.I))


_CODE_SETTING = re.compile(r"^\s*[\"']?([A-Za-z][\w .-]{0,40}?)[\"']?\s*[:=]\s*[\"']?([^#\"']+?)[\"']?\s*,?\s*(?:#.*)?$")


def from_code(block: Item, inherited: tuple[str, ...]) -> list[Setting]:
    """``key: value`` / ``key = value`` lines of a configuration block (YAML, TOML, Python): a
    key lrlab knows, or any key with a number (the rule's own, such as ``entropy_threshold``)."""
    found = []
    for line, text in block.code_lines():
        match = _CODE_SETTING.match(text)
        if match is None:
            continue
        label, value = match.group(1).strip(), match.group(2).strip()
        key = find_hparam(label)
        if key is not None or re.fullmatch(rf"{NUMBER}%?", value):
            found.append(Setting(key, label, value, inherited, "", line))
    return found


def _value_names(value: str) -> tuple[str, str, str] | None:
    """``("dropout", "Dropout", "0.3")`` from the value ``"Dropout 0.3"``: a value that starts
    with another setting's name and then its number."""
    match = re.match(rf"([A-Za-z][A-Za-z0-9 .-]{{1,30}}?)\s*(?:[:=(]|\bof\b|\bat\b)?\s*(?={NUMBER})", plain(value))
    if match is None:
        return None
    key = find_hparam(match.group(1))
    return (key, match.group(1).strip(), plain(value)[match.end():].strip(" )")) if key else None


def _scope_targets(label: str) -> tuple[str, ...]:
    """``("ResNet-18",)`` for "ResNet-18 Specific", ``("CIFAR-10",)`` for "For CIFAR-10";
    ``()`` for "Common Hyperparameters"."""
    if re.search(r"\b(?:common|shared|general|global|default|all|hyper-?parameters?)\b", label, re.I) \
            and not re.search(r"specific|only", label, re.I):
        return ()
    words = re.sub(r"^\s*for\s+", "", label, flags=re.I)
    words = re.sub(r"\s*[-(]?\s*(?:specific|only|settings|hyper-?parameters|parameters|configuration)\)?\s*$", "",
                   words, flags=re.I)
    return _targets(words)


def _from_table(table: Item, inherited: tuple[str, ...]) -> list[Setting]:
    """A row per data set (or model) with a column per setting, or a row per setting."""
    header = [plain(h) for h in table.header]
    columns = {i: find_hparam(h) for i, h in enumerate(header)}
    found = []
    if sum(1 for k in columns.values() if k) >= 1 and columns.get(0) is None and len(header) >= 2:
        for row in table.children:  # | Dataset | Batch size | Epochs |
            cells = [plain(c) for c in row.cells]
            target = cells[0] if cells else ""
            applies = () if re.fullmatch(r"(?:all|common|default|every\w*|shared|-)?", target, re.I) else _targets(target)
            for i, key in columns.items():
                if i > 0 and i < len(cells) and cells[i] and cells[i] != "-":
                    found.append(Setting(key, header[i], cells[i], applies or inherited, "", row.line))
        return found
    for row in table.children:  # | Hyperparameter | Value | (Applies to) |
        cells = [plain(c) for c in row.cells]
        if len(cells) < 2 or not cells[0] or not cells[1]:
            continue
        applies = _targets(cells[2]) if len(cells) > 2 and re.search(r"for|appl|data|model", header[2], re.I) \
            and not re.fullmatch(r"(?:all|every\w*|-)?", cells[2], re.I) else inherited
        found.append(Setting(find_hparam(cells[0]), cells[0], cells[1], applies, "", row.line))
    return found


_Q = rf"({NUMBER}(?:\s*(?:%|percent\b))?)"
_IS = r"(?:\s*(?:of|=|is|was|will be|set to|:|equal to|at)\b|\s*[=:])*\s*"
_PROSE = (
    ("batch_size", rf"(?:mini-?)?batch[- ]size{_IS}{_Q}"),
    ("batch_size", rf"(?:mini-?)?batches\s+of\s+{_Q}"),
    ("lr", rf"(?:initial |base |peak |starting )?(?:learning[- ]rate|\blr\b){_IS}{_Q}"),
    ("epochs", rf"{_Q}\s+(?:training\s+)?epochs\b"),
    ("epochs", rf"\bepochs{_IS}{_Q}"),
    ("weight_decay", rf"weight[- ]decay{_IS}{_Q}"),
    ("dropout", rf"dropout(?:\s+(?:rate|probability))?{_IS}{_Q}"),
    ("momentum", rf"momentum{_IS}{_Q}"),
    ("warmup_steps", rf"{_Q}\s+warm-?up\s+steps|warm-?up\s+(?:of\s+|for\s+)?{_Q}\s+steps"),
    ("optimizer", r"\b(adamw|adam|sgd|rmsprop|adagrad)\b"),
)
_PATIENCE_BEFORE = re.compile(r"improv\w*\s+(?:for|in|over|after|within)\s*$|\bpatience\b", re.I)
_META = re.compile(r"meta[- ]?(?:learner|learning|controller|policy|optimi[sz]er)?(?:'s)?\s*$", re.I)


def settings_in_prose(units: list[Unit]) -> list[Setting]:
    """Settings stated in sentences, each with its line; the first statement of each wins (a
    sentence repeating it adds nothing). A meta-learner's learning rate is not the rate."""
    found: list[Setting] = []
    for line, text in units:
        words = plain(text)
        for key, pattern in _PROSE:
            if any(s.key == key for s in found):
                continue
            for match in re.finditer(pattern, words, re.I):
                value = next(g for g in match.groups() if g)
                value_at = match.start(next(i for i, g in enumerate(match.groups(), 1) if g))
                if key == "lr" and _META.search(words[max(0, match.start() - 30):match.start()]):
                    continue
                if key != "dropout" and re.search(r"%|percent", value):
                    continue  # "reduce the learning rate 10 percent" is a change, not a rate
                if key == "epochs" and (_PATIENCE_BEFORE.search(words[max(0, match.start() - 40):match.start()])
                                        or re.match(r"\s*(?:without|with no|of no)\b", words[match.end():])):
                    continue  # "does not improve for 3 epochs" is a patience
                label = words[match.start():value_at].strip(" =:") if value_at > match.start() else match.group(0)
                found.append(Setting(key, label or match.group(0).strip(), value, (), "", line))
                break
    return found
