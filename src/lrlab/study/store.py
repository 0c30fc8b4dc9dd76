"""The results store: one SQLite file per study (WAL mode), written only by the driver process.

Every planned trial has a row from the start (``pending``), which ends exactly once as
``completed``, ``diverged`` or ``failed``; its records are written in the same transaction, so
the store never holds half a trial. The plan is saved with its hash: a study folder belongs to
one plan, and a changed plan is a new study.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lrlab.train.spec import TrialResult, TrialSpec

FINAL = ("completed", "diverged", "failed")
STORE_NAME = "study.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS trials (
    trial_id TEXT PRIMARY KEY, task TEXT NOT NULL, schedule TEXT NOT NULL, role TEXT NOT NULL,
    seed INTEGER NOT NULL, spec TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending',
    error TEXT, device TEXT, resumed_from_epoch INTEGER, test TEXT, summary TEXT,
    started REAL, finished REAL
);
CREATE TABLE IF NOT EXISTS steps (
    trial_id TEXT NOT NULL, step INTEGER NOT NULL, epoch INTEGER NOT NULL, lr REAL, lrs TEXT,
    loss REAL, seconds REAL, signals TEXT, PRIMARY KEY (trial_id, step)
);
CREATE TABLE IF NOT EXISTS epochs (
    trial_id TEXT NOT NULL, epoch INTEGER NOT NULL, step INTEGER NOT NULL, elapsed REAL, lr REAL,
    train TEXT, val TEXT, PRIMARY KEY (trial_id, epoch)
);
CREATE TABLE IF NOT EXISTS adjustments (
    trial_id TEXT NOT NULL, idx INTEGER NOT NULL, step INTEGER NOT NULL, old_lr REAL, new_lr REAL,
    rule TEXT, signals TEXT, PRIMARY KEY (trial_id, idx)
);
CREATE TABLE IF NOT EXISTS configs (
    task TEXT NOT NULL, schedule TEXT NOT NULL, config INTEGER NOT NULL, lr REAL, args TEXT NOT NULL,
    PRIMARY KEY (task, schedule, config)
);
"""
#: Where a trial sits in the comparison protocol (columns added to stores written before it).
PLACEMENT_COLUMNS = {"track": "TEXT NOT NULL DEFAULT 'given'", "phase": "TEXT NOT NULL DEFAULT 'evaluation'",
                     "config": "INTEGER", "rung": "INTEGER"}


class PlanChangedError(ValueError):
    """The study folder holds a study of another plan."""


def _json(value: Any) -> str:
    # NaN/inf are not JSON; store them as null rather than produce unreadable text.
    def clean(v: Any) -> Any:
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [clean(x) for x in v]
        return v

    return json.dumps(clean(value), sort_keys=True)


def _first(lrs: Any) -> float | None:
    return float(lrs[0]) if isinstance(lrs, list | tuple) and lrs else (float(lrs) if lrs is not None else None)


