"""Write a study's report: report.md, report.html, report.json and plots/*.png, into the study folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lrlab.analysis.study import track_view
from lrlab.report.build import build_document
from lrlab.report.document import Block, images, section_titles, to_plain
from lrlab.report.formatting import json_safe
from lrlab.report.html import render_html
from lrlab.report.markdown import render_markdown
from lrlab.report.plot_sections import draw_plots

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
    """Draw the plots and write the three report files for ``analysis`` into ``study_dir``."""
    drawn = draw_plots(track_view(analysis), study_dir)
    blocks = build_document(analysis, drawn)
    pngs = {image.path: (study_dir / image.path).read_bytes() for image in images(blocks)}
    texts = {"report.md": render_markdown(blocks), "report.html": render_html(blocks, pngs),
             "report.json": report_json(analysis, blocks)}
    written = []
    for name in REPORT_FILES:
        path = study_dir / name
        path.write_bytes(texts[name].encode("utf-8"))
        written.append(path)
    return written + [study_dir / image.path for image in images(blocks)]


def write_report(study_dir: str | Path) -> list[Path]:
    """Analyse the study in ``study_dir`` and write its report there.

    Returns the paths written: ``report.md``, ``report.html`` (self-contained: plots embedded as
    data URIs, inline CSS, nothing fetched), ``report.json`` (the analysis and the report's
    structure), then the PNGs under ``plots/``. Rendering twice from the same store gives the
    same bytes. A study with failed, diverged or unfinished trials still gets a report, which
    lists them under Missing Trials.

    Raises:
        FileNotFoundError: ``study_dir`` is not a study folder (it has no store).
    """
    from lrlab.analysis import analyze

    study_dir = Path(study_dir)
    if not study_dir.is_dir():
        raise FileNotFoundError(f"{study_dir}: no such folder")
    return render_files(analyze(study_dir), study_dir)


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
