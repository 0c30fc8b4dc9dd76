"""A study on read-only media: status, ls and export read it; the report goes elsewhere with --out,
and into the study folder it is refused in one line. The folder is mounted read-only for real
(a bind mount in a user namespace), so that even root cannot write it; without one, a non-root
user gets the same from file permissions."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import copy_study, files_of


def _read_only_runner(folder: Path):
    """A function running ``lrlab ARGS`` with ``folder`` read-only, or a reason why there is none."""
    if shutil.which("unshare") and shutil.which("mount"):
        probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
        if probe.returncode == 0:
            def run(*args: str) -> subprocess.CompletedProcess[str]:
                script = ('mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && '
                          'exec "$@"')
                return subprocess.run(["unshare", "-rm", "sh", "-c", script, "sh", str(folder), sys.executable,
                                       "-m", "lrlab.cli", *args], capture_output=True, text=True, timeout=300)
            return run
    if os.geteuid() != 0:
        for path in [folder, *folder.rglob("*")]:
            path.chmod(path.stat().st_mode & ~0o222)

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([sys.executable, "-m", "lrlab.cli", *args], capture_output=True, text=True,
                                  timeout=300)
        return run
    pytest.skip("no user namespaces to mount a folder read-only, and root ignores file permissions")


@pytest.mark.parametrize("leftovers", ["clean", "with the readers' -wal and -shm"])
def test_a_study_on_read_only_media_can_be_read_and_reported_elsewhere(reference: Path, tmp_path: Path,
                                                                       leftovers: str):
    study = copy_study(reference, tmp_path / "media" / "small")
    if leftovers != "clean":
        for suffix in ("-wal", "-shm"):  # what read-only connections leave beside a store
            shutil.copyfile(reference / f"study.sqlite{suffix}", study / f"study.sqlite{suffix}")
    in_place = subprocess.run([sys.executable, "-m", "lrlab.cli", "report", str(study), "--out", str(tmp_path / "rw")],
                              capture_output=True, text=True, timeout=300)
    assert in_place.returncode == 0, in_place.stderr
    before = {p: p.read_bytes() for p in study.rglob("*") if p.is_file()}
    run = _read_only_runner(tmp_path / "media")

    status = run("status", str(study))
    assert status.returncode == 0, status.stderr
    assert "4 trials: 4 completed, 0 diverged, 0 failed, 0 running, 0 pending" in status.stdout
    listing = run("ls", "--root", str(study.parent))
    assert listing.returncode == 0 and f"{study}  plan " in listing.stdout and "4/4 trials ended" in listing.stdout
    export = run("export", str(study), "--out", str(tmp_path / "export"))
    assert export.returncode == 0, export.stderr
    assert (tmp_path / "export" / "trials.csv").read_text().count("\n") == 5
    elsewhere = run("report", str(study), "--out", str(tmp_path / "elsewhere"))
    assert elsewhere.returncode == 0, elsewhere.stderr
    assert files_of(tmp_path / "elsewhere") == files_of(tmp_path / "rw")  # the same bytes as from a writable copy
    refused = run("report", str(study))
    assert refused.returncode == 75 and refused.stderr.count("\n") == 1
    assert f"{study}: cannot be written (read-only); write the report elsewhere: lrlab report {study} --out DIR" \
        in refused.stderr
    assert {p: p.read_bytes() for p in study.rglob("*") if p.is_file()} == before
