"""Every candidate of a search, in the search's store: what was asked, what became of it.

A table ``candidates`` beside the study store's own tables (:class:`~lrlab.study.store.Store`,
written only by the driver): one row per Optuna trial, by its number — the generation it was
asked in, Optuna's raw parameters (replayed on resume), the schedule's arguments and rate scale
the trials ran with, its state (``asked``, ``running``, ``complete``, ``pruned``, ``failed``),
its value per rung and in the end, its trials' ids and, for a failed one, why. Search-wide facts
(the budget used, seconds spent, when the search ended and which K went on) live in the store's
``meta``. Optuna itself keeps its trials in memory and is rebuilt from this table at each start:
one source of truth, so a killed search cannot leave two records that disagree.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lrlab.study.store import Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS candidates (
    number INTEGER PRIMARY KEY, generation INTEGER NOT NULL, params TEXT NOT NULL, args TEXT NOT NULL,
    lr_scale REAL, state TEXT NOT NULL, value REAL, rungs TEXT NOT NULL DEFAULT '[]',
    trials TEXT NOT NULL DEFAULT '[]', error TEXT, asked REAL, told REAL
);
"""
STATES = ("asked", "running", "complete", "pruned", "failed")
TOLD = ("complete", "pruned", "failed")


@dataclass
class Candidate:
    """One row of the table."""

    number: int
    generation: int
    params: dict[str, Any]
    args: dict[str, Any]
    lr_scale: float | None
    state: str = "asked"
    value: float | None = None
    rungs: list[dict[str, Any]] = field(default_factory=list)  # {"rung", "epochs", "value", "pruned"}
    trials: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def told(self) -> bool:
        return self.state in TOLD

    def as_dict(self) -> dict[str, Any]:
        return {"number": self.number, "generation": self.generation, "params": self.params, "args": self.args,
                "lr_scale": self.lr_scale, "state": self.state, "value": self.value, "rungs": self.rungs,
                "trials": self.trials, "error": self.error}


class CandidateLog:
    """The candidates of the search store ``store`` (its table made if missing; ``readonly``: only read)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        if not store.readonly:
            with store.transaction() as db:
                db.executescript(SCHEMA)

    def all(self) -> list[Candidate]:
        """Every candidate, by number."""
        if not self._exists():
            return []
        rows = self.store.db.execute("SELECT * FROM candidates ORDER BY number").fetchall()
        return [Candidate(r["number"], r["generation"], json.loads(r["params"]), json.loads(r["args"]), r["lr_scale"],
                          r["state"], r["value"], json.loads(r["rungs"]), json.loads(r["trials"]), r["error"])
                for r in rows]

    def _exists(self) -> bool:
        row = self.store.db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'candidates'").fetchone()
        return row is not None

    def save(self, *candidates: Candidate) -> None:
        """Insert or update candidates, all in one transaction (``told`` stamped when a state is
        final): a generation's asks are saved together, so a kill never leaves half of one."""
        now = time.time()
        with self.store.transaction() as db:
            db.executemany(
                "INSERT INTO candidates (number, generation, params, args, lr_scale, state, value, rungs, trials, "
                "error, asked, told) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(number) DO UPDATE SET "
                "state = excluded.state, value = excluded.value, rungs = excluded.rungs, trials = excluded.trials, "
                "error = excluded.error, told = excluded.told",
                [(c.number, c.generation, _json(c.params), _json(c.args), c.lr_scale, c.state, c.value,
                  _json(c.rungs), _json(c.trials), c.error, now, now if c.told else None) for c in candidates])

    # -- search-wide facts, in meta -----------------------------------------------------------
    def get(self, key: str, default: Any = None) -> Any:
        value = self.store.meta(f"research.{key}")
        return default if value is None else json.loads(value)

    def put(self, **values: Any) -> None:
        with self.store.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                           [(f"research.{k}", _json(v)) for k, v in values.items()])


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def by_generation(candidates: Iterable[Candidate]) -> dict[int, list[Candidate]]:
    out: dict[int, list[Candidate]] = {}
    for c in sorted(candidates, key=lambda c: c.number):
        out.setdefault(c.generation, []).append(c)
    return out
