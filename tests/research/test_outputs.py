"""The research outputs on a real tiny run (lrlab research run): one report per confirmed idea in the
seeds' sections, the summary with every candidate and the goal, the performance profile — every
number traced to the stores; and a hand-written run folder with a candidate in every state."""

from __future__ import annotations

import math
import re
import shutil
import statistics
import tomllib
from pathlib import Path

import pytest
import torch

from lrlab.analysis import analyze
from lrlab.research.findings import ResearchRunError, read_run, verdict_cells
from lrlab.research.report import write_outputs
from lrlab.research.summary import summary_text
from lrlab.schedulers import CompositeLR, make_scheduler
from lrlab.schedulers.presets import PRESETS_ENV, list_presets
from lrlab.study.plan import Plan
from lrlab.study.store import Store

from .conftest import candidates_of, ideas_of

SECTIONS = ["Idea", "Experiment Plan", "Results", "Benchmark Results", "Code Changes", "Conclusion"]


@pytest.fixture(scope="module")
def outputs(tiny_run: Path) -> list[Path]:
    return write_outputs(tiny_run)


@pytest.fixture(scope="module")
def idea(tiny_run: Path) -> dict:
    ideas = ideas_of(tiny_run)
    assert [i["label"] for i in ideas] == ["idea-1"]
    return ideas[0]


def _evaluation(run: Path, schedule: str) -> list[dict]:
    """The deciding (tuned) track's evaluation trials of ``schedule``, straight from the store (a
    self-tuning optimizer is not tuned: its as-given trials)."""
    store = Store.open_existing(run / "confirm")
    try:
        trials = [t for t in store.trials() if t["schedule"] == schedule and t["phase"] == "evaluation"]
    finally:
        store.close()
    track = "given" if schedule in ("prodigy_cosine", "schedulefree_adamw") else "tuned"
    return [t for t in trials if t["track"] == track]


def _median_epochs(run: Path, schedule: str) -> float:
    values = [t["summary"].get("epochs_to_target") if t["summary"].get("reached_target") else None
              for t in _evaluation(run, schedule)]
    return statistics.median([math.inf if v is None else float(v) for v in values])


def _section(text: str, title: str) -> str:
    return text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def _fmt(value: float) -> str:
    from lrlab.report.formatting import num, time_or_never

    return time_or_never(value) if math.isinf(value) else num(value)


