"""A report's hyperparameters, metrics, convergence threshold and run count -> plan values.

Shared settings go to ``[defaults]``, settings stated per data set or model to that task's
``hparams``. ``budget="quick"`` caps epochs at :data:`QUICK_MAX_EPOCHS`; ``"full"`` keeps them.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from lrlab.ingest.decisions import Decisions
from lrlab.ingest.parse import ParsedReport, Setting
from lrlab.ingest.tasks_map import Budget, TaskChoice, names_unmatched, settings_apply
from lrlab.ingest.vocabulary import OPTIMIZER_WORDS, UNREGISTERED_OPTIMIZERS
from lrlab.study.plan import Hyperparameters
from lrlab.tasks.models import MODELS
from lrlab.tasks.pretrained import MINILM
from lrlab.tasks.registry import Task, get_task

QUICK_MAX_EPOCHS = 10
FINE_TUNING_LR = 5e-5  # a pretrained model's rate where the report states none (plans/minilm.toml's)
FINE_TUNING_MAX_LR = 1e-4  # above this a pretrained model's fine-tuning gets a warning
DEFAULT_SEEDS = 3
MAX_SEEDS = 20

# Settings lrlab knows but a plan has no field for, and why.
_NO_FIELD = {
    "max_sequence_length": "each task fixes its own sequence length",
    "image_size": "each task fixes its own input size",
    "gradient_clipping": "lrlab's training loop has no gradient clipping setting",
}
# lrlab's convergence targets per (task, model), then per task: reachable within the quick budget
# by a constant rate of 1e-3 with Adam (measured once on CPU), so time to target separates schedules.
TARGETS: dict[tuple[str, str | None], dict[str, float]] = {
    ("digits", "cnn"): {"accuracy": 0.9, "loss": 0.35},
    ("digits", "resnet_small"): {"accuracy": 0.97, "loss": 0.1},
    ("digits", None): {"accuracy": 0.9, "loss": 0.35},
    ("mnist1d", "cnn1d"): {"accuracy": 0.5, "loss": 1.3},
    ("mnist1d", "bilstm"): {"accuracy": 0.5, "loss": 1.3},
    ("mnist1d", "lstm_attention"): {"accuracy": 0.55, "loss": 1.25},
    ("mnist1d", "mlp"): {"accuracy": 0.45, "loss": 1.4},
    ("mnist1d", None): {"accuracy": 0.5, "loss": 1.3},
    ("breast_cancer", "fcnn"): {"accuracy": 0.95, "loss": 0.1, "roc_auc": 0.99},
    ("breast_cancer", None): {"accuracy": 0.95, "loss": 0.1, "roc_auc": 0.99},
    ("wine", "fcnn"): {"accuracy": 0.95, "loss": 0.5},
    ("wine", None): {"accuracy": 0.95, "loss": 0.5},
    # fortunes: constant 1e-3, Adam, batch 64, seeds 0 and 1, fp32 on an H200 (bilstm on CPU too, the
    # same epochs): reached at epochs 5-7 (bilstm, lstm_attention) and 1-3 (MiniLM, which reaches
    # them at epochs 2-3 at lrlab's fine-tuning rate 5e-5 as well).
    ("fortunes", "bilstm"): {"accuracy": 0.5, "loss": 1.35, "macro_f1": 0.4},
    ("fortunes", "lstm_attention"): {"accuracy": 0.5, "loss": 1.4, "macro_f1": 0.4},
    ("fortunes", MINILM): {"accuracy": 0.75, "loss": 0.85, "macro_f1": 0.7},
    ("fortunes", None): {"accuracy": 0.5, "loss": 1.35, "macro_f1": 0.4},
}
_METRIC_WORDS = (("roc_auc", r"\bauc\b|\broc\b"), ("macro_f1", r"\bf1\b|\bf-?score|\bf-?measure"),
                 ("accuracy", r"accura"), ("loss", r"\bloss\b"), ("exact", r"exact[- ]match|\bem\b"),
                 ("wer", r"\bwer\b|word[- ]error"), ("cer", r"\bcer\b|char(?:acter)?[- ]error"))
# What a classification metric becomes on a task with an objective of its own (one of its metrics
# says which): SQuAD's official scores, speech recognition's error rates. Missing: none applies.
_TRANSLATED: dict[str, dict[str, tuple[tuple[str, ...], str]]] = {
    "exact": {
        "accuracy": (("exact", "f1"), "extractive QA has no accuracy: exact match (the share of questions "
                                      "answered exactly, the nearest to accuracy) and F1, its official scores"),
        "macro_f1": (("f1",), "F1 on extractive QA is the official SQuAD token-overlap F1"),
    },
    "wer": {
        "accuracy": (("wer",), "speech recognition has no accuracy: word error rate (lower is better)"),
    },
}
_ANALYSIS = (  # metric lines that lrlab's analysis or records answer, not a plan metric
    (r"differen\w* between|\bgap\b|overfit|underfit", "the train/validation gap (lrlab's analysis)"),
    (r"varian\w*|stabilit\w*|fluctuat\w*", "stability over epochs (lrlab's analysis)"),
    (r"\btime\b|speed|convergence|epochs (?:to|required|needed)", "time and epochs to target (lrlab's analysis)"),
    (r"adjustment|learning[- ]rate (?:at|per|over|changes)", "learning-rate adjustments (the scheduler's log)"),
    (r"gradient norm|curvature|hessian|eigen", "the scheduler's signals (recorded per step where it measures them)"),
    (r"learning[- ]rate\b", "the learning rate per step (recorded)"),
)
_TARGET = re.compile(r"(?:reach|achiev|attain|hit)\w*\s+(?:a |the )?(?:predefined |pre-defined |target |given |"
                     r"certain |specific |fixed )?(?:validation |val |test )?(loss|accuracy|performance|f1|auc)"
                     r"|(?:validation |val )?(loss|accuracy) threshold", re.I)


def number(value: str) -> float | None:
    """The first number in ``value`` ("1e-3", "0.001 for all", "64"), percent as a fraction.

    Example:
        >>> number("`5e-4` (AdamW)"), number("50%"), number("none")
        (0.0005, 0.5, None)
    """
    match = re.search(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(\s*%)?", value)
    if not match:
        return None
    try:
        found = float(match.group(0).rstrip("% ").strip())
    except ValueError:
        return None
    return found / 100 if match.group(1) else found


def _value(setting: Setting, log: Decisions) -> tuple[str, Any] | None:
    """The plan field and value a setting stands for, or None (with a warning)."""
    key, raw = setting.key, setting.value
    where = f" ({', '.join(setting.applies_to)})" if setting.applies_to else ""
    if key is None:
        log.warn(f"setting {setting.label!r} = {raw!r}{where}: not a setting lrlab knows")
        return None
    if key in _NO_FIELD:
        log.warn(f"{setting.label} = {raw}{where}: no plan field ({_NO_FIELD[key]})")
        return None
    if key == "runs":
        return None  # read by the parser as the run count
    if key == "optimizer":
        for name, pattern in OPTIMIZER_WORDS:
            if re.search(rf"\b(?:{pattern})\b", raw, re.I):
                return "optimizer", name
        if re.search(UNREGISTERED_OPTIMIZERS, raw, re.I):
            log.warn(f"optimizer {raw!r}{where}: not registered in lrlab (adam, adamw, sgd); Adam used")
        else:
            log.warn(f"optimizer {raw!r}{where}: not an optimizer lrlab knows")
        return None
    found = number(raw)
    if found is None:
        log.warn(f"{setting.label} = {raw!r}{where}: no number in it")
        return None
    if len(set(re.findall(r"\d+\.?\d*(?:[eE][-+]?\d+)?", raw))) > 1:
        log.decide(f"{setting.label} = {raw!r}{where}: several numbers; the first, {found:g}, is used")
    if key in ("batch_size", "epochs", "warmup_steps"):
        return key, int(found)
    if key == "momentum":
        return "optimizer_args", {"momentum": found}
    return key, found


def _valid(field: str, value: Any) -> str | None:
    """Why ``value`` is not a valid ``field`` of :class:`Hyperparameters`, or None."""
    try:
        Hyperparameters(**{field: value})
    except ValidationError as error:
        return error.errors()[0]["msg"].removeprefix("Value error, ")
    return None


def map_hyperparameters(report: ParsedReport, tasks: list[TaskChoice], budget: Budget,
                        log: Decisions) -> tuple[dict[str, Any], dict[str, str]]:
    """``[defaults]`` values with a comment per key; per-task values go into each task's hparams."""
    defaults: dict[str, Any] = {}
    comments: dict[str, str] = {}
    for setting in report.hyperparameters:
        mapped = _value(setting, log)
        if mapped is None:
            continue
        field, value = mapped
        problem = _valid(field, value)
        if problem is not None:
            log.warn(f"{setting.label} = {setting.value!r}: {problem}; lrlab's default kept")
            continue
        said = f"report: {setting.label} {setting.value}"
        if not setting.applies_to:
            value, note = _scaled(field, value, budget)
            if field in defaults and defaults[field] != value:
                log.warn(f"{setting.label}: stated twice for all tasks ({defaults[field]!r}, {value!r}); the first kept")
                continue
            defaults[field] = value
            comments[field] = log.decide(f"{field} = {value!r} ({said}{note})")
            continue
        targets = [t for t in tasks if settings_apply(setting.applies_to, t)]
        for missing in names_unmatched(setting.applies_to, report):
            log.warn(f"{setting.label} {setting.value} for {missing!r}: names no data set or model of the report")
        if not targets and not names_unmatched(setting.applies_to, report):
            log.warn(f"{setting.label} {setting.value} for {', '.join(setting.applies_to)}: no mapped task it applies to")
        for task in targets:
            value_t, note = _scaled(field, value, budget)
            if field in task.hparams and task.hparams[field] != value_t:
                log.warn(f"{task.names()} (one task {task.label or task.task!r}): {setting.label} differs "
                         f"({task.hparams[field]!r} kept, {value_t!r} not)")
                continue
            if field not in task.hparams:
                task.hparams[field] = value_t
                task.hparam_comments.append(log.decide(
                    f"{task.label or task.task}: {field} = {value_t!r} ({said} for {', '.join(setting.applies_to)}{note})"))
    stated_lr = "lr" in defaults or any("lr" in t.hparams for t in tasks)  # the report's, valid
    for field, default in (("optimizer", "adam"), ("lr", 0.001), ("batch_size", 64), ("epochs", QUICK_MAX_EPOCHS)):
        if field not in defaults and not (tasks and all(field in t.hparams for t in tasks)):
            defaults[field] = default
            comments[field] = log.decide(f"{field} = {default!r}: not stated by the report; lrlab's default")
    if "optimizer_args" in defaults and defaults.get("optimizer") != "sgd":
        log.warn(f"momentum {defaults.pop('optimizer_args')['momentum']:g}: only SGD takes it here; not used")
        comments.pop("optimizer_args", None)
    _fine_tuning_rates(tasks, defaults, stated_lr, log)
    return defaults, comments


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


