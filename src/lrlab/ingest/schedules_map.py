"""A report's idea -> the proposed scheduler and its arguments; the baselines it names.

The proposed scheduler is chosen by keyword scores over the title and idea (counted twice) and
the objective and methodology; the evidence and its line go into the plan's comment. What the
report states about the rule (:mod:`~lrlab.ingest.rules`: threshold, change of the rate, window,
interval, patience, meta-learner rate) becomes the scheduler's arguments where it has that
argument and the value is in its range: the *as given* track runs them. A stated range narrows
the tuned track's search space for that argument (``[tuning] space``); the as-given value is
then lrlab's default where the range holds it, else the range's middle.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from lrlab.ingest.decisions import Decisions, Evidence
from lrlab.ingest.markdown import plain
from lrlab.ingest.parse import ParsedReport
from lrlab.ingest.rules import Stated, from_settings, statements
from lrlab.ingest.vocabulary import BASELINES, IDEA_FALLBACK_ORDER, IDEAS, UNREGISTERED_BASELINES
from lrlab.schedulers.registry import (
    SCHEDULES,
    make_scheduler,
    schedule_arguments,
    schedule_defaults,
)

CLASS_NAMES = {"entropy": "EntropyLR", "performance": "PerformanceLR", "gradvar": "GradVarLR",
               "meta": "MetaLR", "curvature": "CurvatureLR"}
DEFAULT_BASELINES = ("constant", "step", "cosine")


@dataclass
class ScheduleChoice:
    name: str
    role: str
    args: dict[str, Any] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)
    space: dict[str, list[float]] = field(default_factory=dict)  # ranges the report states, per argument
    space_comments: list[str] = field(default_factory=list)


def _units(report: ParsedReport) -> list[tuple[int, str]]:
    return [*report.headline_units, *report.rule_units]


def _idea_scores(report: ParsedReport) -> dict[str, tuple[float, list[str], Evidence | None]]:
    headline = plain(f"{report.title}\n{report.idea}")
    body = plain(f"{report.objective}\n{report.methodology}")
    units = _units(report)
    scores: dict[str, tuple[float, list[str], Evidence | None]] = {}
    for idea, patterns in IDEAS.items():
        total, evidence, first = 0.0, [], None
        for pattern, weight in sorted(patterns, key=lambda p: -p[1]):
            top = len(re.findall(pattern, headline, re.I))
            rest = len(re.findall(pattern, body, re.I))
            if top or rest:
                total += weight * (2 * top + rest)
                phrase = re.search(pattern, headline if top else body, re.I)
                shown = phrase.group(0).lower() if phrase else pattern
                evidence.append(f"{shown!r} x{top + rest}")
                if first is None:
                    line = next((n for n, words in units if re.search(pattern, words, re.I)), None)
                    first = Evidence(line, shown)
        scores[idea] = (total, evidence, first)
    return scores


def idea_evidence(report: ParsedReport) -> bool:
    """Whether the report's words point to any scheduling idea lrlab knows."""
    return any(score > 0 for score, _, _ in _idea_scores(report).values())


def choose_proposed(report: ParsedReport, log: Decisions) -> ScheduleChoice:
    """The scheduler the idea describes, by keyword scores (evidence in the comment)."""
    scores = _idea_scores(report)
    ranked = sorted(scores, key=lambda idea: (-scores[idea][0], IDEA_FALLBACK_ORDER.index(idea)))
    if scores[ranked[0]][0] == 0:
        comment = log.warn("the idea names none of uncertainty/entropy, validation performance, gradient "
                           "variability, meta-/reinforcement learning or curvature; proposed 'performance' "
                           "(the generic adaptive rule) for lack of evidence")
        return ScheduleChoice("performance", "proposed", comments=[comment])
    chosen = ranked[0]
    for idea in ranked:
        if idea in SCHEDULES:
            chosen = idea
            break
        if scores[idea][0] > 0:
            log.warn(f"the idea points to {CLASS_NAMES[idea]} ({idea!r}), which this lrlab has not registered; "
                     "the next best match is proposed instead", scores[idea][2])
    score, evidence, first = scores[chosen]
    text = f"proposed: {chosen!r} ({CLASS_NAMES[chosen]}), idea keywords (title/idea count twice): " \
           f"{', '.join(evidence)}; score {score:g}"
    runner = next((i for i in ranked if i != chosen and scores[i][0] > 0), None)
    if runner is not None:
        text += f"; runner-up {runner!r} {scores[runner][0]:g} ({', '.join(scores[runner][1])})"
    return ScheduleChoice(chosen, "proposed", comments=[log.decide(text, first)])


# What each stated setting becomes, per scheduler: (argument, conversion of the stated value).
_ARGUMENTS: dict[str, dict[str, tuple[str, Callable[[float], Any]]]] = {
    "entropy": {"threshold": ("threshold", float), "decrease": ("factor", float),
                "increase": ("increase_factor", float), "interval": ("interval", int)},
    "performance": {"decrease": ("decrease", float), "increase": ("increase", float), "patience": ("patience", int)},
    "gradvar": {"window": ("window", int), "decrease": ("factor", lambda m: round(1 - m, 6)),
                "increase": ("factor", lambda m: round(m - 1, 6))},
    "curvature": {"interval": ("interval", int)},
    "meta": {"meta_lr": ("meta_lr", float)},
}
_SAID = {"threshold": "threshold", "decrease": "lowering of the rate", "increase": "raising of the rate",
         "window": "window", "interval": "interval", "patience": "patience", "meta_lr": "meta-learner rate"}


