"""The store: one row per planned trial, ended once, records written whole, plan bound by hash."""

from __future__ import annotations

import math
import sqlite3

import pytest

from lrlab.errors import EnvironmentFailure
from lrlab.study.store import STORE_NAME, PlanChangedError, Store, StoreError
from lrlab.train.spec import TrialResult, TrialSpec


def spec(seed: int = 0, schedule: str = "constant") -> TrialSpec:
    return TrialSpec(task="wine", model="mlp", metrics=("loss", "accuracy"), schedule=schedule,
                     schedule_label=schedule, seed=seed)


def result(s: TrialSpec, status: str = "completed", n_steps: int = 3) -> TrialResult:
    return TrialResult(
        trial_id=s.trial_id, spec=s, status=status,
        steps=[{"step": i, "epoch": 0, "lr": [0.1, 0.01], "loss": 1.0 / (i + 1), "seconds": 0.01,
                "signals": {"entropy": 0.5, "bad": math.nan}} for i in range(n_steps)],
        epochs=[{"epoch": 0, "step": n_steps, "elapsed": 0.1, "lr": [0.1, 0.01],
                 "train": {"loss": 0.5}, "val": {"loss": 0.6, "accuracy": 0.8}}],
        adjustments=[{"step": 1, "old_lr": [0.1, 0.01], "new_lr": [0.09, 0.009], "rule": "r", "signals": {}}],
        test={"accuracy": 0.75}, summary={"reached_target": False, "epochs_to_target": None})


def test_register_write_and_read_back(tmp_path):
    store = Store(tmp_path / STORE_NAME)
    specs = [spec(0), spec(1)]
    store.register(specs, {"constant": "baseline"})
    store.register(specs, {"constant": "baseline"})  # idempotent
    assert store.counts() == {"pending": 2}
    store.mark_running(specs[0].trial_id, "cpu")
    store.write_result(result(specs[0]))
    assert store.counts() == {"completed": 1, "pending": 1}
    trial = next(t for t in store.trials() if t["trial_id"] == specs[0].trial_id)
    assert trial["test"] == {"accuracy": 0.75} and trial["role"] == "baseline" and trial["device"] == "cpu"
    assert TrialSpec.from_json(__import__("json").dumps(trial["spec"])) == specs[0]
    steps = store.steps(specs[0].trial_id)
    assert [s["step"] for s in steps] == [0, 1, 2] and steps[0]["lr"] == 0.1 and steps[0]["lrs"] == [0.1, 0.01]
    assert steps[0]["signals"] == {"entropy": 0.5, "bad": None}  # NaN stored as null, not as broken JSON
    assert store.epochs(specs[0].trial_id)[0]["val"]["accuracy"] == 0.8
    assert store.adjustments(specs[0].trial_id)[0]["new_lr"] == 0.09
    store.close()


def test_rewriting_a_trial_replaces_its_records_not_duplicates(tmp_path):
    store = Store(tmp_path / STORE_NAME)
    s = spec()
    store.register([s], {"constant": "baseline"})
    store.write_result(result(s, n_steps=5))
    store.write_result(result(s, n_steps=3))
    assert len(store.steps(s.trial_id)) == 3
    store.close()


def test_finished_trial_is_not_marked_running_again(tmp_path):
    store = Store(tmp_path / STORE_NAME)
    s = spec()
    store.register([s], {"constant": "baseline"})
    store.write_result(result(s, status="diverged"))
    store.mark_running(s.trial_id, "cpu")
    assert store.status(s.trial_id) == "diverged"
    store.close()


def test_plan_binding(tmp_path):
    store = Store(tmp_path / STORE_NAME)
    store.bind_plan("aaa", "{}", "")
    store.bind_plan("aaa", "{}", "")  # same plan: fine
    with pytest.raises(PlanChangedError, match="a changed plan is a new study"):
        store.bind_plan("bbb", "{}", "")
    store.close()


def test_wal_mode_and_missing_folder(tmp_path):
    store = Store(tmp_path / STORE_NAME)
    store.close()
    assert sqlite3.connect(tmp_path / STORE_NAME).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with pytest.raises(FileNotFoundError, match="not a study folder"):
        Store.open_existing(tmp_path / "nothing")