def task_metrics(task: Task, name: str) -> tuple[tuple[str, ...], str]:
    """What the metric ``name`` (a report's, as :data:`_METRIC_WORDS` reads it) is on ``task``:
    itself where the task takes it, its counterpart on a task with an objective (and why), or
    nothing.

    Example:
        >>> from lrlab.tasks.registry import get_task
        >>> task_metrics(get_task("squad_v2"), "accuracy")[0], task_metrics(get_task("wine"), "wer")
        (('exact', 'f1'), ((), ''))
    """
    if name in task.metric_choices:
        return (name,), ""
    for marker, translated in _TRANSLATED.items():
        if marker in task.metric_choices and name in translated:
            return translated[name]
    return (), ""


def map_metrics(report: ParsedReport, tasks: list[TaskChoice], log: Decisions) -> None:
    """Each task's metrics (the plan always adds loss, and accuracy where it applies; a task with
    an objective of its own gets its official scores) and its target."""
    wanted: dict[int, list[str]] = {id(t): [] for t in tasks}
    analysis: list[str] = []
    for line in report.metrics:
        if line.rstrip().endswith(":") and len(line.split()) <= 5:
            continue  # a group title ("Validation Metrics:")
        covered = next((what for pattern, what in _ANALYSIS if re.search(pattern, line, re.I)), None)
        names = [name for name, pattern in _METRIC_WORDS if re.search(pattern, line, re.I)]
        if covered and not re.search(r"\bfinal\b", line, re.I):
            if covered not in analysis:
                analysis.append(covered)
            continue
        if not names:
            log.warn(f"metric {line!r}: not a metric lrlab computes")
            continue
        named = [t for t in tasks if _mentions(line, t)]
        for name in names:
            taken = False
            for task in named or tasks:
                metrics, why = task_metrics(get_task(task.task), name)
                taken = taken or bool(metrics)
                if why:
                    task.metric_comments.append(log.decide(f"{task.label or task.task}: the report's "
                                                           f"{line.strip()!r} -> {', '.join(metrics)}: {why}"))
                elif not metrics and named:
                    log.warn(f"metric {line!r}: {name} does not apply to {task.task}; not measured there")
                wanted[id(task)].extend(m for m in metrics if m not in wanted[id(task)])
            if not taken and not named:
                log.warn(f"metric {line!r}: {name} applies to none of the plan's tasks; not measured")
    if analysis:
        log.decide("metrics answered by lrlab's analysis, not plan metrics: " + "; ".join(analysis))
    metric, evidence = _target_metric(report)
    for task in tasks:
        known = get_task(task.task)
        always = ["loss", "accuracy"] if known.classification else list(known.metrics)
        task.metrics = list(dict.fromkeys([*always, *wanted[id(task)]]))
        _set_target(task, metric, evidence, log)