def test_write_outputs_writes_a_report_per_idea_the_profile_and_the_summary(tiny_run: Path, outputs: list[Path]):
    assert outputs == [tiny_run / "reports" / "idea-1.md", tiny_run / "reports" / "performance_profile.png",
                       tiny_run / "summary.md"]
    assert (tiny_run / "reports" / "performance_profile.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tiny_run.rglob("*.part"))


def test_the_idea_report_has_the_seed_sections_in_order(tiny_run: Path, outputs):
    text = (tiny_run / "reports" / "idea-1.md").read_text(encoding="utf-8")
    assert re.findall(r"^## (.+)$", text, flags=re.M) == SECTIONS
    assert text.startswith("# Experiment Report: idea-1 of research tiny-research\n")


def test_idea_section_is_the_design_sentence_and_the_search_score(tiny_run: Path, outputs, idea: dict):
    from lrlab.report.formatting import num
    from lrlab.schedulers.composite import describe_idea

    section = _section((tiny_run / "reports" / "idea-1.md").read_text(encoding="utf-8"), "Idea")
    assert section.strip().split("\n\n")[0] == describe_idea(idea["args"]) + "."
    row = next(c for c in candidates_of(tiny_run) if c.number == idea["candidate"])
    complete = [c for c in candidates_of(tiny_run) if c.state == "complete"]
    assert row.state == "complete" and row.value == idea["value"] == min(c.value for c in complete)
    assert f"Search value **{num(row.value)}**" in section and f"of {len(complete)} complete candidates" in section
    assert f"candidate #{row.number} of generation {row.generation}" in section
    assert f"x{num(row.lr_scale)} each task's plan rate" in section
    for rung in row.rungs:
        assert f"rung {rung['rung']} (wine: {rung['epochs']['wine']} epochs): value {num(rung['value'])}" in section


def test_experiment_plan_names_search_held_out_seeds_baselines_budget_and_k(tiny_run: Path, outputs):
    plan = _section((tiny_run / "reports" / "idea-1.md").read_text(encoding="utf-8"), "Experiment Plan")
    assert "wine (validation accuracy >= 0.9)" in plan and "seeds [0]" in plan
    assert "**Held-out tasks** (never seen by the search): breast_cancer" in plan
    assert "**Fresh seeds**: [10, 11]" in plan
    assert "tuned: constant, cosine;" in plan and "prodigy_cosine, schedulefree_adamw" in plan
    assert "**Tuning budget**: 1 configuration(s)" in plan and "**K = 1**, fixed in the plan before the search" in plan
    states = [c.state for c in candidates_of(tiny_run)]
    assert f"Considered: {len(states)} candidate(s): {states.count('complete')} complete" in plan


def test_results_are_the_stored_numbers_and_the_analysis_verdict(tiny_run: Path, outputs):
    from lrlab.report.formatting import mean_with_ci

    results = _section((tiny_run / "reports" / "idea-1.md").read_text(encoding="utf-8"), "Results")
    trials = _evaluation(tiny_run, "idea-1")
    assert len(trials) == 2 and all(t["status"] == "completed" for t in trials)
    val = statistics.fmean(t["summary"]["final_val"]["accuracy"] for t in trials)
    test = statistics.fmean(t["test"]["accuracy"] for t in trials)
    analysis = analyze(tiny_run / "confirm")
    track = analysis["tracks"]["tuned"]
    assert track["validation"]["breast_cancer"]["idea-1"]["accuracy"]["mean"] == pytest.approx(val)
    row = next(line for line in results.splitlines() if line.startswith("| **idea-1**"))
    assert row == (f"| **idea-1** | {mean_with_ci(track['validation']['breast_cancer']['idea-1']['accuracy'])} | "
                   f"{mean_with_ci(track['results']['breast_cancer']['idea-1']['eval_accuracy'])} | 2/2 |")
    assert f"{val:.4g}"[:5] in row and f"{test:.4g}"[:5] in row
    cell = analysis["verdict"]["tasks"][0]["rows"][0]["tracks"]["tuned"]
    best = analysis["verdict"]["tasks"][0]["best_baseline"]["schedule"]
    assert f"vs {best}:" in results or cell["verdict"] in ("tie", "not comparable")
    assert "(best baseline)" in results and "Holm-corrected over K x tasks = 1 comparisons" in results
    for schedule in analysis["baselines"]:  # every baseline and self-tuning optimizer is shown
        assert f"| {schedule}" in results


def test_benchmark_gives_each_seeds_epochs_to_target_against_cosine_and_self_tuning(tiny_run: Path, outputs):
    bench = _section((tiny_run / "reports" / "idea-1.md").read_text(encoding="utf-8"), "Benchmark Results")
    for schedule in ("idea-1", "cosine", "prodigy_cosine", "schedulefree_adamw"):
        trials = _evaluation(tiny_run, schedule)
        per_seed = ", ".join(_fmt(float(t["summary"]["epochs_to_target"])) if t["summary"].get("reached_target")
                             else "never" for t in sorted(trials, key=lambda t: t["seed"]))
        reached = sum(bool(t["summary"].get("reached_target")) for t in trials)
        name = f"**{schedule}**" if schedule == "idea-1" else schedule
        assert f"| {name} | {_fmt(_median_epochs(tiny_run, schedule))} | {reached}/{len(trials)} | {per_seed} |" in bench


def test_code_changes_call_builds_the_idea_and_the_plan_snippet_is_a_valid_schedule(tiny_run: Path, outputs,
                                                                                     idea: dict):
    code = _section((tiny_run / "reports" / "idea-1.md").read_text(encoding="utf-8"), "Code Changes")
    args = {k: v for k, v in idea["args"].items() if v is not None}
    call = next(line for line in code.splitlines() if line.startswith("scheduler = make_scheduler("))
    seen = {}

    def capture(name, optimizer, **kwargs):
        seen.update(name=name, **kwargs)
        return make_scheduler(name, optimizer, **kwargs)

    optimizer = torch.optim.Adam([torch.zeros(2, requires_grad=True)], lr=0.01)
    scheduler = eval(call.removeprefix("scheduler = "), {"make_scheduler": capture, "optimizer": optimizer,
                                                         "total_steps": 40})
    assert seen == {"name": "composite", "total_steps": 40, **args}  # exactly the idea's arguments
    assert isinstance(scheduler, CompositeLR) and scheduler.base == args.get("base", "constant")
    rate = float(f"{0.01 * idea['lr_scale']:.4g}")
    assert f"lr={rate!r}" in code.replace(f"lr={rate:g}", f"lr={rate!r}")
    assert "scheduler.step()" in code and ("scheduler.observe(" in code) == bool(scheduler.needs - {"grads"})
    snippet = code.split("```toml\n", 1)[1].split("```", 1)[0]
    entry = tomllib.loads(snippet)["schedules"][0]
    assert entry == {"name": "composite", "label": "idea-1", "role": "proposed", "args": args}
    plan = Plan.model_validate({"name": "adopt", "seeds": [0, 1], "tasks": [{"name": "wine"}],
                                "schedules": [entry, {"name": "cosine", "role": "baseline"}]})
    assert plan.schedules[0].args == args
    assert f"lrlab research adopt {tiny_run} idea-1 --name tiny-research-idea-1" in code


def test_conclusion_says_what_the_verdict_says(tiny_run: Path, outputs):
    text = (tiny_run / "reports" / "idea-1.md").read_text(encoding="utf-8")
    label = analyze(tiny_run / "confirm")["verdict"]["tasks"][0]["rows"][0]["tracks"]["tuned"]["label"]
    conclusion = _section(text, "Conclusion")
    assert f"the verdict on idea-1 is: {label} on breast_cancer" in conclusion
    if label != "better":
        assert "no reason to prefer it" in conclusion


def test_summary_opens_with_the_verdict_and_the_goal_on_the_first_screen(tiny_run: Path, outputs):
    text = (tiny_run / "summary.md").read_text(encoding="utf-8")
    first_screen = "\n".join(text.splitlines()[:12])
    assert re.findall(r"^## (.+)$", text, flags=re.M)[0] == "Verdict"
    assert "- final validation metric (Holm over " in first_screen
    assert re.search(r"goal (met by idea-1|not met):", first_screen)
    assert "idea-1 on breast_cancer (accuracy, tuned): " in first_screen
    assert re.search(r"^- \d+ candidate\(s\) considered: ", first_screen, flags=re.M)


def test_the_goal_check_compares_the_stored_epochs_and_test_metric(tiny_run: Path, outputs):
    goal = _section((tiny_run / "summary.md").read_text(encoding="utf-8"), "Goal")
    idea, cosine, prodigy = (_median_epochs(tiny_run, s) for s in ("idea-1", "cosine", "prodigy_cosine"))
    test_idea = statistics.fmean(t["test"]["accuracy"] for t in _evaluation(tiny_run, "idea-1"))
    test_prodigy = statistics.fmean(t["test"]["accuracy"] for t in _evaluation(tiny_run, "prodigy_cosine"))
    earlier = math.isfinite(idea) and idea <= cosine
    met = earlier and math.isfinite(idea) and idea <= prodigy and test_idea >= test_prodigy
    assert goal.strip().startswith(f"**{'Met' if met else 'Not met'}.**")
    assert f"| idea-1 | breast_cancer | {_fmt(idea)} | {_fmt(cosine)} | {'yes' if earlier else 'no'} |" in goal
    assert f"| idea-1 | breast_cancer | {_fmt(idea)} | {_fmt(prodigy)} |" in goal
    assert f"{test_idea:.4g}"[:5] in goal and f"{test_prodigy:.4g}"[:5] in goal


def _candidate_rows(run: Path) -> list[str]:
    table = _section((run / "summary.md").read_text(encoding="utf-8"), "Every candidate")
    return [line for line in table.splitlines() if re.match(r"\| \d+ \| #", line)]


def test_summary_lists_every_candidate_of_the_store_by_value(tiny_run: Path, outputs, idea: dict):
    from lrlab.report.formatting import num

    stored = candidates_of(tiny_run)
    ranked = sorted(stored, key=lambda c: (c.value is None, c.value or 0.0, c.number))
    rows = _candidate_rows(tiny_run)
    assert [r.split(" | ")[1:6] for r in rows] == [[f"#{c.number}", str(c.generation), c.state, num(c.value),
                                                     num(c.lr_scale)] for c in ranked]
    confirmed = next(r for r in rows if r.split(" | ")[1] == f"#{idea['candidate']}")
    assert "**idea-1**: breast_cancer: " in confirmed
    for row, c in zip(rows, ranked, strict=True):
        if c.state == "pruned":
            assert "pruned after rung 0 (wine: 1 epochs, value" in row
        elif c.number != idea["candidate"]:
            assert "not confirmed (not in the top K)" in row


def test_summary_lists_pruned_failed_and_unfinished_candidates_with_why(hand_run: Path):
    write_outputs(hand_run)
    rows = _candidate_rows(hand_run)
    assert [r.split(" | ")[1] for r in rows] == ["#0", "#1", "#2", "#3", "#4"]  # 0.4, 0.9, 1.5, then no value
    assert [r.split(" | ")[3] for r in rows] == ["complete", "complete", "pruned", "failed", "asked"]
    assert "**idea-1**: confirmation not run yet" in rows[0]
    assert "not confirmed (not in the top K)" in rows[1]
    assert "pruned after rung 0 (1 epochs, value 1.5)" in rows[2]
    assert "failed: RuntimeError: the trial raised" in rows[3] and "Traceback" not in rows[3]
    assert "unfinished (asked)" in rows[4]
    assert "on a linear base" in rows[2]  # every candidate's idea in a sentence
    text = (hand_run / "summary.md").read_text(encoding="utf-8")
    assert "- 5 candidate(s) considered: 2 complete, 1 pruned, 1 failed, 1 asked" in text
    assert "`chosen`: `[0]`" in text and "`seconds`: 12.5" in text  # the search's facts from its store


def test_the_profile_is_linked_and_its_times_are_the_stored_medians(tiny_run: Path, outputs):
    section = _section((tiny_run / "summary.md").read_text(encoding="utf-8"), "Performance profile")
    assert "![performance profile over the held-out tasks](reports/performance_profile.png)" in section
    for schedule in ("idea-1", "constant", "cosine", "prodigy_cosine", "schedulefree_adamw"):
        assert f"| {schedule} | {_fmt(_median_epochs(tiny_run, schedule))} |" in section


def test_search_facts_and_files_are_listed(tiny_run: Path, outputs, idea: dict):
    text = (tiny_run / "summary.md").read_text(encoding="utf-8")
    assert f"`chosen`: `[{idea['candidate']}]`" in text
    assert "[`reports/idea-1.md`](reports/idea-1.md)" in text


def test_writing_again_gives_the_same_bytes(tiny_run: Path, outputs):
    before = {p: p.read_bytes() for p in outputs}
    assert write_outputs(tiny_run) == outputs
    assert {p: p.read_bytes() for p in outputs} == before


def test_summary_text_for_the_terminal(tiny_run: Path, outputs):
    text = summary_text(tiny_run)
    lines = text.splitlines()
    assert lines[0] == f"research tiny-research ({tiny_run})"
    # the final metric first (the goal counts epochs, where ties are common), as the verdicts say it
    cell = next(c for c in verdict_cells(read_run(tiny_run).analysis, "idea-1") if c["task"] == "breast_cancer")
    assert lines[1].startswith("final validation metric (Holm over ")
    assert ("idea-1 on breast_cancer" in lines[1]) == (cell["verdict"] in ("better", "worse"))
    assert re.match(r"goal (met by idea-1|not met): ", lines[2])
    assert any(line.startswith("idea-1 on breast_cancer (accuracy, tuned): ") for line in lines)
    assert any(re.match(r"\d+ candidate\(s\) considered: \d+ complete", line) for line in lines)
    assert f"report: {tiny_run / 'summary.md'}" in lines and f"report: {tiny_run / 'reports' / 'idea-1.md'}" in lines


def test_outputs_adopt_nothing(tiny_run: Path, outputs, tmp_path, monkeypatch):
    monkeypatch.setenv(PRESETS_ENV, str(tmp_path / "presets"))
    write_outputs(tiny_run)
    summary_text(tiny_run)
    assert list_presets() == []


def test_a_run_without_confirmation_yet_gets_a_summary_of_its_candidates(hand_run: Path):
    assert write_outputs(hand_run) == [hand_run / "summary.md"]
    text = (hand_run / "summary.md").read_text(encoding="utf-8")
    assert "no held-out results yet: the confirmation has not run" in text
    assert "goal: not checked yet (no confirmation results)" in text
    assert not (hand_run / "reports").exists()
    assert "no held-out results yet" in summary_text(hand_run)


def test_folders_that_are_no_research_run_are_refused_in_one_line(tmp_path: Path, hand_run: Path):
    with pytest.raises(ResearchRunError, match=r"no such research run folder$"):
        read_run(tmp_path / "missing")
    with pytest.raises(ResearchRunError, match=r"not a research run folder \(no research.toml"):
        write_outputs(tmp_path)
    partial = tmp_path / "partial"
    partial.mkdir()
    shutil.copy(hand_run / "research.toml", partial / "research.toml")
    with pytest.raises(ResearchRunError, match="the search has not started"):
        summary_text(partial)
    (partial / "search").mkdir()
    shutil.copytree(hand_run / "search", partial / "search", dirs_exist_ok=True)
    (partial / "ideas.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ResearchRunError, match="ideas.json: not a list of confirmed ideas"):
        read_run(partial)
