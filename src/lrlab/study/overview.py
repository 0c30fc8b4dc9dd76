"""Looking at studies from the command line: status, listing, export. All of it only reads the
store (a read-only connection: it works on read-only media, and while a run writes)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from lrlab.errors import LrlabError
from lrlab.files import atomic_path, write_atomic
from lrlab.study.store import RETRY, STORE_NAME, Store

TABLES = ("trials", "epochs", "steps", "adjustments")


def study_status(study_dir: str | Path) -> str:
    """Counts by status, and every failed, diverged or to-retry trial with its error (the error's
    first line: its type and message, not where in the code it was raised)."""
    store = Store.open_existing(study_dir)
    try:
        plan = json.loads(store.meta("plan") or "{}")
        counts = store.counts()
        total = sum(counts.values())
        shown = {"completed": "completed", "diverged": "diverged", "failed": "failed", RETRY: "to retry",
                 "running": "running", "pending": "pending"}
        lines = [f"study {plan.get('name', '?')} (plan {store.meta('plan_hash')}) in {study_dir}",
                 f"{total} trials: " + ", ".join(f"{counts.get(s, 0)} {name}" for s, name in shown.items()
                                                 if s != RETRY or counts.get(s))]
        for trial in store.trials():
            if trial["status"] in ("failed", "diverged", RETRY):
                error = (trial["error"] or "").strip().splitlines()
                lines.append(f"  {shown[trial['status']]}: {trial['task']} / {trial['schedule']} / seed {trial['seed']}"
                             f" [{trial['trial_id']}]" + (f": {error[0]}" if error else ""))
        return "\n".join(lines)
    finally:
        store.close()


def list_studies(root: str | Path = "runs") -> str:
    """One line per study folder under ``root``; one whose store cannot be read says why."""
    root = Path(root)
    folders = sorted(p.parent for p in root.glob(f"*/{STORE_NAME}")) if root.is_dir() else []
    if not folders:
        return f"no studies under {root}/"
    lines = []
    for folder in folders:
        try:
            store = Store.open_existing(folder)
        except (LrlabError, OSError) as error:
            lines.append(f"{folder}  cannot be read: {error}")
            continue
        try:
            counts = store.counts()
            done = sum(counts.get(s, 0) for s in ("completed", "diverged", "failed"))
            lines.append(f"{folder}  plan {store.meta('plan_hash')}  {done}/{sum(counts.values())} trials ended")
        except LrlabError as error:
            lines.append(f"{folder}  cannot be read: {error}")
        finally:
            store.close()
    return "\n".join(lines)


def export_study(study_dir: str | Path, fmt: str = "csv", out_dir: str | Path | None = None) -> list[Path]:
    """Write each table of the store to ``<study>/export/<table>.<fmt>`` (each file whole or not at
    all); ``tensorboard``: one event folder per evaluation trial that ended,
    ``<out>/<task>/<schedule>/<track>/seed<seed>`` (default out: ``<study>/tensorboard``), for
    ``tensorboard --logdir``. Returns the paths."""
    if fmt not in ("csv", "parquet", "tensorboard"):
        raise ValueError(f"--format must be csv, parquet or tensorboard, got {fmt!r}")
    if fmt == "tensorboard":
        return _export_tensorboard(Path(study_dir), Path(out_dir) if out_dir is not None else None)
    store = Store.open_existing(study_dir)
    target = Path(out_dir) if out_dir is not None else Path(study_dir) / "export"
    written = []
    try:
        for name in TABLES:
            columns, rows = store.table(name)
            path = target / f"{name}.{fmt}"
            if fmt == "csv":
                text = io.StringIO(newline="")
                writer = csv.writer(text)
                writer.writerow(columns)
                writer.writerows(rows)
                write_atomic(path, text.getvalue().encode("utf-8"))
            else:
                try:
                    import pyarrow as pa
                    import pyarrow.parquet as pq
                except ImportError as error:
                    raise ValueError("--format parquet needs pyarrow: pip install pyarrow") from error
                table = pa.table({c: [r[i] for r in rows] for i, c in enumerate(columns)})
                with atomic_path(path) as temporary:
                    pq.write_table(table, temporary)
            written.append(path)
    finally:
        store.close()
    return written


def _export_tensorboard(study_dir: Path, out_dir: Path | None) -> list[Path]:
    """TensorBoard event files of every ended evaluation trial, from its stored records."""
    from lrlab.study.tensorboard import write_events
    from lrlab.train.spec import TrialResult, TrialSpec

    target = out_dir if out_dir is not None else study_dir / "tensorboard"
    store = Store.open_existing(study_dir)
    written = []
    try:
        for trial in store.trials():
            if trial["phase"] != "evaluation" or trial["status"] not in ("completed", "diverged"):
                continue
            tid = trial["trial_id"]
            steps = [{"step": s["step"], "lr": s["lrs"], "loss": s["loss"], "signals": s["signals"]}
                     for s in store.steps(tid)]
            epochs = [{"epoch": e["epoch"], "train": e["train"], "val": e["val"]} for e in store.epochs(tid)]
            result = TrialResult(tid, TrialSpec.from_json(json.dumps(trial["spec"])), trial["status"],
                                 steps=steps, epochs=epochs)
            folder = target / trial["task"] / trial["schedule"] / trial["track"] / f"seed{trial['seed']}"
            if write_events(result, folder):
                written.append(folder)
    finally:
        store.close()
    return written
