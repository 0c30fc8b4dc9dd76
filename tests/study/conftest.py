"""A small real study shared by the hardening tests: its plan, one uninterrupted run with its
report (the numbers every interrupted, refused or retried run must end with), and helpers."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

#: 4 trials (wine x entropy, constant x 2 seeds), 3 epochs: a few seconds per run.
SMALL = """
name = "small"
seeds = [0, 1]

[defaults]
optimizer = "adam"
lr = 0.01
batch_size = 32
epochs = 3

[[tasks]]
name = "wine"
model = "mlp"
target = { metric = "accuracy", value = 0.9 }

[[schedules]]
name = "entropy"
role = "proposed"
args = { threshold = 0.2, interval = 2 }

[[schedules]]
name = "constant"
role = "baseline"
"""
#: The small study's trials write checkpoints of about 250 kB; its store stays under 100 kB.
CHECKPOINT_BYTES = 240_000


def lrlab(*args: str, limit_file_size: int | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``lrlab ARGS`` in a subprocess; ``limit_file_size``: no file it (or its workers) writes may
    grow past that many bytes (RLIMIT_FSIZE), as on a full disk: writes fail with EFBIG."""
    def limit() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_file_size, limit_file_size))

    return subprocess.run([sys.executable, "-m", "lrlab.cli", *args], capture_output=True, text=True,
                          timeout=timeout, preexec_fn=limit if limit_file_size is not None else None)


def run_command(plan: Path, out: Path, *extra: str) -> list[str]:
    """The ``lrlab run`` command line of the small study (always on the CPU: the trial ids are the reference's)."""
    return [sys.executable, "-m", "lrlab.cli", "run", str(plan), "--out", str(out), "--workers", "2",
            "--device", "cpu", *extra]


def copy_study(study: Path, to: Path) -> Path:
    shutil.copytree(study, to, ignore=shutil.ignore_patterns("study.lock", "*-wal", "*-shm"))
    return to


def files_of(folder: Path) -> dict[str, bytes]:
    """Every report file's bytes (report.*, plots/*), to compare before and after."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.glob("report.*"))
            + sorted(folder.glob("plots/*"))}


@pytest.fixture(scope="session")
def small_plan(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("plan") / "small.toml"
    path.write_text(SMALL, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def reference(small_plan: Path, tmp_path_factory) -> Path:
    """The small study run once, uninterrupted, with its report; read it, do not write it."""
    from lrlab.workflow import run_and_report

    out = tmp_path_factory.mktemp("reference") / "small"
    outcome = run_and_report(small_plan, out, workers=2, device="cpu", stream=io.StringIO())
    assert outcome.exit_code == 0 and outcome.study.counts == {"completed": 4}
    return out
