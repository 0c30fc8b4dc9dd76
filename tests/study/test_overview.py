"""status, ls and export read a real study's store."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from lrlab.study.overview import export_study, list_studies, study_status
from lrlab.study.plan import parse_plan
from lrlab.study.runner import run_study
from lrlab.study.store import Store

PLAN = """
name = "mini"
seeds = [0, 1]
[defaults]
epochs = 2
lr = 0.01
[[tasks]]
name = "wine"
model = "mlp"
[[schedules]]
name = "gradvar"
role = "proposed"
[[schedules]]
name = "constant"
role = "baseline"
[[schedules]]
name = "cosine"
role = "baseline"
"""


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("runs")
    plan = parse_plan(PLAN)
    out = root / "mini"
    run_study(plan, out, workers=2)
    return out


def test_status_counts_and_names_what_did_not_complete(study: Path):
    text = study_status(study)
    assert "study mini" in text and "6 trials: 6 completed" in text


def test_ls_lists_the_study(study: Path):
    assert f"{study}  plan " in list_studies(study.parent)
    assert list_studies(study.parent / "nothing").startswith("no studies under")


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_writes_every_table_with_every_row(study: Path, tmp_path: Path, fmt: str):
    paths = export_study(study, fmt, tmp_path)
    assert sorted(p.name for p in paths) == sorted(f"{t}.{fmt}" for t in ("trials", "epochs", "steps", "adjustments"))
    store = Store.open_existing(study)
    for path in paths:
        columns, rows = store.table(path.stem)
        if fmt == "csv":
            with path.open() as handle:
                read = list(csv.reader(handle))
            assert read[0] == columns and len(read) - 1 == len(rows)
        else:
            table = pq.read_table(path)
            assert table.column_names == columns and table.num_rows == len(rows)
    store.close()


def test_cli_status_of_a_folder_that_is_not_a_study(tmp_path: Path):
    proc = subprocess.run([sys.executable, "-m", "lrlab.cli", "status", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr.strip() == f"lrlab: error: {tmp_path}: not a study folder (no study.sqlite)"


def test_diverged_trial_is_reported_with_its_error(tmp_path: Path):
    plan = parse_plan("""
name = "boom"
seeds = [0]
[defaults]
optimizer = "sgd"
lr = 1000.0
epochs = 2
[[tasks]]
name = "digits"
model = "mlp"
[[schedules]]
name = "gradvar"
role = "proposed"
[[schedules]]
name = "constant"
role = "baseline"
""")
    outcome = run_study(plan, tmp_path / "boom", workers=1)
    assert outcome.counts == {"diverged": 2}
    text = study_status(tmp_path / "boom")
    assert "2 diverged" in text and "diverged: digits / constant / seed 0" in text and "loss is" in text
