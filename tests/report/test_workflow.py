"""run_and_report on a plan whose trials partly diverge: the study runs, the report still renders
and lists what is missing; and the ``lrlab report`` command."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from lrlab.cli import main
from lrlab.workflow import Outcome, run_and_report


@pytest.fixture(scope="module")
def diverged(diverging_plan: Path, tmp_path_factory) -> tuple[Outcome, str]:
    stream = io.StringIO()
    outcome = run_and_report(diverging_plan, tmp_path_factory.mktemp("div") / "study", workers=2, stream=stream)
    return outcome, stream.getvalue()


def test_run_and_report_writes_the_report_and_says_where(diverged: tuple[Outcome, str]):
    outcome, said = diverged
    assert not outcome.interrupted
    assert outcome.study.counts == {"completed": 4, "diverged": 2}
    md, html = outcome.study.out_dir / "report.md", outcome.study.out_dir / "report.html"
    assert outcome.report[:2] == [md, html] and md.is_file() and html.is_file()
    assert f"report: {md}" in said and f"report: {html}" in said


def test_diverged_trials_are_listed_not_dropped(diverged: tuple[Outcome, str]):
    outcome, _ = diverged
    text = (outcome.study.out_dir / "report.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", text, flags=re.M)
    assert headings[-1] == "Missing Trials" and headings[-2] == "Conclusion"
    missing = text[text.index("## Missing Trials"):]
    rows = [r for r in missing.splitlines() if r.startswith("| `")]
    assert len(rows) == 2
    assert all("| wine | onecycle |" in r and "| diverged | training loss is nan" in r for r in rows)
    assert "**onecycle** on wine (0 of 2 trials completed):" in text
    assert "| onecycle | 0/2 | 2 / 0 | never | never | never, never |" in text
    assert "not tested (n=0)" in text  # no paired seed: no test, and the table says so
    assert "2 planned trial(s) did not complete." in text


def test_cli_report_prints_the_paths(tiny_study: Path, capsys):
    assert main(["report", str(tiny_study)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[:3] == [str(tiny_study / n) for n in ("report.md", "report.html", "report.json")]
    assert all(Path(p).is_file() for p in printed)


def test_cli_report_on_a_folder_that_is_no_study(tmp_path: Path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a study folder" in err
    assert main(["report", str(tmp_path / "nowhere")]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_a_study_that_has_not_run_yet_still_renders(tmp_path: Path):
    import json

    from lrlab.report import write_report
    from lrlab.study.plan import parse_plan
    from lrlab.study.store import STORE_NAME, Store

    from .conftest import TINY

    plan = parse_plan(TINY)
    store = Store(tmp_path / STORE_NAME)
    store.bind_plan(plan.hash, json.dumps(plan.model_dump(mode="json"), sort_keys=True), TINY)
    store.register(plan.trials(), {s.key: s.role for s in plan.schedules})
    store.close()
    text = write_report(tmp_path)[0].read_text(encoding="utf-8")
    assert re.findall(r"^## (.+)$", text, flags=re.M)[-1] == "Missing Trials"
    assert text.count("| pending | - |") == 18
    assert "No trial of wine recorded an epoch: nothing to draw." in text
    assert "**no single change** for every task is proposed" in text
