"""The tuned track's provenance: every tuning trial's configuration and score, the choice, the cost.

The scores are the tuning protocol's own (:func:`lrlab.study.tuning.objective_value`), read back
from the stored tuning trials, so the report shows exactly what chose each configuration.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from lrlab.analysis.collect import StudyData, TrialRow
from lrlab.study.tuning import WORST, Outcome, objective_value, score
from lrlab.tasks.metrics import lower_is_better

PrimaryMetric = Callable[[StudyData, str], str]


def _objective(data: StudyData) -> str:
    return (data.plan.get("tuning") or {}).get("objective", "final")


def _groups(data: StudyData) -> dict[tuple[str, str, int, int], list[TrialRow]]:
    """Tuning trials by (task, schedule, configuration, rung)."""
    out: dict[tuple[str, str, int, int], list[TrialRow]] = {}
    for t in data.tuning_trials:
        out.setdefault((t.task, t.schedule, int(t.config or 0), int(t.rung or 0)), []).append(t)
    return out


def _chosen(data: StudyData) -> dict[tuple[str, str], int]:
    """The configuration each (task, schedule) evaluated on the evaluation seeds."""
    return {(t.task, t.schedule): int(t.config) for t in data.trials if t.track == "tuned" and t.config is not None}


def _signed_score(rows: list[TrialRow], metric: str, objective: str) -> tuple[float, float]:
    return score([objective_value(Outcome(r.status, r.summary) if r.status in ("completed", "diverged", "failed")
                                  else None, metric, objective) for r in rows])


def best_baselines_by_tuning(data: StudyData, primary_metric: PrimaryMetric) -> dict[str, dict[str, Any]]:
    """Per task, the baseline whose chosen configuration scored best on the *tuning* seeds (the
    evaluation seeds then test it without having chosen it); equal scores go to the baseline
    listed first in the plan. Tasks where no baseline has a tuning score are left out (the caller
    then chooses on evaluation means)."""
    groups, chosen, objective = _groups(data), _chosen(data), _objective(data)
    best: dict[str, dict[str, Any]] = {}
    for task in data.tasks():
        metric = primary_metric(data, task)
        candidates = []
        for order, baseline in enumerate(data.schedules("baseline")):
            config = chosen.get((task, baseline))
            if config is None:
                continue
            last = max((k[3] for k in groups if k[:3] == (task, baseline, config)), default=None)
            if last is None:
                continue
            rows = groups[(task, baseline, config, last)]
            candidates.append((_signed_score(rows, metric, objective), -order, baseline, rows))
        if not candidates or all(c[0][0] == WORST for c in candidates):
            continue
        signed, _, name, rows = max(candidates, key=lambda c: (c[0], c[1]))
        best[task] = {"schedule": name, "metric": metric, "split": "val", "chosen_on": "tuning seeds",
                      "value": (-signed[0] if lower_is_better(metric) else signed[0]) if objective == "final" else signed[1],
                      "objective": objective, "trial_ids": [r.trial_id for r in rows]}
    return best


def _readable(signed: tuple[float, float], metric: str, objective: str) -> dict[str, float | None]:
    """A score as the report prints it: the metric's own value (and epochs to target)."""
    if signed[0] == WORST and objective == "final":
        return {"value": None, "epochs": None}
    flip = -1.0 if lower_is_better(metric) else 1.0
    if objective == "final":
        return {"value": flip * signed[0], "epochs": None}
    return {"value": flip * signed[1] if math.isfinite(signed[1]) else None,
            "epochs": -signed[0] if math.isfinite(signed[0]) else None}


def tuning_table(data: StudyData, primary_metric: PrimaryMetric) -> dict[str, Any] | None:
    """Everything the report says about tuning: the settings, and per task and schedule every
    configuration with its score per rung, which one was chosen, and what tuning cost."""
    if not data.tuned:
        return None
    settings = dict(data.plan.get("tuning") or {})
    groups, chosen, objective = _groups(data), _chosen(data), _objective(data)
    configs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for c in data.configs:
        configs.setdefault((c["task"], c["schedule"]), []).append(c)
    tasks: dict[str, dict[str, Any]] = {}
    for task in data.tasks():
        metric = primary_metric(data, task)
        tasks[task] = {}
        for schedule in data.schedules():
            drawn = configs.get((task, schedule))
            if not drawn:
                continue  # not tuned (a self-tuning optimizer)
            rows_out, trials, steps, seconds = [], 0, 0, 0.0
            for c in drawn:
                rungs = {}
                for key, rows in sorted(groups.items()):
                    if key[:3] != (task, schedule, c["config"]):
                        continue
                    trials += len(rows)
                    steps += sum(int(r.summary.get("steps") or 0) for r in rows)
                    seconds += sum(float(r.summary.get("wall_seconds") or 0.0) for r in rows)
                    ended = all(r.status in ("completed", "diverged", "failed") for r in rows)
                    rungs[str(key[3])] = {**(_readable(_signed_score(rows, metric, objective), metric, objective)
                                        if ended else {"value": None, "epochs": None}),
                                     "ended": ended, "statuses": sorted({r.status for r in rows}),
                                     "epochs_run": rows[0].spec.get("epochs"),
                                     "trial_ids": [r.trial_id for r in rows]}
                rows_out.append({"config": c["config"], "lr": c["lr"], "args": c["args"], "rungs": rungs,
                                 "chosen": chosen.get((task, schedule)) == c["config"]})
            tasks[task][schedule] = {"configs": rows_out, "chosen": chosen.get((task, schedule)),
                                     "cost": {"trials": trials, "steps": steps, "seconds": seconds}}
    return {"settings": settings, "objective": objective, "tasks": tasks, "spaces": _spaces(data)}


def _spaces(data: StudyData) -> dict[str, Any] | None:
    """The search spaces as this version resolves the plan (they are in the plan's hash)."""
    from lrlab.study.plan import Plan
    from lrlab.study.tuning import resolved_spaces

    try:
        return resolved_spaces(Plan(**data.plan))
    except ValueError:  # a plan this version of lrlab no longer accepts
        return None
