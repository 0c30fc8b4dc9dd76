"""The analysis of a study: plain tables computed from the store, ready for the report to draw.

:func:`analyze` returns one JSON-able dict. Every figure in it carries the ids of the trials it
came from. Decisions (the best baseline, a winner) use the *validation* split; test-split
numbers are reported beside them and decide nothing.

A study of a plan with ``[tuning]`` has two tracks, each analysed on its own evaluation trials
(:func:`analyze_track`): *tuned* (each schedule's configuration chosen on the tuning seeds, which
decides) and *as given* (the plan's settings). ``analysis["tracks"][name]`` holds a track's
tables; :func:`track_view` merges one with the shared keys, as the report's sections read them.
"""

from __future__ import annotations

import math
import statistics
from pathlib import Path
from typing import Any

from lrlab.analysis.collect import StudyData, TrialRow, load_study, lr_paths, rate_changed
from lrlab.analysis.conclusion import conclude
from lrlab.analysis.stats import LOW_POWER_N, holm, mean_ci, paired_comparison, performance_profile
from lrlab.analysis.tuning_table import best_baselines_by_tuning, tuning_table
from lrlab.analysis.verdict import acted, aggregate, power_of, ties, verdict
from lrlab.tasks.metrics import lower_is_better, metric_range
from lrlab.tasks.metrics import primary_metric as _primary

ALPHA = 0.05
PROFILE_TAUS = [1.0, 1.25, 1.5, 2.0, 3.0, 4.0]
TRACK_NAMES = {"tuned": "tuned", "given": "as given"}


def primary_metric(data: StudyData, task: str) -> str:
    """What decides on a task (:func:`lrlab.tasks.metrics.primary_metric`)."""
    target = data.task_entry(task).get("target")
    return _primary(target["metric"] if target else None, task_metrics(data, task))


def task_metrics(data: StudyData, task: str) -> list[str]:
    rows = [t for t in data.trials if t.task == task]
    names: dict[str, None] = {}
    for row in rows:
        for name in row.spec.get("metrics", []):
            names[name] = None
    return list(names) or ["loss", "accuracy"]


def _interval(values: list[float | None], ids: list[str], metric: str | None = None) -> dict[str, Any]:
    """Mean and 95 % t-interval, the interval cut to the values ``metric`` can take."""
    ci = mean_ci([v for v in values if v is not None])
    low, high = ci.low, ci.high
    if metric is not None:
        floor, ceiling = metric_range(metric)
        low, high = (max(low, floor) if math.isfinite(low) else low), (min(high, ceiling) if math.isfinite(high) else high)
    return {"mean": ci.mean, "ci_low": low, "ci_high": high, "n": ci.n, "trial_ids": ids}


def eval_results(rows: list[TrialRow], metrics: list[str]) -> dict[str, dict[str, Any]]:
    """The report's Results dict: test-split metrics named like ``Trainer.evaluate()``'s keys."""
    done = [r for r in rows if r.completed]
    ids = [r.trial_id for r in done]

    def per_second(numerator: str) -> list[float | None]:
        out = []
        for r in done:
            seconds = r.summary.get("test_seconds")
            count = r.summary.get(numerator)
            out.append(count / seconds if seconds and count is not None else None)
        return out

    result = {f"eval_{m}": _interval([r.test.get(m) for r in done], ids, m) for m in metrics}
    result["eval_runtime"] = _interval([r.summary.get("test_seconds") for r in done], ids)
    result["eval_samples_per_second"] = _interval(per_second("test_samples"), ids)
    result["eval_steps_per_second"] = _interval(per_second("test_batches"), ids)
    result["epoch"] = _interval([r.summary.get("epochs_run") for r in done], ids)
    return result


def validation_results(rows: list[TrialRow], metrics: list[str]) -> dict[str, dict[str, Any]]:
    done = [r for r in rows if r.completed]
    ids = [r.trial_id for r in done]
    return {m: _interval([r.final_val.get(m) for r in done], ids, m) for m in metrics}


