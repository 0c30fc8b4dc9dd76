"""The conclusion, generated from the statistics alone.

It says "significantly better/worse" only where the Holm-adjusted paired t-test on the
*validation* split says so, against the best baseline of each task (chosen on validation too);
the test split is reported beside it. It never claims an improvement the tests do not support.
"""

from __future__ import annotations

import math
from typing import Any


def _find(analysis: dict[str, Any], split: str, task: str, metric: str, proposed: str, baseline: str) -> dict[str, Any] | None:
    for c in analysis["comparisons"]:
        if (c["split"], c["task"], c["metric"], c["proposed"], c["baseline"]) == (split, task, metric, proposed, baseline):
            return c
    return None


def _fmt(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:+.4g}"


def _evidence(c: dict[str, Any]) -> str:
    return (f"mean difference {_fmt(c['mean_diff'])} (bootstrap 95% CI {_fmt(c['ci_low'])} to {_fmt(c['ci_high'])}), "
            f"paired t-test Holm-adjusted p = {c['p_holm']:.3g}, n = {c['n']} seeds")


def conclude(analysis: dict[str, Any]) -> dict[str, Any]:
    """``{"lines": [...], "winner": {...} | None, "verdicts": [...]}`` from the comparisons."""
    lines: list[str] = []
    verdicts: list[dict[str, Any]] = []
    low_power_n = analysis["low_power_n"]
    for task in analysis["tasks"]:
        best = analysis["best_baseline"].get(task)
        if best is None:
            lines.append(f"{task}: no baseline completed, so nothing can be compared.")
            continue
        metric, baseline = best["metric"], best["schedule"]
        for proposed in analysis["proposed"]:
            val = _find(analysis, "val", task, metric, proposed, baseline)
            test = _find(analysis, "test", task, metric, proposed, baseline)
            if val is None or val["n"] < 2 or val["p_holm"] is None or math.isnan(val["p_holm"]):
                n = 0 if val is None else val["n"]
                lines.append(f"{task}: {proposed} cannot be compared with {baseline} on {metric}: "
                             f"only {n} seed(s) completed for both.")
                verdicts.append({"task": task, "proposed": proposed, "baseline": baseline, "metric": metric,
                                 "verdict": "not comparable"})
                continue
            verdict = val["direction"]
            if verdict == "no difference":
                text = (f"{task}: no significant difference between {proposed} and the best baseline "
                        f"({baseline}) in validation {metric}: {_evidence(val)}.")
            else:
                text = (f"{task}: {proposed} is significantly {verdict} than the best baseline ({baseline}) "
                        f"in validation {metric}: {_evidence(val)}.")
            if test is not None and test["n"] >= 2:
                text += (f" On the test split (reported only): {test['direction']}, "
                         f"mean difference {_fmt(test['mean_diff'])}, Holm-adjusted p = {test['p_holm']:.3g}.")
            if val["n"] < low_power_n:
                text += f" With {val['n']} seeds the test has little power: a real difference may go undetected."
            lines.append(text)
            verdicts.append({"task": task, "proposed": proposed, "baseline": baseline, "metric": metric,
                             "verdict": verdict, "p_holm": val["p_holm"], "mean_diff": val["mean_diff"],
                             "trial_ids": val["trial_ids"]})
    for task in analysis["tasks"]:
        per_schedule = analysis["convergence"][task]
        if per_schedule and all(c["reached"] == 0 for c in per_schedule.values()):
            lines.append(f"{task}: no trial of any schedule reached the target.")
    missing = analysis["missing"]
    if missing:
        kinds = {}
        for m in missing:
            kinds[m["status"]] = kinds.get(m["status"], 0) + 1
        detail = ", ".join(f"{n} {status}" for status, n in sorted(kinds.items()))
        lines.append(f"{len(missing)} planned trial(s) did not complete ({detail}); they are listed below, and "
                     "comparisons use only the seeds where both sides completed.")
    winner = _winner(verdicts, analysis["proposed"])
    if winner is None:
        lines.append("No proposed schedule beat the best baseline significantly on any task without losing "
                     "significantly on another: no change is proposed.")
    else:
        lines.append(f"{winner['schedule']} beat the best baseline significantly on {', '.join(winner['tasks'])} "
                     "and lost significantly on none.")
    return {"lines": lines, "winner": winner, "verdicts": verdicts}


def _winner(verdicts: list[dict[str, Any]], proposed: list[str]) -> dict[str, Any] | None:
    best = None
    for name in proposed:
        mine = [v for v in verdicts if v["proposed"] == name]
        wins = [v["task"] for v in mine if v["verdict"] == "better"]
        losses = [v for v in mine if v["verdict"] == "worse"]
        if wins and not losses and (best is None or len(wins) > len(best["tasks"])):
            best = {"schedule": name, "tasks": wins,
                    "trial_ids": [i for v in mine if v["verdict"] == "better" for i in v["trial_ids"]]}
    return best