class Store:
    """Open (or create) the store of a study folder."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=30.0)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        columns = {row["name"] for row in self.db.execute("PRAGMA table_info(trials)")}
        for name, kind in PLACEMENT_COLUMNS.items():
            if name not in columns:  # a store from before tuning: every trial is an as-given evaluation
                with self.db:
                    self.db.execute(f"ALTER TABLE trials ADD COLUMN {name} {kind}")

    @classmethod
    def open_existing(cls, study_dir: str | Path) -> Store:
        path = Path(study_dir) / STORE_NAME
        if not path.is_file():
            raise FileNotFoundError(f"{study_dir}: not a study folder (no {STORE_NAME})")
        return cls(path)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.db:
            yield self.db

    # -- the plan ---------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row["value"]

    def check_plan(self, plan_hash: str) -> bool:
        """Whether a plan is bound already; raises if it is another plan than ``plan_hash``."""
        existing = self.meta("plan_hash")
        if existing is not None and existing != plan_hash:
            raise PlanChangedError(
                f"{self.path.parent}: this folder holds a study of another plan (hash {existing}, "
                f"now {plan_hash}); a changed plan is a new study: pass another --out")
        return existing is not None

    def bind_plan(self, plan_hash: str, plan_json: str, plan_toml: str) -> None:
        """Record the plan, or check that the folder's study is of this very plan."""
        if not self.check_plan(plan_hash):
            with self.transaction() as db:
                db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)",
                               [("plan_hash", plan_hash), ("plan", plan_json), ("plan_toml", plan_toml)])

    # -- trials -----------------------------------------------------------------------------
    def register(self, specs: Iterable[TrialSpec], roles: dict[str, str],
                 places: dict[str, dict[str, Any]] | None = None) -> None:
        """Add planned trials as ``pending`` (those already here keep their rows). ``places`` gives a
        trial's ``track``, ``phase``, ``config`` and ``rung`` (default: an as-given evaluation)."""
        places = places or {}
        rows = []
        for s in specs:
            place = {"track": "given", "phase": "evaluation", "config": None, "rung": None,
                     **places.get(s.trial_id, {})}
            rows.append((s.trial_id, s.task_label or s.task, s.schedule_label, roles[s.schedule_label], s.seed,
                         s.to_json(), place["track"], place["phase"], place["config"], place["rung"]))
        with self.transaction() as db:
            db.executemany("INSERT OR IGNORE INTO trials (trial_id, task, schedule, role, seed, spec, track, phase, "
                           "config, rung) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def save_configs(self, configs: dict[tuple[str, str], list[Any]]) -> None:
        """The drawn tuning configurations, ``{(task, schedule): [Config(index, lr, args), ...]}``."""
        rows = [(task, schedule, c.index, c.lr, _json(c.args))
                for (task, schedule), items in configs.items() for c in items]
        with self.transaction() as db:
            db.executemany("INSERT OR IGNORE INTO configs VALUES (?, ?, ?, ?, ?)", rows)

    def configs(self) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT * FROM configs ORDER BY task, schedule, config").fetchall()
        return [{**dict(r), "args": json.loads(r["args"])} for r in rows]

    def ended(self, phase: str | None = None) -> dict[str, tuple[str, dict[str, Any]]]:
        """``{trial_id: (status, summary)}`` of the trials that ended (of one ``phase``, if given)."""
        query = "SELECT trial_id, status, summary FROM trials WHERE status IN ('completed', 'diverged', 'failed')"
        rows = self.db.execute(query + (" AND phase = ?" if phase else ""), (phase,) if phase else ()).fetchall()
        return {r["trial_id"]: (r["status"], json.loads(r["summary"]) if r["summary"] else {}) for r in rows}

    def status(self, trial_id: str) -> str | None:
        row = self.db.execute("SELECT status FROM trials WHERE trial_id = ?", (trial_id,)).fetchone()
        return None if row is None else row["status"]

    def mark_running(self, trial_id: str, device: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE trials SET status = 'running', device = ?, started = COALESCE(started, ?) "
                       "WHERE trial_id = ? AND status NOT IN ('completed', 'diverged', 'failed')",
                       (device, time.time(), trial_id))

    def write_result(self, result: TrialResult) -> None:
        """Write a finished trial and all its records in one transaction (replacing any earlier)."""
        tid = result.trial_id
        with self.transaction() as db:
            for table in ("steps", "epochs", "adjustments"):
                db.execute(f"DELETE FROM {table} WHERE trial_id = ?", (tid,))
            db.executemany(
                "INSERT INTO steps VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(tid, r["step"], r["epoch"], _first(r.get("lr")), _json(r.get("lr")), r.get("loss"),
                  r.get("seconds"), _json(r.get("signals", {}))) for r in result.steps])
            db.executemany(
                "INSERT INTO epochs VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(tid, r["epoch"], r["step"], r.get("elapsed"), _first(r.get("lr")), _json(r.get("train", {})),
                  _json(r.get("val", {}))) for r in result.epochs])
            db.executemany(
                "INSERT INTO adjustments VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(tid, i, a["step"], _first(a.get("old_lr")), _first(a.get("new_lr")), a.get("rule"),
                  _json(a.get("signals", {}))) for i, a in enumerate(result.adjustments)])
            db.execute(
                "UPDATE trials SET status = ?, error = ?, resumed_from_epoch = ?, test = ?, summary = ?, "
                "finished = ? WHERE trial_id = ?",
                (result.status, result.error, result.resumed_from_epoch,
                 None if result.test is None else _json(result.test), _json(result.summary), time.time(), tid))

    def trials(self) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT * FROM trials ORDER BY task, schedule, seed").fetchall()
        out = []
        for row in rows:
            item = dict(row)
            for key in ("test", "summary"):
                item[key] = None if item[key] is None else json.loads(item[key])
            item["spec"] = json.loads(item["spec"])
            out.append(item)
        return out

    def counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT status, COUNT(*) AS n FROM trials GROUP BY status").fetchall()
        return {row["status"]: row["n"] for row in rows}

    def epochs(self, trial_id: str) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT * FROM epochs WHERE trial_id = ? ORDER BY epoch", (trial_id,)).fetchall()
        return [{**dict(r), "train": json.loads(r["train"]), "val": json.loads(r["val"])} for r in rows]

    def steps(self, trial_id: str) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT * FROM steps WHERE trial_id = ? ORDER BY step", (trial_id,)).fetchall()
        return [{**dict(r), "lrs": json.loads(r["lrs"]), "signals": json.loads(r["signals"])} for r in rows]

    def adjustments(self, trial_id: str) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT * FROM adjustments WHERE trial_id = ? ORDER BY idx", (trial_id,)).fetchall()
        return [{**dict(r), "signals": json.loads(r["signals"])} for r in rows]

    def table(self, name: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        """A whole table as (columns, rows), for export."""
        if name not in ("meta", "trials", "steps", "epochs", "adjustments", "configs"):
            raise ValueError(f"unknown table {name!r}")
        cursor = self.db.execute(f"SELECT * FROM {name}")
        return [c[0] for c in cursor.description], [tuple(r) for r in cursor.fetchall()]
