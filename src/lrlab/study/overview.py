"""Looking at studies from the command line: status, listing, export."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from lrlab.study.store import STORE_NAME, Store

TABLES = ("trials", "epochs", "steps", "adjustments")


def study_status(study_dir: str | Path) -> str:
    """Counts by status, and every failed trial with its error."""
    store = Store.open_existing(study_dir)
    try:
        plan = json.loads(store.meta("plan") or "{}")
        counts = store.counts()
        total = sum(counts.values())
        lines = [f"study {plan.get('name', '?')} (plan {store.meta('plan_hash')}) in {study_dir}",
                 f"{total} trials: " + ", ".join(f"{counts.get(s, 0)} {s}" for s in
                                                 ("completed", "diverged", "failed", "running", "pending"))]
        for trial in store.trials():
            if trial["status"] in ("failed", "diverged"):
                error = (trial["error"] or "").strip().splitlines()
                lines.append(f"  {trial['status']}: {trial['task']} / {trial['schedule']} / seed {trial['seed']}"
                             f" [{trial['trial_id']}]" + (f": {error[-1]}" if error else ""))
        return "\n".join(lines)
    finally:
        store.close()


def list_studies(root: str | Path = "runs") -> str:
    """One line per study folder under ``root``."""
    root = Path(root)
    folders = sorted(p.parent for p in root.glob(f"*/{STORE_NAME}")) if root.is_dir() else []
    if not folders:
        return f"no studies under {root}/"
    lines = []
    for folder in folders:
        store = Store(folder / STORE_NAME)
        try:
            counts = store.counts()
            done = sum(counts.get(s, 0) for s in ("completed", "diverged", "failed"))
            lines.append(f"{folder}  plan {store.meta('plan_hash')}  {done}/{sum(counts.values())} trials ended")
        finally:
            store.close()
    return "\n".join(lines)


def export_study(study_dir: str | Path, fmt: str = "csv", out_dir: str | Path | None = None) -> list[Path]:
    """Write each table of the store to ``<study>/export/<table>.<fmt>``; returns the paths."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"--format must be csv or parquet, got {fmt!r}")
    store = Store.open_existing(study_dir)
    target = Path(out_dir) if out_dir is not None else Path(study_dir) / "export"
    target.mkdir(parents=True, exist_ok=True)
    written = []
    try:
        for name in TABLES:
            columns, rows = store.table(name)
            path = target / f"{name}.{fmt}"
            if fmt == "csv":
                with path.open("w", newline="", encoding="utf-8") as handle:
                    writer = csv.writer(handle)
                    writer.writerow(columns)
                    writer.writerows(rows)
            else:
                try:
                    import pyarrow as pa
                    import pyarrow.parquet as pq
                except ImportError as error:
                    raise ValueError("--format parquet needs pyarrow: pip install pyarrow") from error
                table = pa.table({c: [r[i] for r in rows] for i, c in enumerate(columns)})
                pq.write_table(table, path)
            written.append(path)
    finally:
        store.close()
    return written