def rule_arguments(report: ParsedReport, choice: ScheduleChoice, optimizer: str, log: Decisions) -> None:
    """Fill ``choice.args`` (and ``choice.space`` for stated ranges) with what the report states
    for the rule, where it fits; what does not fit is left out, with its line."""
    stated = sorted(from_settings(report.hyperparameters) + statements(report.rule_units),
                    key=lambda s: (s.line or 0))
    first: dict[str, Stated] = {}
    for item in stated:
        said = f"the report's {item.phrase!r}"
        if item.what in first:
            earlier = first[item.what]
            if (earlier.value, earlier.low, earlier.high) == (item.value, item.low, item.high):
                log.decide(f"{said}: the same {_SAID[item.what]} as line {earlier.line}", item.source())
            else:
                log.leave_out(f"{said}: another {_SAID[item.what]} than line {earlier.line}'s "
                              f"{earlier.phrase!r}; the first is used", item.source(), replace=True)
            continue
        first[item.what] = item
        target = _ARGUMENTS.get(choice.name, {}).get(item.what)
        if target is None or target[0] not in schedule_arguments(choice.name):
            log.leave_out(f"{said}: {choice.name!r} ({CLASS_NAMES.get(choice.name, choice.name)}) has no argument "
                          f"it maps to", item.source(), replace=True)
            continue
        _apply(choice, item, target, log)
    if choice.name == "curvature" and optimizer in ("adam", "adamw") and "rate_rule" in schedule_arguments("curvature"):
        choice.args["rate_rule"] = "quadratic_step"
        choice.comments.append(log.decide(
            "rate_rule = 'quadratic_step': lrlab's choice under Adam, whose preconditioning changes the "
            "effective curvature (the rate minimising the quadratic model along the update actually taken)"))


def _apply(choice: ScheduleChoice, item: Stated, target: tuple[str, Callable[[float], Any]], log: Decisions) -> None:
    argument, convert = target
    said = f"the report's {item.phrase!r}"
    if item.low is None or item.high is None:
        value = convert(item.value)
        problem = _check(choice.name, {**choice.args, argument: value})
        if problem:
            log.leave_out(f"{said} -> {argument} = {value:g}: {problem}; lrlab's default kept", item.source(),
                          replace=True)
            return
        choice.args[argument] = value
        choice.comments.append(log.decide(f"{argument} = {value:g}: {said}", item.source()))
        return
    low, high = sorted((convert(item.low), convert(item.high)))
    problem = _check(choice.name, {**choice.args, argument: low}) or _check(choice.name, {**choice.args, argument: high})
    if problem:
        log.leave_out(f"{said} -> {argument} in [{low:g}, {high:g}]: {problem}; lrlab's default and search space "
                      f"kept", item.source(), replace=True)
        return
    default = schedule_defaults(choice.name).get(argument)
    inside = isinstance(default, int | float) and low <= default <= high
    value = default if inside else convert(item.value)
    choice.args[argument] = value
    choice.space[argument] = [low, high]
    how = ("lrlab's default, inside the report's range" if inside else "the middle of the report's range")
    choice.comments.append(log.decide(f"{argument} = {value:g} ({how}; {said}); the tuned track searches "
                                      f"[{low:g}, {high:g}]", item.source()))


def _check(name: str, args: dict[str, Any]) -> str | None:
    """Why ``args`` are refused by scheduler ``name``, or None."""
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.01)
    try:
        make_scheduler(name, optimizer, total_steps=100, **args)
    except (ValueError, TypeError) as error:
        return str(error).splitlines()[0] if str(error) else type(error).__name__
    return None


def choose_baselines(report: ParsedReport, log: Decisions) -> list[ScheduleChoice]:
    """The registered baselines the report names, in order of mention; constant, step and cosine if none."""
    found: list[tuple[int, int, str, str, int | None]] = []
    for order, (line, text) in enumerate(_units(report)):
        words = re.sub(r"\b(?:held|remains?|kept|keep|stays?|be|are|is)\s+constant\b", "", plain(text), flags=re.I)
        for name, pattern in BASELINES:
            match = re.search(pattern, words, re.I)
            if match and name in SCHEDULES and all(name != f[2] for f in found):
                phrase = re.sub(r"^(?:e\.g\.,?|such as|like|including)\s*", "", match.group(0).strip(" ,:("))
                found.append((order, match.start(), name, phrase, line))
        for label, pattern in UNREGISTERED_BASELINES:
            match = re.search(pattern, words, re.I)
            if match:
                log.leave_out(f"baseline {label!r} ({match.group(0)!r}): no registered schedule; left out",
                              Evidence(line, match.group(0)))
    if not found:
        comment = log.decide("baselines: the report names none; lrlab's default constant, step and cosine")
        return [ScheduleChoice(name, "baseline", comments=[comment] if name == "constant" else [])
                for name in DEFAULT_BASELINES]
    return [ScheduleChoice(name, "baseline", comments=[log.decide(f"baseline {name!r}: the report's {phrase!r}",
                                                                  Evidence(line, phrase))])
            for _, _, name, phrase, line in sorted(found)]
