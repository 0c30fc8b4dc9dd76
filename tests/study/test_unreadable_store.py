"""A study.sqlite that cannot be read is one line in every command (status, report, run, ls,
export), naming the file and what is wrong; and a good report is never replaced from it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from lrlab.cli import main
from lrlab.errors import BAD_INPUT
from lrlab.study.store import STORE_NAME, Store

from .conftest import copy_study, files_of

SPOIL = {
    "empty": lambda data: b"",
    "garbage": lambda data: bytes(range(256)) * 40,
    "truncated": lambda data: data[:len(data) // 2],
}


def _commands(study: Path, plan: Path, tmp_path: Path) -> dict[str, list[str]]:
    return {"status": ["status", str(study)], "report": ["report", str(study)],
            "run": ["run", str(plan), "--out", str(study), "--device", "cpu"],
            "export": ["export", str(study), "--out", str(tmp_path / "export")],
            "ls": ["ls", "--root", str(study.parent)]}


@pytest.mark.parametrize("spoil", SPOIL)
def test_every_command_says_in_one_line_what_is_wrong_with_the_store(reference: Path, small_plan: Path,
                                                                     tmp_path: Path, spoil: str, capsys):
    study = copy_study(reference, tmp_path / "runs" / "small")
    store = study / STORE_NAME
    store.write_bytes(SPOIL[spoil](store.read_bytes()))
    spoiled, report = store.read_bytes(), files_of(study)
    for name, args in _commands(study, small_plan, tmp_path).items():
        code = main(args)
        out, err = capsys.readouterr()
        if name == "ls":  # a listing goes on, and says which study cannot be read
            assert code == 0 and out.startswith(f"{study}  cannot be read: {store}: "), out
            continue
        assert code == BAD_INPUT, (name, err)
        assert err.count("\n") == 1 and err.startswith(f"lrlab: error: {store}: "), (name, err)
    assert store.read_bytes() == spoiled and files_of(study) == report  # nothing replaced, nothing repaired
    assert not (tmp_path / "export").exists()


def test_a_damaged_page_anywhere_stops_the_report_before_it_replaces_the_good_one(reference: Path, tmp_path: Path,
                                                                                  capsys):
    study = copy_study(reference, tmp_path / "damaged")
    store = study / STORE_NAME
    data = bytearray(store.read_bytes())
    page = 4096
    data[len(data) - 2 * page:len(data) - page] = b"\xff" * page  # one page near the end (the step records)
    store.write_bytes(bytes(data))
    report = files_of(study)
    assert main(["report", str(study)]) == BAD_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"lrlab: error: {store}: damaged")
    assert files_of(study) == report


def test_a_row_of_malformed_json_is_named_by_status_and_report(reference: Path, tmp_path: Path, capsys):
    study = copy_study(reference, tmp_path / "json")
    store = Store.open_existing(study)
    victim = store.trials()[0]["trial_id"]
    store.close()
    with sqlite3.connect(study / STORE_NAME) as db:
        db.execute("UPDATE trials SET summary = '{\"epochs\": 3, ' WHERE trial_id = ?", (victim,))
    db.close()
    report = files_of(study)
    for command in ("status", "report"):
        assert main([command, str(study)]) == BAD_INPUT
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert f"{study / STORE_NAME}: table trials, trial {victim}, column summary: malformed JSON" in err
    assert files_of(study) == report
