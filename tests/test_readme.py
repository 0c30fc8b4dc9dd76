"""The README stays true: its library example runs, and CI runs its test command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def write_files(folder: Path) -> dict[str, Path]:
    """The README's user files (python blocks that open with ``# file: NAME.py``), written into ``folder``:
    the examples that name them (a plan's ``source``, ``lrlab.compare``) find them there."""
    written = {}
    for block in blocks("python"):
        match = re.match(r"# file: (\S+\.py)", block)
        if match:
            written[match.group(1)] = folder / match.group(1)
            written[match.group(1)].write_text(block, encoding="utf-8")
    return written


def test_library_example_runs_and_changes_the_rate(capsys):
    example = blocks("python")[0]
    namespace: dict = {}
    exec(compile(example, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    scheduler = namespace["scheduler"]
    assert scheduler.adjustments, "the example must show the scheduler at work"
    assert scheduler.get_last_lr()[0] < 0.1
    assert "entropy" in capsys.readouterr().out


@pytest.mark.parametrize("index", range(1, len(blocks("python"))))
def test_the_other_python_examples_run(index, tmp_path, monkeypatch):
    example = blocks("python")[index]
    for module in ("transformers", "lightning"):
        if f"import {module}" in example or f"from {module}" in example:
            pytest.importorskip(module)
    monkeypatch.chdir(tmp_path)  # examples may write output folders
    monkeypatch.setenv("LRLAB_PRESETS", str(tmp_path / "presets"))  # and presets, not into the home folder
    write_files(tmp_path)  # and read the README's user files
    exec(compile(example, f"README.md example {index}", "exec"), {"__name__": "readme_example"})  # noqa: S102


def test_ci_runs_the_readme_test_command():
    commands = [b.strip() for b in blocks("bash")]
    assert "python -m pytest" in commands
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^python -m pytest$", ci, flags=re.M)
    assert "pip install --quiet torch==2.13.0" in ci


def test_cli_section_lists_every_command():
    from lrlab.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    for name in commands:
        assert f"lrlab {name}" in README, name


def test_the_toml_examples_are_valid_plan_parts(tmp_path):
    import tomllib

    from lrlab.study.plan import ExecutorSettings, Hyperparameters, TaskEntry, parse_plan

    assert {"my_task.py", "my_schedule.py"} <= set(write_files(tmp_path))
    toml_blocks = blocks("toml")
    assert len(toml_blocks) >= 3
    for block in toml_blocks:
        data = tomllib.loads(block)
        if any("source" in e for e in [*data.get("tasks", []), *data.get("schedules", [])]):
            parse_plan(block, "README.md", base=tmp_path)  # the plan of your own code: it validates whole
        for entry in data.get("tasks", []):
            TaskEntry.model_validate(entry, context={"base": tmp_path})
            Hyperparameters(**entry.get("hparams", {}))
        if "executor" in data:
            ExecutorSettings(**data["executor"])
        if "defaults" in data:
            Hyperparameters(**data["defaults"])
