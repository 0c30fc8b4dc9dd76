"""The corpus of report variants (corpus.py) and the seed reports through the real parser and
mapping: each maps to its data sets, models, settings, rule and baselines under --budget full,
to the fetched real data sets under --budget quick, and nothing is both mapped and left out."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from lrlab.ingest import plan_from_text
from lrlab.study.plan import Plan, load_plan, parse_plan

from .corpus import (
    BASELINE_STYLES,
    DATASET_STYLES,
    HEADINGS,
    MODEL_STYLES,
    RULE_PLACES,
    SEEDS,
    SETTING_STYLES,
    Variant,
    corpus,
)
from .test_mapping import _contradictions

VARIANTS = corpus()


def test_the_corpus_is_large_and_covers_every_style():
    assert len(VARIANTS) >= 30
    assert len({v.text for v in VARIANTS}) == len(VARIANTS)
    names = " ".join(f"{v.name}-" for v in VARIANTS)
    for styles in (HEADINGS, DATASET_STYLES, MODEL_STYLES, SETTING_STYLES, RULE_PLACES, BASELINE_STYLES):
        for style in styles:
            assert f"-{style}-" in names, style
    assert Counter(v.experiment.key for v in VARIANTS).most_common()[-1][1] >= 6


def check_full(plan: Plan, variant: Variant) -> list[str]:
    """What in ``plan`` differs from the variant's expected plan (nothing when it maps right)."""
    e = variant.experiment
    problems = []
    tasks = {t.name: t for t in plan.tasks}
    if set(tasks) != set(e.datasets.values()):
        problems.append(f"tasks {sorted(tasks)}, expected {sorted(e.datasets.values())}")
    for name, (_, model) in e.models.items():
        task = tasks.get(e.datasets[name])
        if task is None or task.resolved_model() != model:
            problems.append(f"{name}: model {task and task.resolved_model()}, expected {model}")
    for task in plan.tasks:
        hparams = plan.hparams_for(task)
        problems += [f"{task.name}: {key} = {getattr(hparams, key)}, expected {value}"
                     for key, value in e.settings.items() if getattr(hparams, key) != value]
    proposed = plan.schedules[0]
    if (proposed.name, proposed.args) != (e.proposed, variant.expected_args()):
        problems.append(f"proposed {proposed.name} {proposed.args}, expected {e.proposed} {variant.expected_args()}")
    if tuple(s.name for s in plan.schedules[1:]) != e.baseline_names:
        problems.append(f"baselines {[s.name for s in plan.schedules[1:]]}, expected {e.baseline_names}")
    assert plan.tuning is not None
    space = plan.tuning.space.get(e.proposed, {})
    for argument, (low, high) in variant.space.items():
        if (space.get(argument, {}).get("low"), space.get(argument, {}).get("high")) != (low, high):
            problems.append(f"tuning space {argument}: {space.get(argument)}, expected [{low}, {high}]")
    return problems


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.name for v in VARIANTS])
def test_each_variant_maps_to_its_plan_under_full(variant: Variant):
    mapped = plan_from_text(variant.text, source=f"{variant.name}.md", budget="full")
    assert check_full(parse_plan(mapped.toml), variant) == []
    assert mapped.both == [] and _contradictions(mapped) == []
    # every value the report states is mapped with its line: nothing it states is "lrlab's default"
    assert not any("not stated by the report" in n and n.split(" =")[0] in variant.experiment.settings
                   for n in mapped.notes)


@pytest.mark.parametrize("variant", VARIANTS[:: 3], ids=[v.name for v in VARIANTS[:: 3]])
def test_variants_under_quick_run_the_fetched_real_data_sets(variant: Variant):
    mapped = plan_from_text(variant.text, source=f"{variant.name}.md", budget="quick")
    plan = parse_plan(mapped.toml)
    assert {t.name for t in plan.tasks} == variant.quick_tasks()
    assert all(plan.hparams_for(t).epochs <= 10 for t in plan.tasks)
    assert plan.schedules[0].args == variant.expected_args()
    assert plan.tuning is not None and plan.tuning.trials == 4
    assert mapped.both == [] and _contradictions(mapped) == []


@pytest.mark.parametrize("seed", SEEDS, ids=[s.path.name for s in SEEDS])
def test_each_seed_report_maps_to_its_plan_under_full(seed, tmp_path):
    mapped = plan_from_text(seed.path.read_text(encoding="utf-8"), source=str(seed.path), budget="full")
    (tmp_path / "plan.toml").write_text(mapped.toml, encoding="utf-8")
    plan = load_plan(tmp_path / "plan.toml")
    assert {t.name: t.resolved_model() for t in plan.tasks} == seed.models
    for task in plan.tasks:
        expected = {**seed.settings, **seed.task_settings.get(task.name, {})}
        hparams = plan.hparams_for(task)
        assert {k: getattr(hparams, k) for k in expected} == expected
    assert (plan.schedules[0].name, plan.schedules[0].args) == (seed.proposed, seed.args)
    assert tuple(s.name for s in plan.schedules[1:]) == seed.baselines
    for name, task in seed.datasets.items():
        assert re.search(rf"line \d+: {re.escape(name)} -> {task} ", "\n".join(mapped.notes)), name
    assert mapped.both == [] and _contradictions(mapped) == []
