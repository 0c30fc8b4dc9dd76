"""What the search minimises: reaching the target early, without ending worse.

Per trial (one search task, one seed, one rung of ``epochs`` epochs), on the task's target (a
validation metric, as every decision in lrlab):

* **time** — ``epochs to the target / epochs`` where the run reached it (0 to 1); where it never
  did, ``1 + shortfall``, the final value's distance from the target relative to the target, at
  most 1 (so 1 to 2: a near miss ranks above a far one); a diverged run 2.
* **ending** — how far past the target the run ended, ``(final - target) / |target|`` for a
  metric to maximise (``(target - final) / |target|`` for one to minimise), clipped to [-1, 1]; a
  diverged run -1.

A candidate's value is ``mean(time) - final_weight * mean(ending)`` over its trials (every search
task x seed): lower is better. With ``final_weight = 1`` and an accuracy target of 0.85, ending one
point of accuracy higher is worth reaching the target about 1.2 % of the epochs sooner. The
confirmation's tuning ranks configurations the same way round (``objective = "time_to_target"``:
epochs to the target first, the final metric second).

A failed trial (its code raised) gives no value: the candidate is failed, not scored.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: Time of a diverged run, and the cap of a run that never reached the target.
NEVER = 2.0


@dataclass(frozen=True)
class TrialScore:
    time: float
    ending: float


def trial_score(status: str, summary: Mapping[str, Any], target: Mapping[str, Any], epochs: int) -> TrialScore | None:
    """The score of one ended trial (None if it failed: no value)."""
    if status == "failed":
        return None
    value = (summary.get("final_val") or {}).get(target["metric"])
    if status != "completed" or value is None or not math.isfinite(value):
        return TrialScore(NEVER, -1.0)
    scale = abs(float(target["value"])) or 1.0
    past = (value - target["value"]) if target["mode"] == "max" else (target["value"] - value)
    ending = max(-1.0, min(1.0, past / scale))
    reached = summary.get("epochs_to_target")
    if summary.get("reached_target") and reached is not None:
        time = float(reached) / max(1, epochs)
    else:
        time = 1.0 + min(1.0, max(0.0, -past / scale))
    return TrialScore(time, ending)


def candidate_value(scores: Sequence[TrialScore], final_weight: float) -> float:
    """``mean(time) - final_weight * mean(ending)`` over a candidate's trials (lower is better)."""
    return (statistics.fmean(s.time for s in scores)
            - final_weight * statistics.fmean(s.ending for s in scores))


def describe(final_weight: float) -> str:
    """The objective in one sentence, for the plan's docs and the summary."""
    return (f"mean over the search tasks and seeds of the time to the target as a fraction of the epochs "
            f"(never reached: 1 + how far short it ended, relative to the target, at most 2; diverged: 2), "
            f"minus {final_weight:g} x the mean of how far past the target the run ended (relative to the "
            "target, in [-1, 1]); lower is better")
