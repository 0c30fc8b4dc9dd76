"""The record of a mapping: every decision taken, where in the report it came from, and every
thing that could not be mapped.

Three outcomes, each with the report's line where known: **mapped** (a decision: the value went
into the plan), **stand-in** (mapped, but not as written: a data set run as its offline kin, a
model with no builder; a warning), and **left out** (a warning). Something the report states is
left out only at the end (:meth:`Decisions.finish`), if no part of the mapping took it: a
setting lrlab has no field for may still be the proposed rule's argument, and then it is mapped,
not reported unmapped. :meth:`Decisions.both` lists what is both mapped and left out (nothing,
by construction; the tests check it on every report they read).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Outcome = Literal["mapped", "standin", "unmapped"]


@dataclass(frozen=True)
class Evidence:
    """Where a value comes from: the report's line (1-based; None when it is not one line) and
    the phrase there, as written."""

    line: int | None
    phrase: str

    def where(self) -> str:
        return f"line {self.line}" if self.line is not None else "the report"


@dataclass(frozen=True)
class Entry:
    outcome: Outcome
    text: str
    evidence: Evidence | None


def at(text: str, evidence: Evidence | None) -> str:
    """``text`` prefixed with its line ("line 12: ..."), the form of every note and warning."""
    return f"line {evidence.line}: {text}" if evidence is not None and evidence.line is not None else text


@dataclass
class Decisions:
    """Decisions go into the plan as comments and into ``[source] notes``; warnings too, and are
    also shown to the user as one message (:meth:`warning`)."""

    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    _pending: dict[Evidence, str] = field(default_factory=dict)
    _taken: set[Evidence] = field(default_factory=set)

    def decide(self, text: str, evidence: Evidence | None = None) -> str:
        """Record a decision; returns it (with its line), for the comment beside the value it chose."""
        text = at(text, evidence)
        if text not in self.notes:
            self.notes.append(text)
            self.entries.append(Entry("mapped", text, evidence))
        if evidence is not None:
            self._taken.add(evidence)
        return text

    def warn(self, text: str, evidence: Evidence | None = None) -> str:
        """Record something carried only as a stand-in, or not as written; returns it, for the
        comment where it went. It counts as mapped for :meth:`leave_out`."""
        text = at(text, evidence)
        if text not in self.warnings:
            self.warnings.append(text)
            self.entries.append(Entry("standin", text, evidence))
        if evidence is not None:
            self._taken.add(evidence)
        return "warning: " + text

    def leave_out(self, text: str, evidence: Evidence | None = None, *, replace: bool = False) -> None:
        """Something the report states that the plan does not carry. With ``evidence`` it is held
        until :meth:`finish`, and dropped if some part of the mapping takes that evidence;
        ``replace`` puts this message in place of one held for the same evidence."""
        if evidence is None:
            self._left_out(text, None)
        elif replace or evidence not in self._pending:
            self._pending[evidence] = text

    def taken(self, evidence: Evidence) -> bool:
        return evidence in self._taken

    def finish(self) -> None:
        """Report what nothing took."""
        for evidence, text in self._pending.items():
            if evidence not in self._taken:
                self._left_out(text, evidence)
        self._pending.clear()

    def _left_out(self, text: str, evidence: Evidence | None) -> None:
        text = at(text, evidence)
        if text not in self.warnings:
            self.warnings.append(text)
            self.entries.append(Entry("unmapped", text, evidence))

    def both(self) -> list[Evidence]:
        """Evidence both mapped (or stood in for) and reported unmapped."""
        mapped = {e.evidence for e in self.entries if e.outcome != "unmapped" and e.evidence is not None}
        return sorted({e.evidence for e in self.entries if e.outcome == "unmapped" and e.evidence in mapped},
                      key=lambda e: (e.line or 0, e.phrase))

    def warning(self, source: str = "the report") -> str:
        """All warnings as one message, or "" when everything was mapped.

        Example:
            >>> d = Decisions()
            >>> d.warn("BERT: no offline builder", Evidence(12, "BERT"))
            'warning: line 12: BERT: no offline builder'
            >>> print(d.warning("r.txt"))
            warning: 1 thing in r.txt was not mapped onto the plan as written:
              - line 12: BERT: no offline builder
        """
        if not self.warnings:
            return ""
        count = len(self.warnings)
        lines = [f"warning: {count} thing{'s' if count > 1 else ''} in {source} "
                 f"{'were' if count > 1 else 'was'} not mapped onto the plan as written:"]
        lines.extend(f"  - {w}" for w in self.warnings)
        return "\n".join(lines)
