"""lrlab research on Ray: the same plan on a local Ray instance (2 CPUs) asks the same candidates,
scores them the same, chooses the same ideas and confirms them with the same numbers as the local
pool (the session's ``tiny_run``)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from lrlab.research.run import run_research
from study.test_run import numbers

from .conftest import PLAN, candidates_of, ideas_of

ray = pytest.importorskip("ray")


def test_a_research_run_on_ray_gives_the_local_pools_candidates_ideas_and_numbers(tiny_run: Path, tmp_path: Path):
    plan = tmp_path / "tiny.toml"
    plan.write_text(PLAN.replace("budget = { candidates = 5 }", "budget = { candidates = 4 }"), encoding="utf-8")
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        outcome = run_research(plan, tmp_path / "run", executor="ray", stream=io.StringIO())
    finally:
        ray.shutdown()
    assert outcome.exit_code == 0 and outcome.outputs, outcome

    def table(run: Path) -> list[tuple]:
        return [(c.number, c.generation, c.params, c.args, c.lr_scale, c.state, c.value, c.rungs)
                for c in candidates_of(run)]

    assert table(tmp_path / "run") == table(tiny_run)
    assert ideas_of(tmp_path / "run") == ideas_of(tiny_run)
    assert numbers(tmp_path / "run" / "search") == numbers(tiny_run / "search")
    assert numbers(tmp_path / "run" / "confirm") == numbers(tiny_run / "confirm")
