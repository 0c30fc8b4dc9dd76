"""Read an experiment report (the format of the seed reports) into a :class:`ParsedReport`.

The parser is tolerant: headings at any level (``#`` to ``######``), numbered or not
(``### 1. Objective``, ``#### 2. Methodology``), bold titles (``**Objective**``) and labels
(``Objective: ...``), sections missing or in another order, extra text anywhere. It reads
structure, not meaning: which scheduler, task or setting a phrase stands for is decided by
:mod:`lrlab.ingest.mapping`. The only error it raises is :class:`IngestError`, with one line.

Example:
    >>> report = parse_report('''# Experiment Report: Entropy LR
    ... ## Idea
    ... Lower the rate while predictions are uncertain.
    ... ## Experiment Plan
    ... **Datasets**
    ... - MNIST
    ... Hyperparameters:
    ... - Batch Size: 64 for MNIST
    ... - Learning rate: 1e-3
    ... ## Results
    ... {'eval_accuracy': 0.9}''')
    >>> report.title, report.datasets[0].name, report.results
    ('Entropy LR', 'MNIST', {'eval_accuracy': 0.9})
    >>> [(s.key, s.value, s.applies_to) for s in report.hyperparameters]
    [('batch_size', '64', ('MNIST',)), ('lr', '1e-3', ())]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrlab.ingest.items import NamedItem, dict_section, mentioned, named_items
from lrlab.ingest.markdown import Item, Line, heading_words, parse_blocks, plain, scan_lines
from lrlab.ingest.settings import Setting, Unit, settings, settings_anywhere
from lrlab.ingest.vocabulary import NUMBER_WORDS

__all__ = ["IngestError", "NamedItem", "ParsedReport", "Phrase", "Setting", "parse_report", "read_report"]

MAX_BYTES = 2_000_000


class IngestError(ValueError):
    """A report that cannot be read; the message is one line naming the file and what is wrong."""


@dataclass(frozen=True)
class Phrase:
    """A line of the report as written (a metric, a run count), with its line number."""

    text: str
    line: int | None = None


@dataclass
class ParsedReport:
    """What a report says, section by section, as plain values (nothing mapped yet); every
    listed thing keeps the report's line it came from."""

    title: str = ""
    idea: str = ""
    objective: str = ""
    methodology: str = ""
    datasets: list[NamedItem] = field(default_factory=list)
    models: list[NamedItem] = field(default_factory=list)
    hyperparameters: list[Setting] = field(default_factory=list)
    metrics: list[Phrase] = field(default_factory=list)
    runs: int | None = None
    runs_evidence: str = ""
    runs_line: int | None = None
    results: dict[str, Any] = field(default_factory=dict)
    benchmark: dict[str, Any] = field(default_factory=dict)
    code_changes: str = ""
    conclusion: str = ""
    extra_sections: dict[str, str] = field(default_factory=dict)  # other sections, by title
    sections: list[str] = field(default_factory=list)  # the known sections found, in order
    section_lines: dict[str, int] = field(default_factory=dict)  # the line each known section starts on
    notes: list[str] = field(default_factory=list)  # what was there but could not be read
    rule_units: list[Unit] = field(default_factory=list)  # lines that describe the method (idea, plan, ...)
    headline_units: list[Unit] = field(default_factory=list)  # the title's and the idea's lines

    def plan_text(self) -> str:
        """Everything that describes the experiment (not its results, code or conclusion)."""
        parts = [self.title, self.idea, self.objective, self.methodology, *self.extra_sections.values()]
        return "\n".join(p for p in parts if p)


