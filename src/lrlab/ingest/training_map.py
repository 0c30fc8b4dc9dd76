"""A report's hyperparameters and run count -> plan values (its metrics and targets:
:mod:`~lrlab.ingest.metrics_map`).

Shared settings go to ``[defaults]``, settings stated per data set or model to that task's
``hparams``. ``budget="quick"`` caps epochs at :data:`QUICK_MAX_EPOCHS`; ``"full"`` keeps them.
A value that is no finite number, or out of the range a setting can take, is a
:class:`~lrlab.ingest.quantities.QuantityError` naming its line: the plan is not written.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from lrlab.ingest.decisions import Decisions, Evidence
from lrlab.ingest.parse import ParsedReport, Setting
from lrlab.ingest.quantities import QuantityError, first_number, numbers, span
from lrlab.ingest.tasks_map import Budget, TaskChoice, names_unmatched, settings_apply
from lrlab.ingest.vocabulary import OPTIMIZER_WORDS, UNREGISTERED_OPTIMIZERS
from lrlab.study.plan import Hyperparameters
from lrlab.tasks.models import MODELS

QUICK_MAX_EPOCHS = 10
FINE_TUNING_LR = 5e-5  # a pretrained model's rate where the report states none (plans/minilm.toml's)
FINE_TUNING_MAX_LR = 1e-4  # above this a pretrained model's fine-tuning gets a warning
DEFAULT_SEEDS = 3
MAX_SEEDS = 20
# The values a report's setting may take (beyond the plan's own checks): a value outside is an error
# of the report, said with its line, not a plan with an absurd or infinite number in it.
LIMITS: dict[str, tuple[float, float]] = {
    "lr": (0.0, 100.0), "batch_size": (1, 10_000_000), "epochs": (1, 1_000_000), "weight_decay": (0.0, 10.0),
    "dropout": (0.0, 1.0), "momentum": (0.0, 1.0), "warmup_steps": (0, 1_000_000_000),
}

# Settings lrlab knows but a plan has no field for, and why.
_NO_FIELD = {
    "max_sequence_length": "each task fixes its own sequence length",
    "image_size": "each task fixes its own input size",
    "gradient_clipping": "lrlab's training loop has no gradient clipping setting",
}
def number(value: str) -> float | None:
    """The first number in ``value`` ("1e-3", "0.001 for all", "64"), percent as a fraction;
    :class:`~lrlab.ingest.quantities.QuantityError` for one no plan can hold.

    Example:
        >>> number("`5e-4` (AdamW)"), number("50%"), number("none")
        (0.0005, 0.5, None)
    """
    found = first_number(value)
    return None if found is None else found.value


def _value(setting: Setting, log: Decisions,
           ranges: dict[str, tuple[float, float, Evidence]]) -> tuple[str, Any] | None:
    """The plan field and value a setting stands for, or None (left out, with its line)."""
    key, raw, at = setting.key, setting.value, setting.evidence
    where = f" ({', '.join(setting.applies_to)})" if setting.applies_to else ""
    if key is None:
        log.leave_out(f"setting {setting.label!r} = {raw!r}{where}: not a setting lrlab knows", at)
        return None
    if key in _NO_FIELD:
        log.leave_out(f"{setting.label} = {raw}{where}: no plan field ({_NO_FIELD[key]})", at)
        return None
    if key == "runs":
        return None  # read by the parser as the run count
    if key == "optimizer":
        for name, pattern in OPTIMIZER_WORDS:
            if re.search(rf"\b(?:{pattern})\b", raw, re.I):
                return "optimizer", name
        if re.search(UNREGISTERED_OPTIMIZERS, raw, re.I):
            log.leave_out(f"optimizer {raw!r}{where}: not registered in lrlab (adam, adamw, sgd); Adam used", at)
        else:
            log.leave_out(f"optimizer {raw!r}{where}: not an optimizer lrlab knows", at)
        return None
    try:
        found = first_number(raw)
        ranged = span(raw)
    except QuantityError as error:
        raise QuantityError(f"{setting.label} = {_shown(raw)}: {error}", setting.line) from None
    if found is None:
        log.leave_out(f"{setting.label} = {raw!r}{where}: no number in it", at)
        return None
    value: float = found.value
    if ranged is not None and key == "lr" and not setting.applies_to and ranged.low > 0:
        value = ranged.middle(log=True)
        ranges["lr"] = (float(ranged.low), float(ranged.high), at)
        log.decide(f"{setting.label} = {raw!r}: a range; the as-given track runs its geometric middle "
                   f"{value:g}, the tuned track searches [{ranged.low:g}, {ranged.high:g}]", at)
    elif len({n.text for n in numbers(raw)}) > 1:
        log.decide(f"{setting.label} = {raw!r}{where}: several numbers; the first, {value:g}, is used", at)
    _check_limits(key, value, setting)
    if key in ("batch_size", "epochs", "warmup_steps"):
        if value != int(value):
            raise QuantityError(f"{setting.label} = {_shown(raw)}: {key} must be a whole number", setting.line)
        return key, int(value)
    if key == "momentum":
        return "optimizer_args", {"momentum": float(value)}
    return key, float(value)


def _shown(raw: str) -> str:
    return repr(raw if len(raw) <= 40 else f"{raw[:20]}...{raw[-8:]}")


def _check_limits(key: str, value: float, setting: Setting) -> None:
    low, high = LIMITS.get(key, (float("-inf"), float("inf")))
    open_low = key in ("lr",)
    open_high = key in ("dropout", "momentum")
    if value < low or value > high or (open_low and value == low) or (open_high and value == high):
        shown = f"({low:g}, {high:g}]" if open_low else f"[{low:g}, {high:g})" if open_high else f"[{low:g}, {high:g}]"
        raise QuantityError(f"{setting.label} = {_shown(setting.value)}: {key} must be in {shown}, got {value:g}",
                            setting.line)


def _valid(field: str, value: Any) -> str | None:
    """Why ``value`` is not a valid ``field`` of :class:`Hyperparameters`, or None."""
    try:
        Hyperparameters(**{field: value})
    except ValidationError as error:
        return error.errors()[0]["msg"].removeprefix("Value error, ")
    return None


def map_hyperparameters(report: ParsedReport, tasks: list[TaskChoice], budget: Budget, log: Decisions
                        ) -> tuple[dict[str, Any], dict[str, str], dict[str, tuple[float, float, Evidence]]]:
    """``[defaults]`` values with a comment per key (per-task values go into each task's hparams),
    and the ranges the report states for a setting the tuned track searches (the rate)."""
    defaults: dict[str, Any] = {}
    comments: dict[str, str] = {}
    sources: dict[str, Evidence] = {}
    ranges: dict[str, tuple[float, float, Evidence]] = {}
    for setting in report.hyperparameters:
        mapped = _value(setting, log, ranges)
        if mapped is None:
            continue
        field, value = mapped
        problem = _valid(field, value)
        if problem is not None:
            raise QuantityError(f"{setting.label} = {_shown(setting.value)}: {problem}", setting.line)
        said = f"report: {setting.label} {setting.value}"
        at = setting.evidence
        if not setting.applies_to:
            value, note = _scaled(field, value, budget)
            if field in defaults and defaults[field] != value:
                log.leave_out(f"{setting.label}: stated twice for all tasks ({defaults[field]!r} at "
                              f"{sources[field].where()}, {value!r}); the first kept", at)
                continue
            if field not in defaults:
                defaults[field], sources[field] = value, at
                if field != "optimizer_args":  # momentum: decided once the optimizer is known
                    comments[field] = log.decide(f"{field} = {value!r} ({said}{note})", at)
            else:
                log.decide(f"{field} = {value!r} again ({said})", at)
            continue
        targets = [t for t in tasks if settings_apply(setting.applies_to, t)]
        unmatched = names_unmatched(setting.applies_to, report)
        for missing in unmatched:
            log.warn(f"{setting.label} {setting.value} for {missing!r}: names no data set or model of the report")
        if not targets:
            log.leave_out(f"{setting.label} {setting.value} for {', '.join(setting.applies_to)}: no mapped task it "
                          f"applies to", at)
        for task in targets:
            value_t, note = _scaled(field, value, budget)
            if field in task.hparams and task.hparams[field] != value_t:
                log.warn(f"{task.names()} (one task {task.label or task.task!r}): {setting.label} differs "
                         f"({task.hparams[field]!r} kept, {value_t!r} not)", at)
                continue
            if field not in task.hparams:
                task.hparams[field] = value_t
                task.hparam_comments.append(log.decide(
                    f"{task.label or task.task}: {field} = {value_t!r} ({said} for {', '.join(setting.applies_to)}{note})",
                    at))
    stated_lr = "lr" in defaults or any("lr" in t.hparams for t in tasks)  # the report's, valid
    for field, default in (("optimizer", "adam"), ("lr", 0.001), ("batch_size", 64), ("epochs", QUICK_MAX_EPOCHS)):
        if field not in defaults and not (tasks and all(field in t.hparams for t in tasks)):
            defaults[field] = default
            comments[field] = log.decide(f"{field} = {default!r}: not stated by the report; lrlab's default")
    if "optimizer_args" in defaults:
        momentum = defaults["optimizer_args"]["momentum"]
        if defaults.get("optimizer") == "sgd":
            comments["optimizer_args"] = log.decide(f"optimizer_args = {{ momentum = {momentum:g} }} (report: "
                                                    f"momentum {momentum:g}, for SGD)", sources["optimizer_args"])
        else:
            del defaults["optimizer_args"]
            log.leave_out(f"momentum {momentum:g}: only SGD takes it here; not used", sources["optimizer_args"])
    _fine_tuning_rates(tasks, defaults, stated_lr, log)
    return defaults, comments, ranges


def _fine_tuning_rates(tasks: list[TaskChoice], defaults: dict[str, Any], stated_lr: bool, log: Decisions) -> None:
    """A pretrained model fine-tunes at a rate far below lrlab's default 1e-3: it gets
    :data:`FINE_TUNING_LR` where the report states no rate, and a warning where the report's rate
    is above :data:`FINE_TUNING_MAX_LR`."""
    for task in tasks:
        if task.model in MODELS:
            continue
        name = task.label or task.task
        if not stated_lr and "lr" not in task.hparams:
            task.hparams["lr"] = FINE_TUNING_LR
            task.hparam_comments.append(log.decide(
                f"{name}: lr = {FINE_TUNING_LR:g} (the report states no learning rate; lrlab's choice for "
                f"fine-tuning the pretrained {task.model!r}, not its default {defaults['lr']:g})"))
            continue
        lr = task.hparams.get("lr", defaults.get("lr"))
        if isinstance(lr, float) and lr > FINE_TUNING_MAX_LR:
            log.warn(f"{name}: learning rate {lr:g} for the pretrained {task.model!r}: fine-tuning usually runs "
                     f"at 1e-5 to 1e-4, and higher rates can undo it late in training (MiniLM at 1e-3 on "
                     f"fortunes fell from 0.77 to 0.50 validation accuracy by epoch 10 on one seed of two); "
                     f"kept as the report states")


def _scaled(field: str, value: Any, budget: Budget) -> tuple[Any, str]:
    if field == "epochs" and budget == "quick" and value > QUICK_MAX_EPOCHS:
        return QUICK_MAX_EPOCHS, f"; quick budget: at most {QUICK_MAX_EPOCHS} epochs, --budget full keeps {value}"
    return value, ""


def map_seeds(report: ParsedReport, log: Decisions) -> tuple[list[int], str]:
    if report.runs is None:
        return list(range(DEFAULT_SEEDS)), log.decide(
            f"seeds: the report gives no run count; {DEFAULT_SEEDS} seeds (lrlab's default)")
    at = Evidence(report.runs_line, report.runs_evidence)
    runs = report.runs
    if runs > MAX_SEEDS:
        log.warn(f"run count {runs} ({report.runs_evidence!r}): capped at {MAX_SEEDS} seeds", at)
        runs = MAX_SEEDS
    if runs < 2:
        log.warn(f"run count {runs} ({report.runs_evidence!r}): one seed gives no paired test; kept as stated", at)
        runs = max(runs, 1)
    return list(range(runs)), log.decide(f"seeds: the report's {report.runs_evidence!r} -> {runs} seeds", at)
