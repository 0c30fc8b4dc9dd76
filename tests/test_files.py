"""Files written whole or not at all (lrlab.files): the temporary file goes, the old file stays."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from lrlab.files import WriteError, atomic_path, is_environmental, publish, write_atomic


def test_a_write_replaces_the_file_whole_with_ordinary_permissions(tmp_path: Path):
    final = tmp_path / "report.md"
    final.write_text("old")
    ordinary = tmp_path / "ordinary"
    ordinary.write_text("")
    write_atomic(final, b"new")
    assert final.read_bytes() == b"new" and sorted(p.name for p in tmp_path.iterdir()) == ["ordinary", "report.md"]
    assert final.stat().st_mode == ordinary.stat().st_mode  # the umask's, not mkstemp's owner-only 0600


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path):
    final = tmp_path / "plan.toml"
    final.write_text("old")
    with pytest.raises(WriteError) as error, atomic_path(final) as temporary:
        temporary.write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert str(error.value) == f"disk full (ENOSPC) while writing {final}; the previous file, if any, is unchanged"
    assert error.value.errno == errno.ENOSPC and is_environmental(error.value)
    assert final.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["plan.toml"]
    with pytest.raises(ValueError), atomic_path(final) as temporary:  # not an OSError: passes through as it is
        temporary.write_text("half")
        raise ValueError("the writer's own bug")
    assert final.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["plan.toml"]


def test_publish_puts_a_staged_file_in_place(tmp_path: Path):
    staged = tmp_path / ".staging" / "a.png"
    staged.parent.mkdir()
    staged.write_bytes(b"png")
    publish(staged, tmp_path / "plots" / "a.png")
    assert (tmp_path / "plots" / "a.png").read_bytes() == b"png" and not staged.exists()
    os.rmdir(staged.parent)
    with pytest.raises(WriteError, match="while writing .*b.png"):
        publish(tmp_path / "missing", tmp_path / "b.png")
