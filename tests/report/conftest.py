"""Two real tiny studies, run once for every report test: one that completes, one with divergences."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from lrlab.study.plan import parse_plan
from lrlab.study.runner import run_study

TINY = """
name = "tiny-report"
title = "Tiny report study"
idea = "Gradient variability should steer the learning rate."
objective = "See whether gradvar beats constant and cosine."
seeds = [0, 1, 2]

[defaults]
optimizer = "adam"
lr = 0.01
batch_size = 32
epochs = 3

[[tasks]]
name = "wine"
model = "mlp"
target = { metric = "accuracy", value = 0.9 }

[[tasks]]
name = "breast_cancer"
model = "fcnn"
target = { metric = "roc_auc", value = 0.99 }

[[schedules]]
name = "gradvar"
role = "proposed"
args = { window = 3 }

[[schedules]]
name = "constant"
role = "baseline"

[[schedules]]
name = "cosine"
role = "baseline"
"""

# OneCycle peaking at 1e6 with plain SGD: its trials diverge in the first steps.
DIVERGING = """
name = "diverging"
seeds = [0, 1]

[defaults]
optimizer = "sgd"
lr = 0.05
batch_size = 32
epochs = 2

[[tasks]]
name = "wine"
model = "mlp"
target = { metric = "accuracy", value = 0.9 }

[[schedules]]
name = "gradvar"
role = "proposed"

[[schedules]]
name = "constant"
role = "baseline"

[[schedules]]
name = "onecycle"
role = "baseline"
args = { max_lr = 1e6 }
"""


@pytest.fixture(scope="session")
def tiny_study(tmp_path_factory) -> Path:
    """A finished study (2 tasks x 3 schedules x 3 seeds), no report written yet."""
    out = tmp_path_factory.mktemp("tiny") / "study"
    outcome = run_study(parse_plan(TINY), out, plan_text=TINY, workers=2, stream=io.StringIO())
    assert outcome.counts == {"completed": 18}
    return out


@pytest.fixture(scope="session")
def diverging_plan(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("plans") / "diverging.toml"
    path.write_text(DIVERGING, encoding="utf-8")
    return path
