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

from lrlab.ingest.items import (
    NamedItem,
    Setting,
    dict_section,
    mentioned,
    named_items,
    settings,
    settings_in_prose,
)
from lrlab.ingest.markdown import heading_words, parse_list, plain, scan_lines
from lrlab.ingest.vocabulary import DATASETS, MODELS, NUMBER_WORDS

__all__ = ["IngestError", "NamedItem", "ParsedReport", "Setting", "parse_report", "read_report"]

MAX_BYTES = 2_000_000


class IngestError(ValueError):
    """A report that cannot be read; the message is one line naming the file and what is wrong."""


@dataclass
class ParsedReport:
    """What a report says, section by section, as plain values (nothing mapped yet)."""

    title: str = ""
    idea: str = ""
    objective: str = ""
    methodology: str = ""
    datasets: list[NamedItem] = field(default_factory=list)
    models: list[NamedItem] = field(default_factory=list)
    hyperparameters: list[Setting] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    runs: int | None = None
    runs_evidence: str = ""
    results: dict[str, Any] = field(default_factory=dict)
    benchmark: dict[str, Any] = field(default_factory=dict)
    code_changes: str = ""
    conclusion: str = ""
    extra_sections: dict[str, str] = field(default_factory=dict)  # other sections, by title
    sections: list[str] = field(default_factory=list)  # the known sections found, in order
    notes: list[str] = field(default_factory=list)  # what was there but could not be read

    def plan_text(self) -> str:
        """Everything that describes the experiment (not its results, code or conclusion)."""
        parts = [self.title, self.idea, self.objective, self.methodology, *self.extra_sections.values()]
        return "\n".join(p for p in parts if p)


# (key, heading pattern searched in the first words of a "#" heading, full-match pattern for a
# bold line or a label). Order matters: the first that matches wins.
_SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("title", r"^experiment(?:al)? report\b", r"experiment(?:al)? report"),
    ("plan", r"^(?:detailed )?experiment(?:al)? plan\b", r"experiment(?:al)? plan"),
    ("benchmark", r"benchmark", r"benchmark(?: results)?|baseline results"),
    ("results", r"(?<!expected )\bresults?\b|(?<!expected )\bfindings\b", r"(?:experiment(?:al)? )?results?"),
    ("code_changes", r"\bcode (?:changes|modifications|updates)\b", r"code (?:changes|modifications)"),
    ("conclusion", r"\bconclusions?\b", r"conclusions?"),
    ("metrics", r"\bmetrics?\b|\bevaluation\b", r"(?:evaluation )?metrics|evaluation"),
    ("hyperparameters", r"\bhyper-?\s?parameters?\b|\btraining (?:configuration|settings)\b",
     r"hyper-?parameters?(?: settings)?|training (?:configuration|settings)"),
    ("models", r"\bmodels?\b|\barchitectures?\b", r"models?(?: architectures?)?|model architectures?|architectures?"),
    ("datasets", r"\bdata ?sets?\b|\bdata\b(?! (?:collection|analysis|augmentation|loading|preprocessing))",
     r"data ?sets?(?: used)?|data"),
    ("objective", r"\bobjectives?\b|\bgoals?\b|\baims?\b|\bpurpose\b|\bhypothes[ie]s\b", r"objectives?|goals?|aims?"),
    ("methodology", r"\bmethodology\b|\bmethods?\b|\bapproach\b|\bexperimental design\b|\bprocedure\b",
     r"methodology|methods?|approach"),
    ("idea", r"\bidea\b|\bproposal\b", r"(?:research |proposed )?idea"),
)
_OUTPUT = {"results", "benchmark", "code_changes", "conclusion"}
# Words that start a sentence as often as a section ("Data: we use ...", "Evaluation: compare ..."):
# as "Word: text" they are text; alone on their line ("Evaluation:") they still open a section.
_PROSE_LABELS = {"data", "evaluation", "approach", "method", "methods", "goal", "goals", "aim", "aims",
                 "model", "architecture", "architectures", "result", "summary"}
_RUNS = re.compile(r"\b(\d{1,3}|" + "|".join(NUMBER_WORDS) + r")\s+(?:independent |separate |random |training |"
                   r"different |repeated )?(?:runs|seeds|repetitions|repeats)\b", re.I)
