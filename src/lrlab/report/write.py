"""Write a study's report: report.md, report.html, report.json and plots/*.png, into the study folder.

The files are made in a staging folder first and put in place by renaming, once all are whole:
a crash or a full disk while writing leaves the previous report as it was, every file of it. A
store that cannot be read (or is damaged anywhere) is refused before anything is written.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from lrlab.analysis.study import track_view
from lrlab.files import WriteError, publish, what_happened
from lrlab.report.build import build_document
from lrlab.report.document import Block, images, section_titles, to_plain
from lrlab.report.formatting import json_safe
from lrlab.report.html import render_html
from lrlab.report.markdown import render_markdown
from lrlab.report.plot_sections import PLOTS_DIR, draw_plots
from lrlab.study.lock import study_lock
from lrlab.study.store import Store

REPORT_FILES = ("report.md", "report.html", "report.json")


def report_json(analysis: dict[str, Any], blocks: list[Block]) -> str:
    """The analysis, and the report's structure (sections, plots, blocks), as strict, sorted JSON."""
    document = {
        "title": next((b["text"] for b in map(to_plain, blocks) if b["kind"] == "heading"), ""),
        "sections": section_titles(blocks),
        "plots": [image.path for image in images(blocks)],
        "blocks": [to_plain(b) for b in blocks],
        "files": list(REPORT_FILES),
        "notes": "Non-finite numbers: NaN is null, infinities are the strings 'inf' and '-inf' "
                 "(an infinite time to target means the target was never reached).",
    }
    payload = {"analysis": json_safe(analysis), "report": json_safe(document)}
    return json.dumps(payload, sort_keys=True, indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def render_files(analysis: dict[str, Any], study_dir: Path) -> list[Path]:
    """Draw the plots and write the three report files for ``analysis`` into ``study_dir``: all
    of them in a staging folder beside, then each renamed into place."""
    for stale in study_dir.glob(".report.*"):  # left by a report that was killed (we hold the lock)
        shutil.rmtree(stale, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix=".report.", dir=study_dir) as staging:
        staged = Path(staging)
        try:
            drawn = draw_plots(track_view(analysis), staged)
            blocks = build_document(analysis, drawn)
            pngs = {image.path: (staged / image.path).read_bytes() for image in images(blocks)}
            texts = {"report.md": render_markdown(blocks), "report.html": render_html(blocks, pngs),
                     "report.json": report_json(analysis, blocks)}
            for name in REPORT_FILES:
                (staged / name).write_bytes(texts[name].encode("utf-8"))
        except OSError as error:
            raise WriteError(error.errno, f"{what_happened(error)} while writing the report into {study_dir}; "
                                          "the previous report, if any, is unchanged", str(study_dir)) from None
        written = [study_dir / name for name in REPORT_FILES] + [study_dir / image.path for image in images(blocks)]
        for path in written:
            publish(staged / path.relative_to(study_dir), path)
    return written


def write_report(study_dir: str | Path, out_dir: str | Path | None = None) -> list[Path]:
    """Analyse the study in ``study_dir`` and write its report there (or into ``out_dir``: a
    study on read-only media can be reported elsewhere).

    Returns the paths written: ``report.md``, ``report.html`` (self-contained: plots embedded as
    data URIs, inline CSS, nothing fetched), ``report.json`` (the analysis and the report's
    structure), then the PNGs under ``plots/``. Rendering twice from the same store gives the
    same bytes. A study with failed, diverged or unfinished trials still gets a report, which
    lists them under Missing Trials. Holds the lock of the folder it writes.

    Raises:
        FileNotFoundError: ``study_dir`` is not a study folder (it has no store).
        StoreError: the store cannot be read, or is damaged; nothing is written.
        FolderInUse: another lrlab process (a run) writes the folder.
    """
    from lrlab.analysis import analyze

    study_dir = Path(study_dir)
    if not study_dir.is_dir():
        raise FileNotFoundError(f"{study_dir}: no such folder")
    target = Path(out_dir) if out_dir is not None else study_dir
    plots = target / PLOTS_DIR
    if plots.exists() and not plots.is_dir():
        raise WriteError(errno.ENOTDIR, f"{plots}: is a file, not a folder; the report draws its plots there: "
                                        "move it away (nothing was written)", str(plots))
    if target.is_dir() and not os.access(target, os.W_OK):
        raise WriteError(errno.EROFS, f"{target}: cannot be written (read-only); write the report elsewhere: "
                                      f"lrlab report {study_dir} --out DIR", str(target))
    with study_lock(target):
        store = Store.open_existing(study_dir)
        try:
            store.check_integrity()  # a damaged page anywhere: refuse before anything is replaced
        finally:
            store.close()
        return render_files(analyze(study_dir), target)


def verdict_lines(study_dir: str | Path) -> list[str]:
    """The report's recommendation per task, one plain line each (for the terminal after a run)."""
    data = json.loads((Path(study_dir) / "report.json").read_text(encoding="utf-8"))
    verdict = data["analysis"].get("verdict") or {}
    lines = []
    for entry in verdict.get("tasks", []):
        rec = entry.get("recommendation")
        if not rec:
            continue
        worse = [r["schedule"] for r in entry["rows"] if r["tracks"][verdict["decides"]]["verdict"] == "worse"]
        config = rec.get("config")
        tuned = f" (lr {config['lr']:g})" if config else ""
        lines.append(f"{entry['task']}: use {rec['schedule']}{tuned}; {rec['why']}"
                     + (f"; worse: {', '.join(worse)}" if worse else ""))
    return lines
