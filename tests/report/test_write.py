"""write_report on a real tiny study: every file, every section in order, numbers traced to the
store, identical bytes on a second render, and an HTML page that needs nothing outside itself."""

from __future__ import annotations

import hashlib
import json
import re
import statistics
from pathlib import Path

import pytest

from lrlab.analysis import analyze as analyze_study
from lrlab.analysis.study import track_view
from lrlab.report import write_report
from lrlab.report.formatting import json_safe, mean_with_ci, num, plus_minus, pvalue
from lrlab.report.result_sections import dict_line
from lrlab.study.store import Store

SECTIONS = ["Verdict", "Idea", "Experiment Plan", "Results", "Benchmark Results", "Statistical Analysis",
            "Convergence and Cost", "Across Tasks", "Plots", "Code Changes", "Conclusion"]
PLAN_PARTS = ["1. Objective", "2. Methodology", "3. Datasets", "4. Model Architecture",
              "5. Hyperparameters", "6. Evaluation Metrics"]


@pytest.fixture(scope="module")
def written(tiny_study: Path) -> list[Path]:
    return write_report(tiny_study)


@pytest.fixture(scope="module")
def markdown(written: list[Path]) -> str:
    return written[0].read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def analysis(tiny_study: Path) -> dict:
    return analyze(tiny_study)



def analyze(folder: Path) -> dict:
    """The analysis as the report's sections read it: the shared keys with the deciding track's."""
    return track_view(analyze_study(folder))


def section(text: str, title: str) -> str:
    """The markdown between ``## title`` and the next ``## ``."""
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def test_writes_report_files_and_plots(tiny_study: Path, written: list[Path]):
    assert [p.name for p in written[:3]] == ["report.md", "report.html", "report.json"]
    pngs = written[3:]
    assert pngs and all(p.parent == tiny_study / "plots" and p.suffix == ".png" for p in pngs)
    assert all(p.is_file() and p.stat().st_size > 1000 for p in written)
    names = {p.name for p in pngs}
    for task in ("wine", "breast_cancer"):
        for kind in ("lr", "validation", "time-to-target"):
            assert any(n.endswith(f"-{task}-{kind}.png") for n in names), (task, kind)
        assert any(f"-{task}-signals-" in n and n.endswith("gradvar.png") for n in names)
    assert not any("signals" in n and ("constant" in n or "cosine" in n) for n in names)  # no signals
    assert "00-profile.png" in names
    assert sum(p.stat().st_size for p in written) < 5_000_000


def test_sections_in_the_seeds_order(markdown: str):
    assert markdown.startswith("# Experiment Report: Tiny report study\n")
    assert re.findall(r"^## (.+)$", markdown, flags=re.M) == SECTIONS  # no Missing Trials: none missing
    plan = section(markdown, "Experiment Plan")
    assert re.findall(r"^### (.+)$", plan, flags=re.M) == PLAN_PARTS
    head = markdown.split("\n## ")[0]
    assert "18 planned trials: 18 completed, 0 diverged, 0 failed" in head
    assert "every number below comes from the trials listed in report.json" in head


def test_plan_sections_describe_the_plan(markdown: str, analysis: dict):
    from lrlab.tasks import get_task

    plan = section(markdown, "Experiment Plan")
    assert analysis["plan_hash"] in markdown
    assert get_task("wine").description in plan and get_task("breast_cancer").description in plan
    assert "wine: **mlp**" in plan and "breast_cancer: **fcnn**" in plan
    assert "| gradvar | proposed | gradvar | `window=3` |" in plan
    assert "seeds: 0, 1, 2" in plan
    assert "| wine | loss, accuracy, macro_f1 | validation accuracy >= 0.9 | **accuracy** |" in plan
    assert "validation roc_auc >= 0.99 | **roc_auc** |" in plan
    assert "Gradient variability should steer the learning rate." in section(markdown, "Idea")


def test_results_numbers_come_from_the_stored_trials(tiny_study: Path, markdown: str, analysis: dict):
    # Independently of the analysis: the mean test accuracy of gradvar on wine, from the store.
    store = Store.open_existing(tiny_study)
    try:
        accuracies = [t["test"]["accuracy"] for t in store.trials()
                      if t["task"] == "wine" and t["schedule"] == "gradvar" and t["status"] == "completed"]
    finally:
        store.close()
    assert len(accuracies) == 3
    results = section(markdown, "Results")
    entry = analysis["results"]["wine"]["gradvar"]["eval_accuracy"]
    assert entry["mean"] == pytest.approx(statistics.mean(accuracies))
    assert f"'eval_accuracy': {num(statistics.mean(accuracies))} " in results
    assert 0.0 <= entry["ci_low"] <= entry["mean"] <= entry["ci_high"] <= 1.0  # inside accuracy's range
    assert f"'eval_accuracy': {plus_minus(entry)}" in results
    loss = analysis["results"]["wine"]["gradvar"]["eval_loss"]
    assert loss["ci_low"] >= 0.0 and f"'eval_loss': {plus_minus(loss)}" in results  # a loss is never negative
    for task in analysis["tasks"]:
        line = dict_line(analysis["results"][task]["gradvar"])
        assert line.startswith("{'eval_loss': ") and line in results
        assert mean_with_ci(analysis["results"][task]["gradvar"]["eval_loss"]) in results
        assert mean_with_ci(analysis["validation"][task]["gradvar"][analysis["primary_metric"][task]]) in results
    benchmark = section(markdown, "Benchmark Results")
    for task in analysis["tasks"]:
        for baseline in ("constant", "cosine"):
            assert dict_line(analysis["results"][task][baseline]) in benchmark
        best = analysis["best_baseline"][task]
        assert f"{task}: **{best['schedule']}** (mean validation {best['metric']} {num(best['value'])} on the " \
               f"evaluation seeds)" in benchmark