# -- stores that cannot be read ------------------------------------------------------------------


def test_a_new_store_is_whole_from_the_start(tmp_path):
    Store(tmp_path / STORE_NAME).close()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(("-wal", "-shm"))) == [STORE_NAME]
    columns = {row[1] for row in sqlite3.connect(tmp_path / STORE_NAME).execute("PRAGMA table_info(trials)")}
    assert {"track", "phase", "config", "rung"} <= columns  # made with every column, then renamed into place


@pytest.mark.parametrize("content, expected", [
    (b"", "empty (0 bytes), not a study store"),
    (b"PK\x03\x04 a zip, not a database" * 10, "not an SQLite database (it begins b'PK\\x03\\x04 a z')"),
])
def test_an_empty_or_foreign_file_is_refused_for_reading_and_writing(tmp_path, content, expected):
    (tmp_path / STORE_NAME).write_bytes(content)
    for open_it in (lambda: Store.open_existing(tmp_path), lambda: Store(tmp_path / STORE_NAME)):
        with pytest.raises(StoreError) as error:
            open_it()
        assert str(error.value).startswith(f"{tmp_path / STORE_NAME}: {expected}")
    assert (tmp_path / STORE_NAME).read_bytes() == content  # never "repaired" into an empty study


def test_a_truncated_store_is_refused(tmp_path):
    store = Store(tmp_path / STORE_NAME)
    store.register([spec(seed) for seed in range(40)], {"constant": "baseline"})
    for seed in range(40):
        store.write_result(result(spec(seed), n_steps=50))
    store.close()
    data = (tmp_path / STORE_NAME).read_bytes()
    (tmp_path / STORE_NAME).write_bytes(data[:len(data) // 2])
    with pytest.raises(StoreError, match=rf"{STORE_NAME}: truncated \({len(data) // 2} bytes, its header says {len(data)}\)"):
        Store.open_existing(tmp_path)


def test_a_row_of_malformed_json_names_its_table_and_trial(tmp_path):
    store = Store(tmp_path / STORE_NAME)
    store.bind_plan("aaa", "{}", "")
    s = spec()
    store.register([s], {"constant": "baseline"})
    store.write_result(result(s))
    store.close()
    with sqlite3.connect(tmp_path / STORE_NAME) as db:
        db.execute("UPDATE epochs SET val = '{\"loss\": 0.6,' WHERE trial_id = ?", (s.trial_id,))
    db.close()
    store = Store.open_existing(tmp_path)
    assert store.trials()[0]["summary"]["reached_target"] is False  # the rest reads as before
    with pytest.raises(StoreError, match=rf"table epochs, trial {s.trial_id}, epoch 0, column val: malformed JSON"):
        store.epochs(s.trial_id)
    store.close()
    with sqlite3.connect(tmp_path / STORE_NAME) as db:
        db.execute("UPDATE meta SET value = 'not json' WHERE key = 'plan'")
    db.close()
    with pytest.raises(StoreError, match="table meta, key plan: malformed JSON"):
        Store.open_existing(tmp_path)


def test_a_full_disk_under_the_store_is_the_environment_not_a_damaged_store(tmp_path):
    store = Store(tmp_path / STORE_NAME)
    error = store._failure(sqlite3.OperationalError("database or disk is full"), "writing it")
    damaged = store._failure(sqlite3.DatabaseError("database disk image is malformed"), "reading it")
    store.close()
    assert isinstance(error, EnvironmentFailure) and error.exit_code == 75 and "database or disk is full" in str(error)
    assert isinstance(damaged, StoreError) and not isinstance(damaged, EnvironmentFailure)


def test_reading_opens_read_only_and_writes_nothing(tmp_path):
    store = Store(tmp_path / STORE_NAME)
    store.bind_plan("aaa", "{}", "")
    store.close()
    reader = Store.open_existing(tmp_path)
    with pytest.raises(EnvironmentFailure, match="attempt to write a readonly database"):
        reader.register([spec()], {"constant": "baseline"})  # a reader that tried to write would fail, not write
    assert reader.meta("plan_hash") == "aaa"
    reader.close()