def convergence(rows: list[TrialRow]) -> dict[str, Any]:
    """Time to target (never-reached trials counted, not dropped), stability, gap, adjustments, cost."""
    ended = [r for r in rows if r.status in ("completed", "diverged")]
    reached = [r for r in ended if r.summary.get("reached_target")]

    def med(key: str, source: list[TrialRow]) -> float | None:
        values = [r.summary.get(key) for r in source if r.summary.get(key) is not None]
        return statistics.median(values) if values else None

    def mean(key: str) -> dict[str, Any]:
        return _interval([r.summary.get(key) for r in ended], [r.trial_id for r in ended])

    return {
        "trials": len(rows), "ended": len(ended), "reached": len(reached),
        "diverged": sum(r.status == "diverged" for r in ended),
        "collapsed": sum(bool(r.summary.get("collapsed")) for r in ended),
        "never_reached": [r.trial_id for r in ended if not r.summary.get("reached_target")],
        "epochs_to_target": {"median_of_reached": med("epochs_to_target", reached),
                             "values": [r.summary.get("epochs_to_target") for r in ended]},
        "steps_to_target": {"median_of_reached": med("steps_to_target", reached),
                            "values": [r.summary.get("steps_to_target") for r in ended]},
        "seconds_to_target": {"median_of_reached": med("seconds_to_target", reached),
                              "values": [r.summary.get("seconds_to_target") for r in ended]},
        "stability": mean("stability"), "gap_loss": mean("gap_loss"), "gap_accuracy": mean("gap_accuracy"),
        "n_adjustments": mean("n_adjustments"), "mean_abs_log_lr_change": mean("mean_abs_log_lr_change"),
        "seconds_per_step": med("seconds_per_step", ended), "peak_rss_mb": mean("peak_rss_mb"),
        "trial_ids": [r.trial_id for r in ended],
    }


def _paired_values(data: StudyData, task: str, a: str, b: str, get) -> tuple[list[float], list[float], list[str]]:
    left = {r.seed: r for r in data.rows(task, a) if r.completed}
    right = {r.seed: r for r in data.rows(task, b) if r.completed}
    seeds = sorted(set(left) & set(right))
    xs, ys, ids = [], [], []
    for seed in seeds:
        x, y = get(left[seed]), get(right[seed])
        if x is None or y is None:
            continue
        xs.append(x)
        ys.append(y)
        ids += [left[seed].trial_id, right[seed].trial_id]
    return xs, ys, ids


def comparisons(data: StudyData, best: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Every (split, task, metric, proposed vs baseline) over paired seeds.

    Holm's correction runs over one family per split and kind: the *primary* comparisons (each
    proposed schedule against the task's best baseline, on the task's primary metric: the ones
    that decide, fixed by the plan before the study ran), and the *secondary* ones (the other
    baselines, the other metrics). The verdict rests on the primary family of the validation split.
    """
    out = []
    for split in ("val", "test"):
        family = []
        for task in data.tasks():
            primary = primary_metric(data, task)
            for metric in task_metrics(data, task):
                for proposed in data.schedules("proposed"):
                    for baseline in data.schedules("baseline"):
                        getter = (lambda r, m=metric: r.final_val.get(m)) if split == "val" else (lambda r, m=metric: r.test.get(m))
                        xs, ys, ids = _paired_values(data, task, proposed, baseline, getter)
                        stat = paired_comparison(xs, ys).as_dict()
                        better_sign = -1.0 if lower_is_better(metric) else 1.0
                        deciding = metric == primary and best.get(task, {}).get("schedule") == baseline
                        family.append({"split": split, "task": task, "metric": metric, "proposed": proposed,
                                       "baseline": baseline, "family": "primary" if deciding else "secondary",
                                       **stat,
                                       "improvement": better_sign * stat["mean_diff"] if stat["n"] else math.nan,
                                       "trial_ids": ids})
        adjusted: dict[int, float] = {}
        for kind in ("primary", "secondary"):
            members = [i for i, c in enumerate(family) if c["family"] == kind]
            adjusted.update(zip(members, holm([family[i]["t_pvalue"] for i in members]), strict=True))
        for index, comparison in enumerate(family):
            p = adjusted[index]
            comparison["p_holm"] = p
            comparison["family_size"] = sum(c["family"] == comparison["family"] for c in family)
            significant = p is not None and math.isfinite(p) and p < ALPHA
            comparison["significant"] = significant
            if comparison["n"] < 2:
                comparison["direction"] = "not comparable"  # no test could run
            else:
                comparison["direction"] = ("better" if comparison["improvement"] > 0 else "worse") if significant else "no difference"
        out += family
    return out


def best_baselines(data: StudyData, validation: dict[str, dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Per task, the baseline with the best mean final *validation* primary metric of the
    evaluation seeds (the as-given track, which has no tuning seeds to choose on); equal means
    go to the baseline listed first in the plan."""
    best = {}
    for task in data.tasks():
        metric = primary_metric(data, task)
        sign = -1.0 if lower_is_better(metric) else 1.0
        candidates = [(sign * validation[task][b][metric]["mean"], -order, b)
                      for order, b in enumerate(data.schedules("baseline"))
                      if metric in validation[task].get(b, {}) and math.isfinite(validation[task][b][metric]["mean"])]
        if not candidates:
            continue
        _, _, name = max(candidates)
        best[task] = {"schedule": name, "metric": metric, "split": "val", "value": validation[task][name][metric]["mean"],
                      "chosen_on": "evaluation seeds", "trial_ids": validation[task][name][metric]["trial_ids"]}
    return best