# (key, heading pattern searched in the first words of a "#" heading, full-match pattern for a
# bold line or a label). Order matters: the first that matches wins.
_SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("title", r"^experiment(?:al)? report\b", r"experiment(?:al)? report"),
    ("plan", r"^(?:detailed )?experiment(?:al)? plan\b", r"experiment(?:al)? plan"),
    ("benchmark", r"benchmark(?:ing)? results?|baseline results?|^benchmark$", r"benchmark(?: results)?|baseline results"),
    ("results", r"(?<!expected )\bresults?\b|(?<!expected )\bfindings\b", r"(?:experiment(?:al)? )?results?"),
    ("code_changes", r"\bcode (?:changes|modifications|updates)\b", r"code (?:changes|modifications)"),
    ("conclusion", r"\bconclusions?\b", r"conclusions?"),
    ("metrics", r"\bmetrics?\b|\bevaluation\b", r"(?:evaluation )?metrics|evaluation"),
    ("hyperparameters", r"\bhyper-?\s?parameters?\b|\btraining (?:configuration|settings|setup)\b",
     r"hyper-?parameters?(?: settings)?|training (?:configuration|settings|setup)"),
    ("models", r"\bmodels?\b|\barchitectures?\b|\bnetworks?\b",
     r"models?(?: architectures?)?|model architectures?|architectures?|(?:neural )?networks?"),
    ("datasets", r"\bdata ?sets?\b|\bdata\b(?! (?:collection|analysis|augmentation|loading|preprocessing))",
     r"data ?sets?(?: used)?|data"),
    ("objective", r"\bobjectives?\b|\bgoals?\b|\baims?\b|\bpurpose\b|\bhypothes[ie]s\b", r"objectives?|goals?|aims?"),
    ("methodology", r"\bmethodology\b|\bmethods?\b|\bapproach\b|\bexperimental design\b|\bprocedure\b",
     r"methodology|methods?|approach"),
    ("idea", r"\bidea\b|\bproposal\b", r"(?:research |proposed )?idea"),
)
_OUTPUT = {"results", "benchmark", "code_changes", "conclusion"}
_PLAN_PARTS = {"plan", "objective", "methodology", "datasets", "models", "hyperparameters", "metrics"}
# Words that start a sentence as often as a section ("Data: we use ...", "Evaluation: compare ..."):
# as "Word: text" they are text; alone on their line ("Evaluation:") they still open a section.
_PROSE_LABELS = {"data", "evaluation", "approach", "method", "methods", "goal", "goals", "aim", "aims",
                 "model", "architecture", "architectures", "result", "summary"}
_RUNS = re.compile(r"\b(\d{1,3}|" + "|".join(NUMBER_WORDS) + r")\s+(?:independent |separate |random |training |"
                   r"different |repeated )?(?:runs|seeds|repetitions|repeats)\b", re.I)
_REPEATED = re.compile(r"\brepeat(?:ed)?\s+(\d{1,3}|" + "|".join(NUMBER_WORDS) + r")\s+times\b", re.I)
_DASH_BULLET = re.compile(r"^\s*[-*+•]\s")