_REPEATED = re.compile(r"\brepeat(?:ed)?\s+(\d{1,3}|" + "|".join(NUMBER_WORDS) + r")\s+times\b", re.I)


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
    empty, binary, or has neither an Idea nor any part of an Experiment Plan."""
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
    sections, extras, order = _split_sections(text)
    report = ParsedReport(sections=order)
    _fill(report, sections, extras)
    if not (report.idea or report.objective or report.methodology or report.datasets or report.models
            or report.hyperparameters):
        found = ", ".join(order) or "no known section"
        raise IngestError(f"{source}: not an experiment report: no Idea nor Experiment Plan "
                          f"(Objective, Methodology, Datasets, Model Architecture, Hyperparameters) found ({found})")
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


def _split_sections(text: str) -> tuple[dict[str, list[str]], dict[str, list[str]], list[str]]:
    """Lines by known section key, lines by unknown section title, and the known keys in order."""
    sections: dict[str, list[str]] = {}
    extras: dict[str, list[str]] = {}
    order: list[str] = []
    current: list[str] = extras.setdefault("(before the first heading)", [])
    current_key: str | None = "(preamble)"  # None: in a section of unknown title
    current_level = 0
    for line in scan_lines(text):
        title, level, first = None, 7, ""
        if line.atx_level is not None:
            title, level = line.rest, line.atx_level
        elif line.bold_title is not None:
            title, first = line.bold_title, line.rest
        elif line.label_title is not None and not (line.rest and heading_words(line.label_title) in _PROSE_LABELS):
            title, first = line.label_title, line.rest
        key = _classify(title, line.atx_level is not None) if title is not None else None
        if key is not None and current_key in _OUTPUT and key not in _OUTPUT and level > current_level:
            key = None  # a "### Model ..." inside Results is part of the results
        if key is None and line.atx_level is not None and title is not None:
            # a sub-heading of the section it is in (of a known one, or of an unknown one)
            nested = current_key not in ("title", "plan", "(preamble)") and level > current_level
            if nested or (current_key == "code_changes" and heading_words(title).startswith("file")):
                current.append(line.text)  # a sub-heading of the section it is in
                continue
            if not sections and level == 1 and heading_words(title):
                key, first = "title", ""  # a first "# ..." heading names the report
            else:
                current = extras.setdefault(plain(title) or "(untitled)", [])
                current_key, current_level = None, level
                continue
        if key is None:
            current.append(line.text)
            continue
        if key == "title":
            first = re.sub(r"^\s*experiment(?:al)? report\s*:?\s*", "", plain(title if line.atx_level else line.text),
                           flags=re.I)
        current = sections.setdefault(key, [])
        if key not in order:
            order.append(key)
        current_key, current_level = key, level
        if first:
            current.append(first)
    return sections, extras, order


def _fill(report: ParsedReport, sections: dict[str, list[str]], extras: dict[str, list[str]]) -> None:
    def text(key: str) -> str:
        return "\n".join(sections.get(key, [])).strip()

    report.title = plain(text("title").split("\n")[0]) if "title" in sections else ""
    report.idea = text("idea")
    report.objective = text("objective")
    report.methodology = text("methodology") or text("plan")
    report.extra_sections = {k: "\n".join(v).strip() for k, v in extras.items() if "\n".join(v).strip()}
    bold_idea = re.match(r"^\s*\*\*(.{3,200}?)\*\*\s*:", report.idea)
    if bold_idea and (not report.title or plain(bold_idea.group(1)).lower().startswith(report.title.lower())):
        report.title = plain(bold_idea.group(1))  # the report's title is often cut short; the idea's is whole
    report.datasets = (named_items(text("datasets"), with_for=False)
                       or mentioned(text("datasets") + "\n" + report.plan_text(), DATASETS))
    report.models = (named_items(text("models"), with_for=True)
                     or mentioned(text("models") + "\n" + report.plan_text(), MODELS))
    report.hyperparameters = (settings(text("hyperparameters")) if "hyperparameters" in sections
                              else settings_in_prose(report.plan_text()))
    report.metrics = [plain(i.text) for root in parse_list(text("metrics")) for i in root.walk() if i.bullet]
    if not report.metrics and text("metrics"):
        report.metrics = [plain(line) for line in text("metrics").splitlines() if plain(line)]
    described = [text(k) for k in sections if k not in _OUTPUT] + list(report.extra_sections.values())
    report.runs, report.runs_evidence = _runs(report, "\n".join(described))
    for key, attribute in (("results", "results"), ("benchmark", "benchmark")):
        if key in sections:
            values, note = dict_section(text(key))
            setattr(report, attribute, values)
            if note:
                report.notes.append(f"{key.title()}: {note}")
    report.code_changes = text("code_changes")
    report.conclusion = text("conclusion")


def _runs(report: ParsedReport, text: str) -> tuple[int | None, str]:
    for setting in report.hyperparameters:
        if setting.key == "runs" and (number := re.search(r"\d{1,3}", setting.value)):
            return int(number.group(0)), f"{setting.label}: {setting.value}"
    words = plain(text)
    match = _RUNS.search(words) or _REPEATED.search(words)
    if not match:
        return None, ""
    count = match.group(1).lower()
    return (NUMBER_WORDS[count] if count in NUMBER_WORDS else int(count)), match.group(0)