def profiles(conv: dict[str, dict[str, dict[str, Any]]], schedules: list[str]) -> dict[str, Any]:
    """Performance profiles over tasks, on the median optimizer steps to target (never reached =
    infinite). Steps, not seconds: seconds depend on what else ran on the machine."""
    times: dict[str, dict[str, float | None]] = {s: {} for s in schedules}
    for task, per_schedule in conv.items():
        for schedule in schedules:
            values = per_schedule.get(schedule, {}).get("steps_to_target", {}).get("values", [])
            finite = [v if v is not None else math.inf for v in values]
            times[schedule][task] = statistics.median(finite) if finite else None
    return {"taus": PROFILE_TAUS, "measure": "median optimizer steps to target over seeds",
            "fractions": performance_profile(times, PROFILE_TAUS), "times": times}


def cost_ratios(conv: dict[str, dict[str, dict[str, Any]]], reference: str | None) -> dict[str, dict[str, float | None]]:
    """Median time per step relative to ``reference`` (constant LR when the plan has it), per task."""
    out: dict[str, dict[str, float | None]] = {}
    for task, per_schedule in conv.items():
        base = per_schedule.get(reference or "", {}).get("seconds_per_step")
        out[task] = {s: (c["seconds_per_step"] / base if base and c.get("seconds_per_step") else None)
                     for s, c in per_schedule.items()}
    return out


def curves(data: StudyData, study_dir: Path) -> dict[str, Any]:
    """What the plots draw: per task and schedule, the validation curves per seed, and the LR path
    and the scheduler's signals of the first seed (with trial ids)."""
    groups = {(task, schedule): rows for task in data.tasks() for schedule in data.schedules()
              if (rows := [r for r in data.rows(task, schedule) if r.epochs])}
    paths = lr_paths(study_dir, [rows[0].trial_id for rows in groups.values()])  # one pass over the store
    out: dict[str, Any] = {task: {} for task in data.tasks()}
    for (task, schedule), rows in groups.items():
        primary = primary_metric(data, task)
        first = rows[0]
        out[task][schedule] = {
            "epochs": [[e["epoch"] for e in r.epochs] for r in rows],
            "val_loss": [[e["val"].get("loss") for e in r.epochs] for r in rows],
            f"val_{primary}": [[e["val"].get(primary) for e in r.epochs] for r in rows],
            "seeds": [r.seed for r in rows], "trial_ids": [r.trial_id for r in rows],
            "lr_path": {"trial_id": first.trial_id, "seed": first.seed, **paths[first.trial_id]},
        }
    return out


def claims(plan: dict[str, Any], results: dict[str, dict[str, dict[str, Any]]],
           best: dict[str, dict[str, Any]], proposed: list[str]) -> dict[str, Any] | None:
    """The original report's claimed Results beside the measured ones (plans read from a report).

    For every key of the claimed dicts (``eval_loss``, ``eval_accuracy``, ...): the claimed value
    for the proposed method and for the benchmark, and per task the measured test-split interval
    of each proposed schedule and of the task's best baseline (chosen on validation).
    """
    source = plan.get("source")
    if not source or not (source.get("claimed_results") or source.get("claimed_benchmark")):
        return None
    claimed, benchmark = source.get("claimed_results") or {}, source.get("claimed_benchmark") or {}
    rows = []
    for key in list(dict.fromkeys([*claimed, *benchmark])):
        measured = {}
        for task, per_schedule in results.items():
            base = best.get(task, {}).get("schedule")
            measured[task] = {
                "proposed": {s: per_schedule.get(s, {}).get(key) for s in proposed},
                "best_baseline": None if base is None else {"schedule": base, **(per_schedule.get(base, {}).get(key) or {})},
            }
        rows.append({"key": key, "claimed_results": claimed.get(key), "claimed_benchmark": benchmark.get(key),
                     "measured": measured})
    return {"path": source.get("path", ""), "title": source.get("title", ""), "budget": source.get("budget"),
            "notes": list(source.get("notes") or []), "rows": rows}