def test_statistics_rows_match_the_comparisons(markdown: str, analysis: dict):
    stats = section(markdown, "Statistical Analysis")
    primary = [c for c in analysis["comparisons"] if c["family"] == "primary"]
    assert len(primary) == 2 * 2 * 1  # splits x tasks x the best baseline
    assert {(c["task"], c["baseline"]) for c in primary} == {
        (task, analysis["best_baseline"][task]["schedule"]) for task in analysis["tasks"]}
    rows = [line for line in stats.splitlines() if line.startswith("| val |") or line.startswith("| test |")]
    assert len(rows) == len(analysis["comparisons"])
    for c in primary:
        row = next(r for r in rows if r.startswith(f"| {c['split']} | {c['task']} | {c['metric']} | "
                                                   f"{c['proposed']} vs {c['baseline']}"))
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[4] == f"{c['n']}†"  # 3 seeds < low_power_n
        assert cells[7] == pvalue(c["t_pvalue"]) and cells[8] == pvalue(c["wilcoxon_pvalue"])
        assert cells[10] == pvalue(c["p_holm"])
    assert "fewer than 5 paired seeds: the test has little power" in stats
    assert "<details>" not in stats  # markdown writes the collapsed table plainly


def test_convergence_counts_never_reached_trials(markdown: str, analysis: dict):
    text = section(markdown, "Convergence and Cost")
    for task in analysis["tasks"]:
        for name, c in analysis["convergence"][task].items():
            row = next(r for r in text.splitlines() if r.startswith(f"| {name} | {c['reached']}/{c['ended']} |"))
            assert row.count("never") >= len(c["never_reached"])
    assert "vs constant" in text


def test_conclusion_is_one_paragraph_and_the_verdict_table(markdown: str, analysis: dict):
    conclusion = section(markdown, "Conclusion")
    paragraphs = [p for p in conclusion.split("\n\n")[1:] if p.strip() and not p.startswith("|")]
    assert paragraphs == [analysis["verdict"]["paragraph"]]
    table = [line for line in conclusion.splitlines() if line.startswith("|")]
    assert len(table) == 2 + len(analysis["tasks"]) * len(analysis["proposed"])  # header, rule, a row each
    verdict = section(markdown, "Verdict")
    assert all(line in verdict for line in table)  # the same table opens the report


def test_the_verdict_comes_first_and_answers_per_task(markdown: str, analysis: dict):
    verdict = section(markdown, "Verdict")
    assert markdown.index("\n## Verdict\n") < markdown.index("\n## Idea\n")
    for entry in analysis["verdict"]["tasks"]:
        use = entry["recommendation"]["schedule"]
        assert f"**{entry['task']}** ({entry['metric']}): use **{use}**" in verdict
        for row in entry["rows"]:
            cell = row["tracks"][analysis["decides"]]
            assert cell["verdict"] in ("better", "worse", "no difference", "tie", "not comparable")
    assert "What this design can detect" in verdict and "How this was decided" in verdict


def test_code_changes_follow_the_winner(markdown: str, analysis: dict):
    changes = section(markdown, "Code Changes")
    if analysis["conclusion"]["winner"] is None:
        assert "**no single change** for every task is proposed" in changes and "```" not in changes
    else:
        assert f'make_scheduler("{analysis["conclusion"]["winner"]["schedule"]}"' in changes


def test_second_render_gives_identical_bytes(tiny_study: Path, written: list[Path]):
    def digest(paths: list[Path]) -> dict[str, str]:
        return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}

    first = digest(written)
    again = write_report(tiny_study)
    assert again == written
    assert digest(again) == first


def test_html_is_self_contained(written: list[Path], markdown: str):
    page = written[1].read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    for forbidden in ("http://", "https://", 'src="/', "<script", "<link", "@import", "url(", "<iframe"):
        assert forbidden not in page, forbidden
    sources = re.findall(r'<img src="([^"]*)"', page)
    assert len(sources) == len(re.findall(r"^!\[", markdown, flags=re.M)) == len(written) - 3
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs and all(h.startswith("#") for h in hrefs)  # only the table of contents
    ids = re.findall(r' id="([^"]*)"', page)
    assert len(ids) == len(set(ids)) and {h[1:] for h in hrefs} <= set(ids)
    assert "<details>" in page  # the secondary comparisons, collapsed


def test_report_json_holds_the_analysis_and_the_structure(tiny_study: Path, written: list[Path], analysis: dict,
                                                         markdown: str):
    def refuse(name: str) -> None:
        raise ValueError(f"non-strict JSON constant {name}")

    data = json.loads(written[2].read_text(encoding="utf-8"), parse_constant=refuse)
    assert data["analysis"] == json.loads(json.dumps(json_safe(analyze_study(tiny_study))))
    report = data["report"]
    assert report["sections"] == [markdown.splitlines()[0][2:], *SECTIONS]
    assert report["plots"] == [str(p.relative_to(written[0].parent)) for p in written[3:]]
    assert report["blocks"][0] == {"kind": "heading", "level": 1, "text": report["title"]}
