"""lrlab research adopt: a candidate of a real tiny run (or of a hand-written run folder with a candidate in
every state) as a named preset that make_scheduler builds."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import torch

from helpers import Loop, batches, make_blobs, make_model
from lrlab.analysis import analyze
from lrlab.research.adopt import CandidateError, adopt
from lrlab.research.findings import ResearchRunError, verdict_lines
from lrlab.schedulers import CompositeLR, make_scheduler
from lrlab.schedulers.composite import describe_idea
from lrlab.schedulers.presets import PRESETS_ENV, PresetError, list_presets, load_preset

from .conftest import CANDIDATES, IDEA_ARGS, ideas_of


@pytest.fixture(autouse=True)
def presets(tmp_path, monkeypatch) -> Path:
    where = tmp_path / "presets"
    monkeypatch.setenv(PRESETS_ENV, str(where))
    return where


def test_a_confirmed_idea_becomes_a_preset_with_its_held_out_verdict(tiny_run: Path, presets: Path):
    idea = ideas_of(tiny_run)[0]
    path = adopt(tiny_run, "idea-1", "fast-cosine")
    assert path == presets / "fast-cosine.toml"
    preset = load_preset("fast-cosine")
    args = {k: v for k, v in idea["args"].items() if v is not None}
    assert (preset.schedule, preset.args, preset.lr_scale) == ("composite", args, idea["lr_scale"])
    p = preset.provenance
    assert p["source"] == str(tiny_run.resolve()) and p["candidate"] == f"idea-1 (search candidate #{idea['candidate']})"
    assert p["idea"] == describe_idea(idea["args"]) and p["search_value"] == idea["value"] and p["confirmed"] is True
    assert p["verdict"] == verdict_lines(analyze(tiny_run / "confirm"), "idea-1")
    assert len(p["verdict"]) == 1 and p["verdict"][0].startswith("breast_cancer (accuracy, tuned): ")
    assert p["verdict"][0].endswith("; Holm over 1")
    assert len(p["date"]) == 10
    tomllib.loads(path.read_text(encoding="utf-8"))  # a plain TOML file a person can read


def test_the_adopted_preset_trains_as_the_composite_with_those_args(tiny_run: Path):
    idea = ideas_of(tiny_run)[0]
    adopt(tiny_run, "idea-1", "fast-cosine")
    x, y = make_blobs(n=30 * 16)
    runs = []
    for name, kwargs in (("fast-cosine", {}), ("composite", idea["args"])):
        model = make_model(seed=1)
        optimizer = torch.optim.Adam(model.parameters(), lr=load_preset("fast-cosine").lr(0.01))
        scheduler = make_scheduler(name, optimizer, total_steps=30, **kwargs)
        runs.append(Loop(model, optimizer, scheduler).run(batches(x, y, size=16)[:30]))
    assert isinstance(runs[0].scheduler, CompositeLR)
    assert runs[0].scheduler.base == idea["args"].get("base", "constant")
    assert runs[0].lrs == runs[1].lrs and runs[0].train_losses == runs[1].train_losses
    assert runs[0].optimizer.param_groups[0]["initial_lr"] == pytest.approx(0.01 * idea["lr_scale"])


@pytest.mark.parametrize("given", ["1", "#1", " #1 "])
def test_a_search_candidate_by_number_says_it_was_not_confirmed(hand_run: Path, given: str):
    path = adopt(hand_run, given)
    assert path.name == "tiny-research-candidate-1.toml"
    preset = load_preset("tiny-research-candidate-1")
    assert preset.args == CANDIDATES[1].args and preset.lr_scale == 0.5
    assert preset.provenance["confirmed"] is False and preset.provenance["candidate"] == "#1"
    assert preset.provenance["verdict"] == [
        "not confirmed on held-out tasks: candidate #1 was not among the top 1 the search sent to the confirmation; "
        "its only evidence is the search on wine"]


def test_the_number_of_a_confirmed_candidate_is_that_idea(tiny_run: Path, hand_run: Path):
    adopt(tiny_run, f"#{ideas_of(tiny_run)[0]['candidate']}")
    preset = load_preset("tiny-research-idea-1")
    assert preset.provenance["confirmed"] is True and preset.provenance["verdict"][0].startswith("breast_cancer")
    adopt(hand_run, "0", "unconfirmed-yet")  # confirmed, but its confirmation has not run
    assert load_preset("unconfirmed-yet").args == IDEA_ARGS
    assert load_preset("unconfirmed-yet").provenance["verdict"] == [
        "not confirmed on held-out tasks yet: the confirmation of idea-1 has no results"]


@pytest.mark.parametrize(("candidate", "message"), [
    ("#2", r"candidate #2 is pruned; it has no complete result to adopt \(complete: #0, #1\)$"),
    ("3", r"candidate #3 is failed: RuntimeError: the trial raised; it has no complete result"),
    ("#4", r"candidate #4 is asked; it has no complete result"),
    ("#99", r"no candidate #99 \(candidates: #0, #1, #2, #3, #4\)$"),
    ("idea-2", r"no candidate 'idea-2'; give a confirmed idea's label \(idea-1\) or a search candidate's number"),
    ("best", r"no candidate 'best'"),
])
def test_candidates_without_a_complete_result_are_refused_in_one_line(hand_run: Path, candidate: str, message: str):
    with pytest.raises(CandidateError, match=message) as caught:
        adopt(hand_run, candidate, "x")
    assert isinstance(caught.value, ValueError) and "\n" not in str(caught.value)
    assert list_presets() == []


def test_unknown_run_folders_are_refused(tmp_path: Path):
    with pytest.raises(ResearchRunError, match="no such research run folder"):
        adopt(tmp_path / "nowhere", "idea-1")
    with pytest.raises(ResearchRunError, match="not a research run folder"):
        adopt(tmp_path, "idea-1")
    assert list_presets() == []


def test_an_existing_preset_is_kept_unless_overwrite(hand_run: Path):
    adopt(hand_run, "#1", "mine")
    with pytest.raises(PresetError, match="preset 'mine' exists"):
        adopt(hand_run, "idea-1", "mine")
    assert load_preset("mine").args == CANDIDATES[1].args
    adopt(hand_run, "idea-1", "mine", overwrite=True)
    assert load_preset("mine").args == IDEA_ARGS


def test_names_that_are_schedules_or_not_folder_safe_are_refused(hand_run: Path):
    for name in ("cosine", "composite", "../escape", "a/b"):
        with pytest.raises(PresetError, match="preset name"):
            adopt(hand_run, "idea-1", name)
    assert list_presets() == []


def test_the_command_line_adopts_and_summarises(tiny_run: Path, capsys):
    from lrlab.cli import main

    assert main(["research", "adopt", str(tiny_run), "idea-1", "--name", "from-cli"]) == 0
    assert load_preset("from-cli").args == {k: v for k, v in ideas_of(tiny_run)[0]["args"].items() if v is not None}
    assert main(["research", "adopt", str(tiny_run), "#99"]) == 2
    assert "no candidate #99" in capsys.readouterr().err
    assert main(["research", "summary", str(tiny_run)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"research tiny-research ({tiny_run})\n") and "idea-1 on breast_cancer" in out


def test_the_command_line_overwrites_only_when_asked_and_lists_presets(hand_run: Path, capsys):
    from lrlab.cli import main

    assert main(["research", "adopt", str(hand_run), "#1", "--name", "mine"]) == 0
    assert main(["research", "adopt", str(hand_run), "idea-1", "--name", "mine"]) == 2
    assert "preset 'mine' exists" in capsys.readouterr().err
    assert load_preset("mine").args == CANDIDATES[1].args
    assert main(["research", "adopt", str(hand_run), "idea-1", "--name", "mine", "--overwrite"]) == 0
    assert load_preset("mine").args == IDEA_ARGS
    capsys.readouterr()
    assert main(["schedules", "--kind", "preset"]) == 0
    rows = [line.split()[:2] for line in capsys.readouterr().out.splitlines()[1:]]
    assert rows == [["mine", "preset"]]
    assert main(["schedules", "--kind", "preset", "--space"]) == 2
    assert "a preset's arguments are fixed" in capsys.readouterr().err
