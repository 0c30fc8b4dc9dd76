"""Named presets: saved as TOML in $LRLAB_PRESETS, built by make_scheduler by name, listed by lrlab schedules."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import torch

from helpers import Loop, batches, make_blobs, make_model
from lrlab.schedulers import CompositeLR, get_schedule, make_scheduler
from lrlab.schedulers.presets import (
    PRESETS_ENV,
    PresetError,
    list_presets,
    load_preset,
    presets_dir,
    save_preset,
)
from lrlab.schedulers.registry import describe_schedules

ARGS = {"base": "cosine", "signal": "loss_trend", "rule": "trend", "history": 2, "down": 0.5, "interval": 2,
        "min_factor": 0.05}


@pytest.fixture(autouse=True)
def folder(tmp_path, monkeypatch) -> Path:
    where = tmp_path / "presets"
    monkeypatch.setenv(PRESETS_ENV, str(where))
    return where


def _train(name: str, steps: int = 40, **kwargs) -> Loop:
    x, y = make_blobs(n=steps * 16)
    model = make_model(seed=3)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    scheduler = make_scheduler(name, optimizer, total_steps=steps, **kwargs)
    return Loop(model, optimizer, scheduler).run(batches(x, y, size=16)[:steps])


def test_save_writes_a_toml_file_in_the_env_folder_with_args_rate_and_provenance(folder: Path):
    path = save_preset("gentle", "composite", ARGS, lr_scale=1.5, idea="on a cosine base, ...",
                       source="/runs/r1", candidate="idea-1", verdict=["breast_cancer: no detectable difference"],
                       date="2026-12-02")
    assert path == folder / "gentle.toml" and presets_dir() == folder
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert data == {"schedule": "composite", "lr_scale": 1.5, "idea": "on a cosine base, ...", "source": "/runs/r1",
                    "candidate": "idea-1", "verdict": ["breast_cancer: no detectable difference"],
                    "date": "2026-12-02", "args": ARGS}
    assert "build the optimizer with lr = your_rate * lr_scale" in path.read_text(encoding="utf-8")
    preset = load_preset("gentle")
    assert (preset.schedule, preset.args, preset.lr_scale) == ("composite", ARGS, 1.5)
    assert preset.provenance["verdict"] == ["breast_cancer: no detectable difference"]
    assert preset.lr(0.01) == pytest.approx(0.015)
    assert list_presets() == ["gentle"]
    assert [p.name for p in folder.iterdir()] == ["gentle.toml"]  # no temporary file left beside it


def test_the_date_defaults_to_today_and_none_args_at_their_default_are_left_out():
    save_preset("plain", "composite", {"base": "constant", "signal2": None})
    preset = load_preset("plain")
    assert preset.args == {"base": "constant"} and preset.lr_scale is None
    assert len(preset.provenance["date"]) == 10


def test_make_scheduler_builds_the_composite_with_the_preset_args_and_trains_the_same_path():
    save_preset("gentle", "composite", ARGS, lr_scale=2.0)
    by_name, direct = _train("gentle"), _train("composite", **ARGS)
    assert isinstance(by_name.scheduler, CompositeLR)
    assert by_name.scheduler.base == "cosine" and by_name.scheduler.signal_names == direct.scheduler.signal_names
    assert by_name.lrs == direct.lrs and by_name.train_losses == direct.train_losses
    assert len({round(lr[0], 12) for lr in by_name.lrs}) > 5  # the schedule moved the rate
    # the preset does not change the optimizer's rate: lr_scale is the user's to apply
    assert by_name.optimizer.param_groups[0]["initial_lr"] == 0.05


def test_explicit_keyword_arguments_override_the_preset():
    save_preset("gentle", "composite", ARGS)
    overridden, direct = _train("gentle", down=0.9, base="linear"), _train("composite", **{**ARGS, "down": 0.9,
                                                                                              "base": "linear"})
    assert overridden.scheduler.base == "linear" and overridden.lrs == direct.lrs
    assert overridden.lrs != _train("gentle").lrs


def test_a_preset_warm_up_applies_unless_the_caller_gives_one():
    save_preset("warm", "composite", {**ARGS, "warmup_steps": 5})
    assert _train("warm").lrs == _train("composite", warmup_steps=5, **ARGS).lrs
    assert _train("warm", warmup_steps=2).lrs == _train("composite", warmup_steps=2, **ARGS).lrs


def test_get_schedule_resolves_a_preset_under_its_name():
    save_preset("gentle", "composite", ARGS, idea="the idea in words")
    info = get_schedule("gentle")
    assert info.name == "gentle" and info.kind == "adaptive" and "the idea in words" in info.summary
    assert "base" in info.arguments()
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = info.build(optimizer, total_steps=50)
    assert isinstance(scheduler, CompositeLR) and scheduler.base == "cosine"


@pytest.mark.parametrize("name", ["cosine", "composite", "bad/name", "../up", ".hidden", "", "x.toml", "a b"])
def test_bad_names_are_refused(name: str, folder: Path):
    with pytest.raises(PresetError, match="preset name"):
        save_preset(name, "composite", ARGS)
    assert not folder.exists() or not any(folder.iterdir())


def test_bad_schedules_args_and_rates_are_refused():
    with pytest.raises(PresetError, match="not a registered schedule"):
        save_preset("p", "nope", {})
    with pytest.raises(PresetError, match="not a registered schedule"):
        save_preset("p", "prodigy", {})
    with pytest.raises(PresetError, match=r"does not take \['bogus'\]"):
        save_preset("p", "composite", {"bogus": 1})
    with pytest.raises(PresetError, match="refuses these arguments.*down"):
        save_preset("p", "composite", {"down": 7.0})
    with pytest.raises(PresetError, match="lr_scale"):
        save_preset("p", "composite", ARGS, lr_scale=-1.0)
    assert list_presets() == []


def test_overwrite_is_refused_unless_asked(folder: Path):
    save_preset("gentle", "composite", ARGS, idea="first")
    with pytest.raises(PresetError, match="exists.*overwrite=True"):
        save_preset("gentle", "composite", {**ARGS, "down": 0.9}, idea="second")
    assert load_preset("gentle").provenance["idea"] == "first"
    save_preset("gentle", "composite", {**ARGS, "down": 0.9}, idea="second", overwrite=True)
    assert load_preset("gentle").args["down"] == 0.9 and load_preset("gentle").provenance["idea"] == "second"


def test_unknown_names_list_the_presets_and_broken_files_say_why(folder: Path):
    save_preset("gentle", "composite", ARGS)
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match=r"unknown schedule 'gentel'; known: \[.*'cosine'.*\]; presets in .*\['gentle'\]"):
        make_scheduler("gentel", optimizer)
    with pytest.raises(PresetError, match="no preset 'gentel'.*saved: gentle"):
        load_preset("gentel")
    (folder / "broken.toml").write_text("schedule = [", encoding="utf-8")
    (folder / "foreign.toml").write_text('schedule = "nope"\n', encoding="utf-8")
    with pytest.raises(PresetError, match="broken.toml: not a preset"):
        make_scheduler("broken", optimizer)
    with pytest.raises(ValueError, match="foreign.toml: schedule 'nope' is not a registered schedule"):
        make_scheduler("foreign", optimizer)


def test_another_folder_by_env_var(tmp_path, monkeypatch):
    save_preset("gentle", "composite", ARGS)
    monkeypatch.setenv(PRESETS_ENV, str(tmp_path / "elsewhere"))
    assert list_presets() == []
    with pytest.raises(ValueError, match="unknown schedule 'gentle'.*none"):
        get_schedule("gentle")
    monkeypatch.delenv(PRESETS_ENV)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert presets_dir() == tmp_path / "home" / ".config" / "lrlab" / "presets"


def test_lrlab_schedules_lists_presets_under_their_own_kind(folder: Path):
    save_preset("gentle", "composite", ARGS, lr_scale=1.5, idea="on a cosine base, cut when it rises")
    (folder / "broken.toml").write_text("schedule = [", encoding="utf-8")
    table = describe_schedules()
    rows = {line.split()[0]: line for line in table.splitlines()}
    assert rows["gentle"].split()[1] == "preset" and "on a cosine base, cut when it rises (rate x1.5)" in rows["gentle"]
    assert "loss" in rows["gentle"].split()[2]
    assert rows["broken"].split()[1] == "preset" and "unreadable" in rows["broken"]
    assert "gentle" not in describe_schedules(kind="adaptive")
    assert [r.split()[0] for r in describe_schedules(kind="preset").splitlines()[1:]] == ["broken", "gentle"]


def test_the_schedules_command_prints_presets(capsys):
    from lrlab.cli import main

    save_preset("gentle", "composite", ARGS, idea="on a cosine base, cut when it rises")
    assert main(["schedules"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert ["gentle", "preset", "loss", "composite:", "on", "a", "cosine", "base,", "cut", "when", "it", "rises"] in rows
