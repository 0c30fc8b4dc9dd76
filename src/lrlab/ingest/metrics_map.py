"""A report's metrics and convergence threshold -> each task's metrics and target.

A metric the report names is the task's where the task computes it, its counterpart where the
task has an objective of its own (SQuAD's exact match and F1, speech's error rates), and left out
(with its line) where none applies; lines about convergence, stability or the gap are answered by
lrlab's analysis. Targets are lrlab's, measured per (task, model): the report states a threshold
(which metric), never its value.
"""

from __future__ import annotations

import re

from lrlab.ingest.decisions import Decisions, Evidence
from lrlab.ingest.parse import ParsedReport
from lrlab.ingest.tasks_map import TaskChoice
from lrlab.ingest.training_map import QUICK_MAX_EPOCHS
from lrlab.tasks.pretrained import MINILM
from lrlab.tasks.registry import Task, get_task

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
    # The fetched real data sets (--budget quick): constant 1e-3, Adam, batch 64, 10 epochs, seeds 0 and 1,
    # one thread of this 2-core CPU; each reached by both seeds within epochs 2-7 (adult within 1-4: it
    # converges at once; rotten_tomatoes within 2-4, after which its validation loss rises: it overfits).
    # Not measured: MiniLM on rotten_tomatoes (the task's values stand, and the comment says so).
    ("adult", "fcnn"): {"accuracy": 0.857, "loss": 0.313, "roc_auc": 0.911},
    ("adult", "mlp"): {"accuracy": 0.857, "loss": 0.313, "roc_auc": 0.911},
    ("adult", None): {"accuracy": 0.857, "loss": 0.313, "roc_auc": 0.911},
    ("mnist5k", "lenet5"): {"accuracy": 0.93, "loss": 0.25},
    ("mnist5k", "cnn"): {"accuracy": 0.9, "loss": 0.35},
    ("mnist5k", "mlp"): {"accuracy": 0.91, "loss": 0.32},
    ("mnist5k", None): {"accuracy": 0.93, "loss": 0.25},
    ("fashion_mnist_10k", "lenet5"): {"accuracy": 0.83, "loss": 0.45},
    ("fashion_mnist_10k", "mlp"): {"accuracy": 0.84, "loss": 0.43},
    ("fashion_mnist_10k", "cnn"): {"accuracy": 0.8, "loss": 0.55},
    ("fashion_mnist_10k", "resnet_small"): {"accuracy": 0.83, "loss": 0.46},
    ("fashion_mnist_10k", None): {"accuracy": 0.83, "loss": 0.45},
    ("rotten_tomatoes", "bilstm"): {"accuracy": 0.715, "loss": 0.56, "macro_f1": 0.7, "roc_auc": 0.8},
    ("rotten_tomatoes", "lstm_attention"): {"accuracy": 0.72, "loss": 0.58, "macro_f1": 0.7, "roc_auc": 0.79},
    ("rotten_tomatoes", "gru_attention"): {"accuracy": 0.72, "loss": 0.58, "macro_f1": 0.7, "roc_auc": 0.79},
    ("rotten_tomatoes", None): {"accuracy": 0.715, "loss": 0.56, "macro_f1": 0.7, "roc_auc": 0.8},
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
    for phrase in report.metrics:
        line, at = phrase.text, Evidence(phrase.line, phrase.text)
        if line.rstrip().endswith(":") and len(line.split()) <= 5:
            continue  # a group title ("Validation Metrics:")
        covered = next((what for pattern, what in _ANALYSIS if re.search(pattern, line, re.I)), None)
        names = [name for name, pattern in _METRIC_WORDS if re.search(pattern, line, re.I)]
        if covered and not re.search(r"\bfinal\b", line, re.I):
            if covered not in analysis:
                analysis.append(covered)
            continue
        if not names:
            log.leave_out(f"metric {line!r}: not a metric lrlab computes", at)
            continue
        named = [t for t in tasks if _mentions(line, t)]
        for name in names:
            taken = False
            for task in named or tasks:
                metrics, why = task_metrics(get_task(task.task), name)
                taken = taken or bool(metrics)
                if why:
                    task.metric_comments.append(log.decide(f"{task.label or task.task}: the report's "
                                                           f"{line.strip()!r} -> {', '.join(metrics)}: {why}", at))
                elif metrics:
                    log.decide(f"metric {line!r} -> {', '.join(metrics)} on {task.label or task.task}", at)
                elif named:
                    log.warn(f"metric {line!r}: {name} does not apply to {task.task}; not measured there", at)
                wanted[id(task)].extend(m for m in metrics if m not in wanted[id(task)])
            if not taken and not named:
                log.leave_out(f"metric {line!r}: {name} applies to none of the plan's tasks; not measured", at)
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
    for text in (*(p.text for p in report.metrics), report.methodology, report.objective):
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
