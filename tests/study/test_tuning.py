"""The tuning protocol as pure functions: configurations drawn up front, validation at the door,
successive halving, the choice, and what a study knows after each rung."""

from __future__ import annotations

import math

import pytest

from lrlab.study.plan import PlanError, parse_plan
from lrlab.study.tuning import (
    Outcome,
    best,
    configurations,
    expand,
    objective_value,
    planned_count,
    rung_epochs,
    score,
    tune_groups,
)

PLAN = """
name = "tuned"
seeds = [0, 1, 2]

[defaults]
lr = 0.003
epochs = 8

[[tasks]]
name = "wine"
target = {{ metric = "accuracy", value = 0.9 }}

[[tasks]]
name = "breast_cancer"
hparams = {{ lr = 0.0005 }}

[[schedules]]
name = "entropy"
role = "proposed"

[[schedules]]
name = "entropy"
label = "entropy-relative"
role = "proposed"
args = {{ mode = "relative" }}

[[schedules]]
name = "prodigy"
role = "proposed"

[[schedules]]
name = "constant"
role = "baseline"

[[schedules]]
name = "plateau"
role = "baseline"

[tuning]
trials = 6
seeds = [100, 101]
{extra}
"""


def plan(extra: str = ""):
    return parse_plan(PLAN.format(extra=extra))


def test_configurations_are_drawn_up_front_and_the_same_every_time():
    first, again = configurations(plan()), configurations(plan())
    assert first == again
    assert set(first) == {(t, s) for t in ("wine", "breast_cancer")
                          for s in ("entropy", "entropy-relative", "constant", "plateau")}  # prodigy: self-tuning
    assert all(len(configs) == 6 for configs in first.values())
    assert [c.index for c in first[("wine", "entropy")]] == list(range(6))


def test_every_schedule_is_tried_at_the_same_rates_on_a_task():
    configs = configurations(plan())
    rates = {label: [c.lr for c in configs[("wine", label)]] for label in ("entropy", "constant", "plateau")}
    assert rates["entropy"] == rates["constant"] == rates["plateau"]
    assert len(set(rates["constant"])) == 6
    assert all(3e-4 <= lr <= 3e-2 for lr in rates["constant"])  # the plan's rate / 10 .. x 10
    assert all(5e-5 <= c.lr <= 5e-3 for c in configs[("breast_cancer", "constant")])  # the task's own rate
    assert max(rates["constant"]) / min(rates["constant"]) > 10  # the range is covered, not a corner of it


def test_a_schedules_own_arguments_follow_its_space_and_fixed_arguments():
    configs = configurations(plan())
    absolute = configs[("wine", "entropy")]
    assert all(set(c.args) == {"threshold", "factor", "interval"} for c in absolute)
    assert all(0.3 <= c.args["threshold"] <= 0.9 and 0.5 <= c.args["factor"] <= 0.99 for c in absolute)
    assert all(isinstance(c.args["interval"], int) and 5 <= c.args["interval"] <= 50 for c in absolute)
    relative = configs[("wine", "entropy-relative")]
    assert all(set(c.args) == {"factor", "interval"} for c in relative)  # threshold only applies to absolute
    assert all(c.args == {} for c in configs[("wine", "constant")])


def test_the_plan_narrows_or_replaces_a_space_and_sets_the_rate_range():
    narrowed = configurations(plan('lr = [1e-3, 2e-3]\nspace = { entropy = { threshold = [0.6, 0.7] }, plateau = {} }'))
    assert all(set(c.args) == {"threshold"} and 0.6 <= c.args["threshold"] <= 0.7
               for c in narrowed[("wine", "entropy")])
    assert all(c.args == {} for c in narrowed[("wine", "plateau")])
    assert all(1e-3 <= c.lr <= 2e-3 for configs in narrowed.values() for c in configs)
    choices = configurations(plan('space = { plateau = { patience = { choices = [1, 3] } } }'))
    assert {c.args["patience"] for c in choices[("wine", "plateau")]} == {1, 3}


def test_the_hash_covers_the_tuning_and_its_spaces():
    assert plan().hash != plan("sequence_seed = 1").hash
    assert plan().hash != plan("space = { plateau = {} }").hash
    assert plan().hash == plan().hash
    untuned = parse_plan(PLAN.format(extra="").split("[tuning]")[0])
    assert untuned.tuning is None and untuned.hash != plan().hash


@pytest.mark.parametrize(("extra", "message"), [
    ("space = { entropy = { threshold = [0.5, 1.5] } }", "tuning.space.entropy.threshold: the range"),
    ("space = { entropy = { threshold = [0.8, 0.4] } }", "tuning.space.entropy.threshold: empty range"),
    ("space = { entropy = { nonsense = [1, 2] } }", "takes no argument 'nonsense'"),
    ("space = { nobody = { factor = [0.5, 0.9] } }", "tuning.space.nobody: no schedule has this label"),
    ("space = { prodigy = { d_coef = [0.5, 2] } }", "self-tuning optimizer"),
    ("space = { entropy = { factor = [0.5, 0.7, 0.9] } }", "a range is [low, high]"),
    ("lr = [0.01, 0.001]", "tuning.lr: must be [low, high] with 0 < low < high"),
    ("lr = [0, 0.001]", "0 < low < high"),
    ('objective = "time_to_target"', "needs a target on every task"),
])
def test_bad_tuning_is_one_line_naming_the_field(extra: str, message: str):
    with pytest.raises(PlanError, match="^<plan>: .*" + message.replace("[", r"\[").replace("]", r"\]")) as error:
        plan(extra)
    assert "\n" not in str(error.value)