def read_report(path: str | Path) -> ParsedReport:
    """Parse the report file at ``path``; :class:`IngestError` if it is missing, binary or empty."""
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"{path}: no such report file")
    data = path.read_bytes()
    if len(data) > MAX_BYTES:
        raise IngestError(f"{path}: {len(data)} bytes is too large for an experiment report (at most {MAX_BYTES})")
    if b"\x00" in data:
        raise IngestError(f"{path}: not a text file (it holds NUL bytes)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise IngestError(f"{path}: not UTF-8 text (byte {error.start} cannot be decoded)") from None
    return parse_report(text, source=str(path))


def parse_report(text: str, source: str = "<report>") -> ParsedReport:
    """Parse report ``text``. Raises :class:`IngestError` (one line, naming ``source``) when it is
    empty, binary, or has neither an Idea nor any part of an Experiment Plan as a section."""
    if not isinstance(text, str):
        raise IngestError(f"{source}: expected text, got {type(text).__name__}")
    if not text.strip():
        raise IngestError(f"{source}: the report is empty")
    if len(text) > MAX_BYTES:
        raise IngestError(f"{source}: {len(text)} characters is too large for an experiment report")
    controls = sum(1 for c in text if (ord(c) < 32 and c not in "\n\r\t") or 0xD800 <= ord(c) <= 0xDFFF)
    if controls > max(2, len(text) // 100):
        raise IngestError(f"{source}: not a text report ({controls} control characters; binary data?)")
    text = "".join(c for c in text if not (0xD800 <= ord(c) <= 0xDFFF))
    sections, extras, order, starts = _split_sections(text)
    if not ({"idea"} | _PLAN_PARTS) & set(order):
        found = ", ".join(order) or "no known section"
        raise IngestError(f"{source}: not an experiment report: no Idea nor Experiment Plan section "
                          f"(Objective, Methodology, Datasets, Model Architecture, Hyperparameters) found ({found})")
    report = ParsedReport(sections=order, section_lines=starts)
    _fill(report, sections, extras)
    return report


def _classify(title: str, atx: bool) -> str | None:
    words = heading_words(title)
    if not words:
        return None
    if atx:
        first = " ".join(words.split()[:4])  # the kind of section is said in its first words
        for key, heading, _ in _SECTIONS:
            if re.search(heading, words if key in ("title", "plan") else first):
                return key
        return None
    for key, _, full in _SECTIONS:
        if re.fullmatch(full, words.rstrip(".")):
            return key
    return None


Lines = list[tuple[int, str]]


def _split_sections(text: str) -> tuple[dict[str, Lines], dict[str, Lines], list[str], dict[str, int]]:
    """Numbered lines by known section key, by unknown section title; the known keys in order and
    the line each starts on. A list item that opens a section (``1. **Datasets**:``,
    ``- **Models**: ResNet-18``) holds it up to its next sibling item."""
    sections: dict[str, Lines] = {}
    extras: dict[str, Lines] = {}
    order: list[str] = []
    starts: dict[str, int] = {}
    current: Lines = extras.setdefault("(before the first heading)", [])
    current_key: str | None = "(preamble)"  # None: in a section of unknown title
    current_level = 0
    scopes: list[tuple[Lines, str | None, int, int, int]] = []  # what an item or a label section interrupted
    for line in scan_lines(text):
        if line.continued:
            continue
        while scopes and _ends_scope(line, scopes[-1][3]):
            current, current_key, current_level, _, _ = scopes.pop()
        raw = line.text
        if scopes and not line.code:
            column = scopes[-1][4]
            raw = raw[min(column, len(raw) - len(raw.lstrip(" "))):]
        if line.code:
            current.append((line.number, raw))
            continue
        title, level, first = None, 7, ""
        if line.heading_level is not None:
            title, level = line.rest, line.heading_level
        elif line.bold_title is not None:
            title, first = line.bold_title, line.rest
        elif line.label_title is not None and not (line.rest and heading_words(line.label_title) in _PROSE_LABELS):
            title, first = line.label_title, line.rest
        key = _classify(title, line.heading_level is not None) if title is not None else None
        item = line.bullet_indent is not None and key is not None
        if item and (key in ("title", "plan") or (key in _OUTPUT and _DASH_BULLET.match(line.text))):
            key, item = None, False  # "- Results: logged to CSV" is a line of the plan
        if key is not None and current_key in _OUTPUT and key not in _OUTPUT and level > current_level:
            key = None  # a "### Model ..." inside Results is part of the results
        if key is None and line.heading_level is not None and title is not None:
            nested = current_key not in ("title", "plan", "(preamble)") and level > current_level
            if nested or (current_key == "code_changes" and heading_words(title).startswith("file")):
                current.append((line.number, raw))  # a sub-heading of the section it is in
                continue
            if not sections and level == 1 and heading_words(title):
                key, first = "title", ""  # a first "# ..." heading names the report
            else:
                current = extras.setdefault(plain(title) or "(untitled)", [])
                current_key, current_level = None, level
                continue
        if key is None:
            current.append((line.number, raw))
            continue
        if key == "title":
            first = re.sub(r"^\s*experiment(?:al)? report\s*:?\s*", "", plain(title if line.heading_level else line.text),
                           flags=re.I)
        if item:
            marker = re.match(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s*", line.text)
            scopes.append((current, current_key, current_level, line.bullet_indent or 0, marker.end() if marker else 0))
        elif first and line.heading_level is None and key != "title":  # "Models: a CNN for MNIST"
            scopes.append((current, current_key, current_level, _LABEL_SCOPE, 0))
        current = sections.setdefault(key, [])
        if key not in order:
            order.append(key)
            starts[key] = line.number
        current_key, current_level = key, level
        if first:
            current.append((line.number, first))
    return sections, extras, order, starts


_LABEL_SCOPE = -1  # a section opened by "Label: text" on one line, held to the next label or heading


def _ends_scope(line: Line, indent: int) -> bool:
    """Whether ``line`` ends the innermost item (or one-line label) section."""
    if line.heading_level is not None:
        return True
    if indent == _LABEL_SCOPE:
        return line.label_title is not None or (line.bold_title is not None and line.bullet_indent is None)
    return line.bullet_indent is not None and line.bullet_indent <= indent


def _units(items: list[Item]) -> list[Unit]:
    """Every list item, paragraph line, table row and line of code below ``items``, as (line, plain text)."""
    found: list[Unit] = []
    for item in (i for root in items for i in root.walk()):
        if item.kind == "code":
            found.extend(item.code_lines())
        elif item.text.strip() and item.kind != "table":
            found.append((item.line, plain(item.text)))
    return found


def _fill(report: ParsedReport, sections: dict[str, Lines], extras: dict[str, Lines]) -> None:
    def text(key: str) -> str:
        return "\n".join(t for _, t in sections.get(key, [])).strip()

    def blocks(key: str) -> list[Item]:
        return parse_blocks(sections.get(key, []))

    report.title = plain(text("title").split("\n")[0]) if "title" in sections else ""
    report.idea = text("idea")
    report.objective = text("objective")
    report.methodology = text("methodology") or text("plan")
    report.extra_sections = {k: "\n".join(t for _, t in v).strip() for k, v in extras.items()
                             if "\n".join(t for _, t in v).strip()}
    bold_idea = re.match(r"^\s*\*\*(.{3,200}?)\*\*\s*:", report.idea)
    if bold_idea and (not report.title or plain(bold_idea.group(1)).lower().startswith(report.title.lower())):
        report.title = plain(bold_idea.group(1))  # the report's title is often cut short; the idea's is whole
    described = [blocks(key) for key in ("idea", "objective", "methodology", "plan")]
    described += [parse_blocks(lines) for title, lines in extras.items() if not title.startswith("(")]
    plan_units = [u for tree in described for u in _units(tree)]
    report.headline_units = [u for key in ("title", "idea") for u in _units(blocks(key))]
    report.datasets = (named_items(blocks("datasets"), kind="dataset")
                       or mentioned(_units(blocks("datasets")) + report.headline_units + plan_units, "dataset"))
    report.models = (named_items(blocks("models"), kind="model")
                     or mentioned(_units(blocks("models")) + report.headline_units + plan_units, "model"))
    if "hyperparameters" in sections:
        report.hyperparameters, prose = settings(blocks("hyperparameters"))
        report.rule_units = plan_units + prose
    else:
        report.hyperparameters, report.rule_units = settings_anywhere([item for tree in described for item in tree])
    metrics = blocks("metrics")
    report.metrics = [Phrase(plain(i.text), i.line) for root in metrics for i in root.walk() if i.bullet]
    if not report.metrics:
        report.metrics = [Phrase(t, n) for n, t in _units(metrics) if t]
    report.runs, report.runs_evidence, report.runs_line = _runs(report, plan_units + _units(blocks("hyperparameters")))
    for key, attribute in (("results", "results"), ("benchmark", "benchmark")):
        if key in sections:
            values, note = dict_section(text(key))
            setattr(report, attribute, values)
            if note:
                report.notes.append(f"{key.title()}: {note}")
    report.code_changes = text("code_changes")
    report.conclusion = text("conclusion")


def _runs(report: ParsedReport, units: list[Unit]) -> tuple[int | None, str, int | None]:
    for setting in report.hyperparameters:
        if setting.key == "runs" and (number := re.search(r"\d{1,3}", setting.value)):
            return int(number.group(0)), f"{setting.label}: {setting.value}", setting.line
    for line, words in units:
        match = _RUNS.search(words) or _REPEATED.search(words)
        if match:
            count = match.group(1).lower()
            return (NUMBER_WORDS[count] if count in NUMBER_WORDS else int(count)), match.group(0), line
    return None, "", None
