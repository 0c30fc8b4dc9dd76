"""The results store: one SQLite file per study (WAL mode), written only by the driver process.

Every planned trial has a row from the start (``pending``), which ends exactly once as
``completed``, ``diverged`` or ``failed``; its records are written in the same transaction, so
the store never holds half a trial. The plan is saved with its hash: a study folder belongs to
one plan, and a changed plan is a new study.

A trial that the environment stopped (a full disk, a checkpoint that would not read back) is
``retry``: not ended, so the next run runs it again. The file is created under a temporary
name and renamed into place, so a ``study.sqlite`` is never half made; one that cannot be read
(empty, not SQLite, damaged, a row of malformed JSON) raises :class:`StoreError` naming the file
and what is wrong. Readers (``status``, ``report``, ``export``) open it read-only, which works
on read-only media too.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import time
import urllib.parse
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lrlab.errors import EnvironmentFailure, LrlabError
from lrlab.files import temporary_path
from lrlab.study.lock import another_writer
from lrlab.train.spec import TrialResult, TrialSpec

FINAL = ("completed", "diverged", "failed")
RETRY = "retry"  # the environment stopped it: not ended, run again by the next run
STORE_NAME = "study.sqlite"
SQLITE_HEADER = b"SQLite format 3\x00"

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


class StoreError(LrlabError):
    """The store cannot be read: empty, not SQLite, damaged, or a row that is not valid JSON."""


class StoreIOError(EnvironmentFailure):
    """The machine would not let the store be written or read (a full disk, an I/O error, locked):
    what was stored before stays."""


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
    """Open the store of a study folder: for writing (the driver; created if missing), or
    ``readonly`` (what only reads: a read-only connection, which also works on read-only media)."""

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        if readonly or self.path.exists():
            # A writer at work may have written a new page count before the pages (a checkpoint):
            # the size is judged only where no run holds the folder (its note in the lock file).
            _check_file(self.path, size=not readonly or not another_writer(self.path.parent))
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            _create(self.path)
        uri = _read_only_uri(self.path) if readonly else str(self.path)
        try:
            self.db = sqlite3.connect(uri, uri=readonly, timeout=30.0)
        except sqlite3.Error as error:
            raise self._failure(error, "opening it") from None
        self.db.row_factory = sqlite3.Row
        try:
            self._prepare()
        except BaseException:
            self.db.close()
            raise

    def _prepare(self) -> None:
        """Set the writer up (WAL, tables, columns added since); check that it is a study store."""
        try:
            if not self.readonly:
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
                self.db.executescript(SCHEMA)
        except sqlite3.Error as error:
            raise self._failure(error, "opening it") from None
        self.tables = {row["name"] for row in self._rows("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = sorted({"meta", "trials"} - self.tables)
        if missing:
            raise StoreError(f"{self.path}: not a study store (no table {', '.join(missing)})")
        columns = {row["name"] for row in self._rows("PRAGMA table_info(trials)")}
        if not {"trial_id", "status", "spec"} <= columns:
            raise StoreError(f"{self.path}: not a study store (its table trials has columns {sorted(columns)})")
        if not self.readonly:
            for name, kind in PLACEMENT_COLUMNS.items():
                if name not in columns:  # a store from before tuning: every trial is an as-given evaluation
                    with self.transaction() as db:
                        db.execute(f"ALTER TABLE trials ADD COLUMN {name} {kind}")

    @classmethod
    def open_existing(cls, study_dir: str | Path) -> Store:
        """The store of ``study_dir``, read-only, holding a study (a plan that parses)."""
        path = Path(study_dir) / STORE_NAME
        if not path.is_file():
            raise FileNotFoundError(f"{study_dir}: not a study folder (no {STORE_NAME})")
        store = cls(path, readonly=True)
        try:
            plan = store.meta("plan")
            if plan is None:
                raise StoreError(f"{path}: holds no study yet (no plan: the run that made it stopped "
                                 "before it began; run it again)")
            store._decode(plan, "meta", "key plan")
        except StoreError:
            store.close()
            raise
        return store

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            with self.db:
                yield self.db
        except sqlite3.Error as error:
            raise self._failure(error, "writing it") from None

    def _rows(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        try:
            return self.db.execute(sql, parameters).fetchall()
        except sqlite3.Error as error:
            raise self._failure(error, "reading it") from None

    def _failure(self, error: sqlite3.Error, doing: str) -> LrlabError:
        """What a failed SQLite call means: the file is damaged (:class:`StoreError`), or the machine
        would not let it be written or read (:class:`StoreIOError`: full, I/O, locked)."""
        code = (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF
        if code in (11, 26) or type(error) is sqlite3.DatabaseError:  # SQLITE_CORRUPT, SQLITE_NOTADB
            return StoreError(f"{self.path}: damaged, cannot be read ({error})")
        return StoreIOError(f"{self.path}: {error} while {doing}; what was stored before stays, "
                               "run the same command again once that is fixed")

    def _decode(self, text: str | None, table: str, where: str) -> Any:
        """A JSON column's value; malformed JSON names the table and the row (the trial)."""
        if text is None:
            return None
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as error:
            raise StoreError(f"{self.path}: table {table}, {where}: malformed JSON ({error})") from None

    # -- the plan ---------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        rows = self._rows("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0]["value"] if rows else None

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
        if "configs" not in self.tables:  # a store from before tuning
            return []
        rows = self._rows("SELECT * FROM configs ORDER BY task, schedule, config")
        return [{**dict(r), "args": self._decode(r["args"], "configs", f"{r['task']} / {r['schedule']} "
                                                 f"config {r['config']}, column args")} for r in rows]

    def ended(self, phase: str | None = None) -> dict[str, tuple[str, dict[str, Any]]]:
        """``{trial_id: (status, summary)}`` of the trials that ended (of one ``phase``, if given)."""
        query = "SELECT trial_id, status, summary FROM trials WHERE status IN ('completed', 'diverged', 'failed')"
        rows = self._rows(query + (" AND phase = ?" if phase else ""), (phase,) if phase else ())
        return {r["trial_id"]: (r["status"], self._decode(r["summary"], "trials", f"trial {r['trial_id']}, "
                                                          "column summary") or {}) for r in rows}

    def status(self, trial_id: str) -> str | None:
        rows = self._rows("SELECT status FROM trials WHERE trial_id = ?", (trial_id,))
        return rows[0]["status"] if rows else None

    def mark_retry(self, trial_id: str, why: str) -> None:
        """The environment stopped the trial (``why``): not ended; the next run runs it again."""
        with self.transaction() as db:
            db.execute("UPDATE trials SET status = ?, error = ? WHERE trial_id = ? AND status NOT IN "
                       "('completed', 'diverged', 'failed')", (RETRY, why, trial_id))

    def failed(self) -> list[dict[str, Any]]:
        """The failed trials: id, task, schedule, seed, phase, rung and error."""
        rows = self._rows("SELECT trial_id, task, schedule, seed, phase, rung, error FROM trials "
                          "WHERE status = 'failed' ORDER BY task, schedule, seed")
        return [dict(r) for r in rows]

    def reopen(self, trial_ids: list[str], note: str) -> None:
        """Make ended trials pending again (``lrlab run --retry-failed``): their records go, and
        what they were is kept in ``meta`` under ``reopened`` (the trace stays)."""
        rows = [dict(r) for r in self._rows(
            f"SELECT trial_id, status, error, finished FROM trials WHERE trial_id IN ({', '.join('?' * len(trial_ids))})",
            tuple(trial_ids))]
        log = self._decode(self.meta("reopened"), "meta", "key reopened") or []
        log.extend({**row, "note": note, "reopened": time.time()} for row in rows)
        with self.transaction() as db:
            for table in ("steps", "epochs", "adjustments"):
                db.executemany(f"DELETE FROM {table} WHERE trial_id = ?", [(t,) for t in trial_ids])
            db.executemany("UPDATE trials SET status = 'pending', error = NULL, test = NULL, summary = NULL, "
                           "resumed_from_epoch = NULL, finished = NULL WHERE trial_id = ?", [(t,) for t in trial_ids])
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('reopened', ?)", (_json(log),))

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
        rows = self._rows("SELECT * FROM trials ORDER BY task, schedule, seed")
        defaults = {"track": "given", "phase": "evaluation", "config": None, "rung": None}
        out = []
        for row in rows:
            item = {**defaults, **dict(row)}  # a read-only store from before tuning lacks the placement
            for key in ("test", "summary", "spec"):
                item[key] = self._decode(item[key], "trials", f"trial {item['trial_id']}, column {key}")
            out.append(item)
        return out

    def counts(self) -> dict[str, int]:
        rows = self._rows("SELECT status, COUNT(*) AS n FROM trials GROUP BY status")
        return {row["status"]: row["n"] for row in rows}

    def epochs(self, trial_id: str) -> list[dict[str, Any]]:
        rows = self._rows("SELECT * FROM epochs WHERE trial_id = ? ORDER BY epoch", (trial_id,))
        return [{**dict(r), **{key: self._decode(r[key], "epochs", f"trial {trial_id}, epoch {r['epoch']}, column {key}")
                               for key in ("train", "val")}} for r in rows]

    def steps(self, trial_id: str) -> list[dict[str, Any]]:
        rows = self._rows("SELECT * FROM steps WHERE trial_id = ? ORDER BY step", (trial_id,))
        return [{**dict(r), **{key: self._decode(r[key], "steps", f"trial {trial_id}, step {r['step']}, column {key}")
                               for key in ("lrs", "signals")}} for r in rows]

    def adjustments(self, trial_id: str) -> list[dict[str, Any]]:
        rows = self._rows("SELECT * FROM adjustments WHERE trial_id = ? ORDER BY idx", (trial_id,))
        return [{**dict(r), "signals": self._decode(r["signals"], "adjustments",
                                                     f"trial {trial_id}, adjustment {r['idx']}, column signals")}
                for r in rows]

    def table(self, name: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        """A whole table as (columns, rows), for export."""
        if name not in ("meta", "trials", "steps", "epochs", "adjustments", "configs"):
            raise ValueError(f"unknown table {name!r}")
        try:
            cursor = self.db.execute(f"SELECT * FROM {name}")
            return [c[0] for c in cursor.description], [tuple(r) for r in cursor.fetchall()]
        except sqlite3.Error as error:
            raise self._failure(error, "reading it") from None

    def check_integrity(self) -> None:
        """Read every page (``PRAGMA quick_check``): a damaged store raises :class:`StoreError` before
        anything is made from it."""
        problems = [row[0] for row in self._rows("PRAGMA quick_check")]
        if problems != ["ok"]:
            raise StoreError(f"{self.path}: damaged ({problems[0]}" + (f"; {len(problems) - 1} more problems"
                                                                         if len(problems) > 1 else "") + ")")


def _check_file(path: Path, *, size: bool = True) -> None:
    """Refuse, in one line, a store file that is not one: empty, not SQLite at all, or (``size``)
    shorter than its header says."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(100)
        length = path.stat().st_size
    except FileNotFoundError:
        raise FileNotFoundError(f"{path.parent}: not a study folder (no {path.name})") from None
    except OSError as error:
        raise StoreError(f"{path}: cannot be read ({error.strerror})") from None
    if not header:
        raise StoreError(f"{path}: empty (0 bytes), not a study store; lrlab never leaves one empty "
                         "(a copy or a disk that was cut short?): restore it, or remove it to start the study again")
    if header[:len(SQLITE_HEADER)] != SQLITE_HEADER or len(header) < 100:
        raise StoreError(f"{path}: not an SQLite database (it begins {header[:8]!r}), not a study store")
    # The header says how many pages the file holds (when its "valid for" counter is current).
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    if size and header[92:96] == header[24:28] and length < page_size * pages:
        raise StoreError(f"{path}: truncated ({length} bytes, its header says {page_size * pages}), not readable "
                         "as it is: restore it from a copy")


def _create(path: Path) -> None:
    """Make an empty store under a temporary name, then rename it into place: never half a store."""
    temporary = temporary_path(path)
    try:
        db = sqlite3.connect(temporary)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)
            for name, kind in PLACEMENT_COLUMNS.items():
                db.execute(f"ALTER TABLE trials ADD COLUMN {name} {kind}")
            db.commit()
        finally:
            db.close()
        os.replace(temporary, path)
    except sqlite3.Error as error:
        raise StoreIOError(f"{path}: could not be created ({error})") from None
    finally:
        temporary.unlink(missing_ok=True)


def _read_only_uri(path: Path) -> str:
    """A read-only SQLite URI for ``path``. Where the folder cannot be written (read-only media),
    SQLite cannot make the WAL index it reads through, so the file is opened ``immutable``:
    right when no write-ahead log is left (a run that ended closes it into the file)."""
    uri = f"file:{urllib.parse.quote(str(path.resolve()))}?mode=ro"
    wal, shm = (path.with_name(path.name + suffix) for suffix in ("-wal", "-shm"))
    if os.access(path.parent, os.W_OK) or (wal.exists() and shm.exists()):
        return uri
    if wal.exists() and wal.stat().st_size > 0:
        raise StoreError(f"{path}: its write-ahead log ({wal.name}) holds records that only a writable "
                         "folder lets SQLite read; copy the study folder somewhere writable and read it there")
    return uri + "&immutable=1"