def analyze_track(data: StudyData, study_dir: Path, best: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The tables of one track (``data``: its evaluation trials). ``best``: the best baseline per
    task when chosen elsewhere (the tuned track chooses on the tuning seeds); by default it is
    chosen on this track's validation means."""
    results, validation, conv = {}, {}, {}
    for task in data.tasks():
        metrics = task_metrics(data, task)
        results[task] = {s: eval_results(data.rows(task, s), metrics) for s in data.schedules()}
        validation[task] = {s: validation_results(data.rows(task, s), metrics) for s in data.schedules()}
        conv[task] = {s: convergence(data.rows(task, s)) for s in data.schedules()}
    reference = next((s for s in data.schedules("baseline") if data.schedule_name(s) == "constant"), None)
    if best is None or not best:
        best = best_baselines(data, validation)
    comps = comparisons(data, best)
    changed = rate_changed(study_dir, [t for t in data.trials if t.status in ("completed", "diverged")])
    track = {
        "results": results, "validation": validation, "best_baseline": best, "comparisons": comps,
        "convergence": conv, "cost_reference": reference, "cost_ratio": cost_ratios(conv, reference),
        "profiles": profiles(conv, data.schedules()), "curves": curves(data, study_dir),
        "acted": acted(data, changed), "ties": ties(data, primary_metric),
        "missing": [{"trial_id": t.trial_id, "task": t.task, "schedule": t.schedule, "seed": t.seed,
                     "status": t.status, "error": t.error} for t in data.trials if not t.completed],
    }
    track["power"] = power_of(data, comps, ALPHA)
    track["aggregate"] = aggregate(data, best, primary_metric)
    return track


def track_view(analysis: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    """The shared keys of ``analysis`` with one track's tables (default: the deciding track's)."""
    return {**analysis, **analysis["tracks"][name or analysis["decides"]], "track": name or analysis["decides"]}


def analyze(study_dir: str | Path) -> dict[str, Any]:
    """The whole analysis of a study folder, as one JSON-able dict (see the module docstring)."""
    study_dir = Path(study_dir)
    data = load_study(study_dir)
    names = ["tuned", "given"] if data.tuned else ["given"]
    tracks = {}
    for name in names:
        best = best_baselines_by_tuning(data, primary_metric) if name == "tuned" else None
        tracks[name] = analyze_track(data.track(name), study_dir, best)
    decides = names[0]
    everything = data.trials + data.tuning_trials
    analysis = {
        "plan": data.plan, "plan_hash": data.plan_hash, "plan_toml": data.plan_toml,
        "tasks": data.tasks(), "proposed": data.schedules("proposed"), "baselines": data.schedules("baseline"),
        "primary_metric": {task: primary_metric(data, task) for task in data.tasks()},
        "schedule_names": {s: data.schedule_name(s) for s in data.schedules()},
        "schedule_args": {s: data.schedule_args(s) for s in data.schedules()},
        "counts": {status: sum(t.status == status for t in everything)
                   for status in ("completed", "diverged", "failed", "running", "pending")},
        "missing": [{"trial_id": t.trial_id, "task": t.task, "schedule": t.schedule, "seed": t.seed,
                     "status": t.status, "error": t.error, "track": t.track, "phase": t.phase}
                    for t in everything if not t.completed],
        "alpha": ALPHA, "low_power_n": LOW_POWER_N, "track_names": TRACK_NAMES,
        "tracks": tracks, "decides": decides, "tuning": tuning_table(data, primary_metric),
    }
    view = track_view(analysis)
    analysis["claims"] = claims(data.plan, view["results"], view["best_baseline"], data.schedules("proposed"))
    analysis["conclusion"] = conclude(view)
    analysis["verdict"] = verdict(analysis)
    return analysis