def test_trials_and_seeds_are_checked():
    text = PLAN.format(extra="")
    with pytest.raises(PlanError, match=r"tuning.trials: Input should be greater than or equal to 1"):
        parse_plan(text.replace("trials = 6", "trials = 0"))
    with pytest.raises(PlanError, match=r"tuning.seeds must be disjoint from the evaluation seeds .* \[1\]"):
        parse_plan(text.replace("seeds = [100, 101]", "seeds = [1, 100]"))
    with pytest.raises(PlanError, match="seeds must be distinct"):
        parse_plan(text.replace("seeds = [100, 101]", "seeds = [100, 100]"))


def test_rung_epochs_end_with_the_full_budget():
    assert rung_epochs(8, 3, 2) == [2, 4, 8]
    assert rung_epochs(5, 2, 3) == [2, 5]
    assert rung_epochs(1, 3, 2) == [1, 1, 1]


def test_objective_values_order_configurations():
    done = Outcome("completed", {"final_val": {"accuracy": 0.9, "loss": 0.3}, "epochs_to_target": 4})
    worse = Outcome("completed", {"final_val": {"accuracy": 0.8, "loss": 0.5}, "epochs_to_target": None})
    assert objective_value(done, "accuracy", "final") > objective_value(worse, "accuracy", "final")
    assert objective_value(done, "loss", "final") > objective_value(worse, "loss", "final")  # lower is better
    assert objective_value(done, "accuracy", "time_to_target") == (-4.0, 0.9)
    assert objective_value(worse, "accuracy", "time_to_target")[0] == -math.inf
    assert objective_value(Outcome("diverged"), "accuracy", "final") == (-math.inf, -math.inf)
    assert score([(0.8, 0.0), (0.9, 0.0)]) == pytest.approx((0.85, 0.0))
    assert score([(0.8, 0.0), (-math.inf, -math.inf)])[0] == -math.inf  # one failed seed: worst
    assert best({0: (0.5, 0), 1: (0.7, 0), 2: (0.7, 0), 3: (0.1, 0)}, 2) == [1, 2]  # ties: earlier first


def _finish(trials, accuracy_of) -> dict[str, Outcome]:
    return {t.spec.trial_id: Outcome("completed", {"final_val": {"accuracy": accuracy_of(t), "loss": 1.0}})
            for t in trials}


def test_halving_promotes_the_best_then_chooses_and_the_evaluation_follows():
    p = plan("halving = { rungs = 2, eta = 3 }")
    first = expand(p, {})
    tuning = [t for t in first if t.phase == "tuning"]
    assert {t.rung for t in tuning} == {0} and {t.spec.epochs for t in tuning} == {3}  # 8 / 3, rounded up
    assert len(tuning) == 2 * 4 * 6 * 2  # tasks x tuned schedules x configurations x tuning seeds
    assert all(t.spec.seed in (100, 101) and t.spec.phase == "tuning" for t in tuning)
    given = [t for t in first if t.track == "given"]
    assert len(given) == 2 * 5 * 3 and {t.spec.seed for t in given} == {0, 1, 2}
    outcomes = _finish(tuning, lambda t: 0.5 + 0.01 * t.config)  # later configurations score better
    second = expand(p, outcomes)
    rung1 = [t for t in second if t.phase == "tuning" and t.rung == 1]
    assert {t.config for t in rung1} == {4, 5} and {t.spec.epochs for t in rung1} == {8}
    assert not [t for t in second if t.track == "tuned" and t.phase == "evaluation"]
    outcomes.update(_finish(rung1, lambda t: 0.9 if t.config == 4 else 0.8))  # the full budget disagrees
    third = expand(p, outcomes)
    evaluation = [t for t in third if t.track == "tuned" and t.phase == "evaluation"]
    assert len(evaluation) == 2 * 4 * 3 and {t.config for t in evaluation} == {4}
    chosen = configurations(p)[("wine", "entropy")][4]
    entropy = [t.spec for t in evaluation if t.spec.task_label == "wine" and t.spec.schedule_label == "entropy"]
    assert {s.lr for s in entropy} == {chosen.lr} and {s.seed for s in entropy} == {0, 1, 2}
    assert all(s.schedule_args == chosen.args and s.phase == "tuned" for s in entropy)
    assert len({t.spec.trial_id for t in third}) == len(third) == planned_count(p)


def test_a_tuned_configuration_equal_to_the_plans_is_still_its_own_trial():
    p = plan()
    given = next(t.spec for t in expand(p, {}) if t.track == "given")
    from dataclasses import replace

    assert replace(given, phase="tuned").trial_id != given.trial_id
    assert given.identity().get("phase") is None  # trials of plans without tuning keep their ids


def test_groups_report_scores_and_choice():
    p = plan()
    tuning = [t for t in expand(p, {}) if t.phase == "tuning"]
    outcomes = _finish(tuning, lambda t: 0.9 if t.config == 2 else 0.6)
    groups = tune_groups(p, outcomes)
    assert len(groups) == 8 and all(g.chosen is not None and g.chosen.index == 2 for g in groups)
    assert all(g.scores[0][2] == pytest.approx((0.9, 0.0)) for g in groups)
