"""A user's own task and schedule on a local Ray instance (2 CPUs): the source travels with each
trial's spec, so the Ray workers run the hashed code and give the local pool's numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from lrlab.study.plan import load_plan
from lrlab.study.runner import run_study
from study.test_run import numbers
from user_code import SCHEDULE, TASK, write

ray = pytest.importorskip("ray")

PLAN = """
name = "mine-on-ray"
seeds = [0, 1]

[defaults]
lr = 0.02
batch_size = 50
epochs = 2

[[tasks]]
source = "code/my_task.py:make_task"

[[schedules]]
source = "code/my_schedule.py:HalveOnPlateau"
role = "proposed"

[[schedules]]
name = "constant"
role = "baseline"
"""


def test_a_users_code_on_ray_gives_the_local_pools_numbers(tmp_path: Path):
    project = tmp_path / "project"
    (project / "code").mkdir(parents=True)
    write(project / "code", "my_task.py", TASK)
    write(project / "code", "my_schedule.py", SCHEDULE)
    (project / "plan.toml").write_text(PLAN)
    plan = load_plan(project / "plan.toml")
    local = run_study(plan, tmp_path / "local", workers=2)
    assert local.counts == {"completed": 4}
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        # The workers cannot read the user's files: what they run comes with each trial's spec.
        (project / "code").rename(project / "elsewhere")
        outcome = run_study(plan, tmp_path / "ray", executor="ray")
    finally:
        ray.shutdown()
    assert outcome.counts == {"completed": 4}
    assert numbers(tmp_path / "ray") == numbers(tmp_path / "local")
