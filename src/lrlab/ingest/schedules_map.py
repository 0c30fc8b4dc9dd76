"""A report's idea -> the proposed scheduler and its arguments; the baselines it names.

The proposed scheduler is chosen by keyword scores over the title and idea (counted twice) and
the objective and methodology; the evidence goes into the plan's comment. Numbers the report
states for the rule (threshold, factor, window, interval, patience, meta-learner rate) become
the scheduler's arguments, when it has that argument and the value is in its range.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import torch

from lrlab.ingest.decisions import Decisions
from lrlab.ingest.markdown import plain
from lrlab.ingest.parse import ParsedReport
from lrlab.ingest.vocabulary import BASELINES, IDEA_FALLBACK_ORDER, IDEAS, UNREGISTERED_BASELINES
from lrlab.schedulers.registry import SCHEDULES, make_scheduler, schedule_arguments

CLASS_NAMES = {"entropy": "EntropyLR", "performance": "PerformanceLR", "gradvar": "GradVarLR",
               "meta": "MetaLR", "curvature": "CurvatureLR"}
DEFAULT_BASELINES = ("constant", "step", "cosine")


@dataclass
class ScheduleChoice:
    name: str
    role: str
    args: dict[str, Any] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)


def _idea_scores(report: ParsedReport) -> dict[str, tuple[float, list[str]]]:
    headline = plain(f"{report.title}\n{report.idea}")
    body = plain(f"{report.objective}\n{report.methodology}")
    scores: dict[str, tuple[float, list[str]]] = {}
    for idea, patterns in IDEAS.items():
        total, evidence = 0.0, []
        for pattern, weight in patterns:
            top = len(re.findall(pattern, headline, re.I))
            rest = len(re.findall(pattern, body, re.I))
            if top or rest:
                total += weight * (2 * top + rest)
                phrase = re.search(pattern, headline if top else body, re.I)
                shown = phrase.group(0).lower() if phrase else pattern
                evidence.append(f"{shown!r} x{top + rest}")
        scores[idea] = (total, evidence)
    return scores


def choose_proposed(report: ParsedReport, log: Decisions) -> ScheduleChoice:
    """The scheduler the idea describes, by keyword scores (evidence in the comment)."""
    scores = _idea_scores(report)
    ranked = sorted(scores, key=lambda idea: (-scores[idea][0], IDEA_FALLBACK_ORDER.index(idea)))
    comments = []
    if scores[ranked[0]][0] == 0:
        chosen = "performance"
        comments.append(log.warn("the idea names none of uncertainty/entropy, validation performance, gradient "
                                 "variability, meta-/reinforcement learning or curvature; proposed 'performance' "
                                 "(the generic adaptive rule) for lack of evidence"))
        return ScheduleChoice(chosen, "proposed", comments=comments)
    chosen = ranked[0]
    for idea in ranked:
        if idea in SCHEDULES:
            chosen = idea
            break
        if scores[idea][0] > 0:
            log.warn(f"the idea points to {CLASS_NAMES[idea]} ({idea!r}), which this lrlab has not registered; "
                     "the next best match is proposed instead")
    score, evidence = scores[chosen]
    text = f"proposed: {chosen!r} ({CLASS_NAMES[chosen]}), idea keywords (title/idea count twice): " \
           f"{', '.join(evidence)}; score {score:g}"
    runner = next((i for i in ranked if i != chosen and scores[i][0] > 0), None)
    if runner is not None:
        text += f"; runner-up {runner!r} {scores[runner][0]:g} ({', '.join(scores[runner][1])})"
    comments.append(log.decide(text))
    return ScheduleChoice(chosen, "proposed", comments=comments)


_NUMBER = r"(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|\.\d+)"
_OF = r"(?:\s*(?:(?:of|is|value|set to|at)\b|[=:]))*\s*"
_RULE_NUMBERS: tuple[tuple[str, str], ...] = (  # (what, pattern): what the report states about the rule
    ("meta_lr", rf"meta[- ]?(?:learner|learning|controller|policy|optimizer)?(?:'s)?\s+(?:learning[- ]rate|lr){_OF}{_NUMBER}"),
    ("threshold", rf"threshold{_OF}{_NUMBER}"),
    ("multiplier", rf"(?:multipl\w*|scal\w*)\s+(?:it\s+|the\s+(?:learning[- ]rate|lr)\s+)?by(?:\s+a\s+factor\s+of)?\s*{_NUMBER}(?!\s*%)"),
    ("multiplier", rf"(?:decay|reduction|decrease|adjustment)?\s*factor{_OF}{_NUMBER}(?!\s*%)"),
    ("percent", rf"(?:reduc|decreas|lower|cut)\w*\s+(?:it\s+|the\s+(?:learning[- ]rate|lr)\s+)?by\s+{_NUMBER}\s*%"),
    ("window", rf"window(?:\s+(?:size|length))?{_OF}(?:the\s+last\s+)?{_NUMBER}"),
    ("window", rf"(?:last|previous|past)\s+{_NUMBER}\s+(?:mini-?)?(?:batches|steps|iterations)"),
    ("interval", rf"every\s+{_NUMBER}\s+(?:iterations|steps|batches|mini-?batches|updates)"),
    ("interval", rf"(?:frequency|interval){_OF}{_NUMBER}(?:\s+(?:iterations|steps|batches))?"),
    ("patience", rf"patience{_OF}{_NUMBER}"),
)
# What each stated number becomes, per scheduler: (argument, conversion).
_ARGUMENTS: dict[str, dict[str, tuple[str, Any]]] = {
    "entropy": {"threshold": ("threshold", float), "multiplier": ("factor", float),
                "percent": ("factor", lambda p: 1 - p / 100), "interval": ("interval", int)},
    "performance": {"multiplier": ("decrease", float), "percent": ("decrease", lambda p: 1 - p / 100),
                    "patience": ("patience", int)},
    "gradvar": {"window": ("window", int), "percent": ("factor", lambda p: p / 100),
                "multiplier": ("factor", lambda m: 1 - m if m < 1 else m)},
    "curvature": {"interval": ("interval", int)},
    "meta": {"meta_lr": ("meta_lr", float)},
}


def rule_arguments(report: ParsedReport, choice: ScheduleChoice, optimizer: str, log: Decisions) -> None:
    """Fill ``choice.args`` with the numbers the report states for the rule, where they fit."""
    unknown = "\n".join(f"{s.label}: {s.value}" for s in report.hyperparameters if s.key is None)
    text = plain("\n".join((report.idea, report.methodology, report.objective, unknown,
                            *report.extra_sections.values())))
    seen: set[str] = set()
    for what, pattern in _RULE_NUMBERS:
        if what in seen:
            continue
        match = re.search(pattern, text, re.I)
        if match is None:
            continue
        seen.add(what)
        stated = match.group(0).strip()
        target = _ARGUMENTS.get(choice.name, {}).get(what)
        if target is None or target[0] not in schedule_arguments(choice.name):
            log.warn(f"the report's {stated!r}: {choice.name!r} has no argument it maps to")
            continue
        argument, convert = target
        value = convert(float(match.group(1)))
        problem = _check(choice.name, {**choice.args, argument: value})
        if problem:
            log.warn(f"the report's {stated!r} -> {argument} = {value:g}: {problem}; the default kept")
            continue
        choice.args[argument] = value
        choice.comments.append(log.decide(f"{argument} = {value:g}: the report's {stated!r}"))
    if choice.name == "curvature" and optimizer in ("adam", "adamw") and "rate_rule" in schedule_arguments("curvature"):
        choice.args["rate_rule"] = "quadratic_step"
        choice.comments.append(log.decide(
            "rate_rule = 'quadratic_step': lrlab's choice under Adam, whose preconditioning changes the "
            "effective curvature (the rate minimising the quadratic model along the update actually taken)"))


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
    text = plain("\n".join((report.title, report.idea, report.objective, report.methodology,
                            *report.extra_sections.values())))
    text = re.sub(r"\b(?:held|remains?|kept|keep|stays?|be|are|is)\s+constant\b", "", text, flags=re.I)
    found: list[tuple[int, str, str]] = []
    for name, pattern in BASELINES:
        match = re.search(pattern, text, re.I)
        if match and name in SCHEDULES:
            phrase = re.sub(r"^(?:e\.g\.,?|such as|like|including)\s*", "", match.group(0).strip(" ,:("))
            found.append((match.start(), name, phrase))
    for label, pattern in UNREGISTERED_BASELINES:
        match = re.search(pattern, text, re.I)
        if match:
            log.warn(f"baseline {label!r} ({match.group(0)!r}): no registered schedule; left out")
    if not found:
        comment = log.decide("baselines: the report names none; lrlab's default constant, step and cosine")
        return [ScheduleChoice(name, "baseline", comments=[comment] if name == "constant" else [])
                for name in DEFAULT_BASELINES]
    return [ScheduleChoice(name, "baseline", comments=[log.decide(f"baseline {name!r}: the report's {phrase!r}")])
            for _, name, phrase in sorted(found)]
