"""The record of a mapping: every decision taken and every thing that could not be mapped."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Decisions:
    """Decisions go into the plan as comments and into ``[source] notes``; warnings too, and are
    also shown to the user as one message (:meth:`warning`)."""

    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def decide(self, text: str) -> str:
        """Record a decision; returns it, for the comment beside the value it chose."""
        if text not in self.notes:
            self.notes.append(text)
        return text

    def warn(self, text: str) -> str:
        """Record something the report says that the plan does not carry (or carries only as a
        stand-in); returns it, for the comment where it would have gone."""
        if text not in self.warnings:
            self.warnings.append(text)
        return "warning: " + text

    def warning(self, source: str = "the report") -> str:
        """All warnings as one message, or "" when everything was mapped.

        Example:
            >>> d = Decisions()
            >>> d.warn("BERT: no offline builder")
            'warning: BERT: no offline builder'
            >>> print(d.warning("r.txt"))
            warning: 1 thing in r.txt was not mapped onto the plan as written:
              - BERT: no offline builder
        """
        if not self.warnings:
            return ""
        count = len(self.warnings)
        lines = [f"warning: {count} thing{'s' if count > 1 else ''} in {source} "
                 f"{'were' if count > 1 else 'was'} not mapped onto the plan as written:"]
        lines.extend(f"  - {w}" for w in self.warnings)
        return "\n".join(lines)