def _mentions(line: str, task: TaskChoice) -> bool:
    """Whether a metric line names one of the data sets ``task`` stands for."""
    for dataset in task.datasets:
        if dataset.item.name.lower() in line.lower():
            return True
        if dataset.known is not None and re.search(rf"(?<![a-z0-9]){dataset.known.pattern}(?![a-z])", line, re.I):
            return True
    return False


def _target_metric(report: ParsedReport) -> tuple[str | None, str]:
    for text in (*report.metrics, report.methodology, report.objective):
        match = _TARGET.search(text)
        if match:
            word = (match.group(1) or match.group(2)).lower()
            return {"loss": "loss", "f1": "macro_f1", "auc": "roc_auc"}.get(word, "accuracy"), match.group(0)
    return None, ""


def _set_target(task: TaskChoice, metric: str | None, evidence: str, log: Decisions) -> None:
    measured = TARGETS.get((task.task, task.model))
    values = measured or TARGETS.get((task.task, None), {})
    chosen = metric if metric in values else "accuracy" if "accuracy" in values else None
    if chosen is None:
        if metric:
            log.warn(f"{task.label or task.task}: the report's {evidence!r}, but lrlab has no target value for "
                     f"{task.task}; the plan has no target there (add one by hand)")
        return
    task.target = {"metric": chosen, "value": values[chosen]}
    said = f"the report's {evidence!r}" if metric else "the report states no threshold"
    if metric and chosen != metric:
        said += f"; lrlab has no {metric} target for this task"
    how = (f"set so that a constant 1e-3 with Adam reaches it within {QUICK_MAX_EPOCHS} epochs" if measured
           else f"set for the task's usual models, not measured for {task.model!r}")
    task.target_comment = log.decide(
        f"{task.label or task.task}: target {chosen} {values[chosen]:g} ({said}; the value is lrlab's "
        f"choice for {task.task}, {how})")


def map_seeds(report: ParsedReport, log: Decisions) -> tuple[list[int], str]:
    if report.runs is None:
        return list(range(DEFAULT_SEEDS)), log.decide(
            f"seeds: the report gives no run count; {DEFAULT_SEEDS} seeds (lrlab's default)")
    runs = report.runs
    if runs > MAX_SEEDS:
        log.warn(f"run count {runs} ({report.runs_evidence!r}): capped at {MAX_SEEDS} seeds")
        runs = MAX_SEEDS
    if runs < 2:
        log.warn(f"run count {runs} ({report.runs_evidence!r}): one seed gives no paired test; kept as stated")
        runs = max(runs, 1)
    return list(range(runs)), log.decide(f"seeds: the report's {report.runs_evidence!r} -> {runs} seeds")
