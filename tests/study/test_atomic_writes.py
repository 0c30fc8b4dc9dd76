"""Every artefact is written whole or not at all: a full disk (RLIMIT_FSIZE in a real subprocess,
so that the kernel refuses the writes) during ``lrlab report`` or ``lrlab export`` leaves the
previous files exactly as they were, and says so in one line."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from lrlab.cli import main
from lrlab.errors import BAD_INPUT, ENVIRONMENT
from lrlab.study.store import STORE_NAME

from .conftest import copy_study, files_of, lrlab


def test_a_full_disk_during_the_report_keeps_the_previous_report(reference: Path, tmp_path: Path):
    study = copy_study(reference, tmp_path / "study")
    before = files_of(study)
    assert max(len(data) for data in before.values()) > 100_000  # report.html embeds the plots
    # 40 kB per file: the store's readers fit (its 32 kB index), report.html and a plot or two do not.
    full = lrlab("report", str(study), limit_file_size=40_000)
    assert full.returncode == ENVIRONMENT, full.stderr
    assert full.stderr.count("\n") == 1 and "Traceback" not in full.stderr
    assert full.stderr.startswith(f"lrlab: error: file size limit exceeded (EFBIG) while writing the report into "
                                  f"{study}; the previous report, if any, is unchanged")
    assert files_of(study) == before
    assert not list(study.glob(".report.*")) and not list(study.rglob("*.part"))


def test_a_full_disk_during_an_export_keeps_the_previous_export(reference: Path, tmp_path: Path):
    study = copy_study(reference, tmp_path / "study")
    with sqlite3.connect(study / STORE_NAME) as db:  # more step records, so that steps.csv is large
        for k in range(6):
            db.execute("INSERT INTO steps SELECT trial_id, step + ?, epoch, lr, lrs, loss, seconds, signals FROM steps",
                       (1000 * 2 ** k,))  # doubles the table each time
    db.close()
    target = tmp_path / "export"
    assert lrlab("export", str(study), "--out", str(target)).returncode == 0
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    assert len(before["steps.csv"]) > 100_000
    full = lrlab("export", str(study), "--out", str(target), limit_file_size=40_000)
    assert full.returncode == ENVIRONMENT and full.stderr.count("\n") == 1, full.stderr
    assert full.stderr.startswith(f"lrlab: error: file size limit exceeded (EFBIG) while writing {target / 'steps.csv'}")
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before  # no half file, no temporary left


def test_plots_that_is_a_file_is_one_line_and_nothing_is_written(reference: Path, tmp_path: Path, capsys):
    study = copy_study(reference, tmp_path / "study")
    for png in (study / "plots").iterdir():
        png.unlink()
    (study / "plots").rmdir()
    (study / "plots").write_text("not a folder")
    before = files_of(study)
    assert main(["report", str(study)]) == BAD_INPUT
    err = capsys.readouterr().err
    assert err == (f"lrlab: error: {study / 'plots'}: is a file, not a folder; the report draws its plots there: "
                   "move it away (nothing was written)\n")
    assert files_of(study) == before and (study / "plots").read_text() == "not a folder"
