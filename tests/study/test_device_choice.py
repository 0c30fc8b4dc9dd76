"""``--device auto``: CUDA where the trials will find a GPU, else the CPU; bad names refused."""

from __future__ import annotations

import pytest
import torch

from lrlab.study.plan import parse_plan
from lrlab.study.runner import auto_device, run_plan_file

PLAN = """
name = "d"
[[tasks]]
name = "wine"
[[schedules]]
name = "entropy"
role = "proposed"
[[schedules]]
name = "constant"
role = "baseline"
"""


def test_auto_is_this_machines_gpu_or_the_cpu() -> None:
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert auto_device(parse_plan(PLAN), "local") == expected


def test_auto_on_ray_follows_the_gpus_the_plan_reserves() -> None:
    with_gpus = parse_plan(PLAN + "\n[executor]\ngpus_per_trial = 1\n")
    assert auto_device(with_gpus, "ray") == "cuda"
    assert auto_device(parse_plan(PLAN), "ray") == ("cuda" if torch.cuda.is_available() else "cpu")


def test_an_unknown_device_is_refused_in_one_line(tmp_path) -> None:
    plan = tmp_path / "d.toml"
    plan.write_text(PLAN)
    with pytest.raises(ValueError, match="--device must be 'auto', 'cpu' or 'cuda', got 'tpu'"):
        run_plan_file(plan, tmp_path / "out", device="tpu")
