"""A report's data sets and models -> lrlab tasks and model builders.

A hub data set (CIFAR-10, IMDB, UCI Adult) becomes its hub task only with ``budget="full"`` and
only if that task is registered; otherwise its closest embedded task stands in, and the plan says
so. Text data sets have no offline text task: they map onto MNIST-1D, a 1-D sequence task, so
that the report's recurrent models still run (the comment says it is not text). Data sets that
stand for the same (task, model) pair become one task.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from lrlab.ingest.decisions import Decisions
from lrlab.ingest.parse import NamedItem, ParsedReport
from lrlab.ingest.vocabulary import (
    FITS,
    NO_BUILDER_STANDIN,
    TASK_DOMAIN,
    TRANSLATE,
    Domain,
    KnownDataset,
    KnownModel,
    find_dataset,
    find_domain,
    find_model,
)
from lrlab.tasks.models import MODELS
from lrlab.tasks.registry import TASKS, get_task

Budget = Literal["quick", "full"]


@dataclass
class DatasetChoice:
    item: NamedItem
    known: KnownDataset | None
    domain: Domain | None
    task: str | None = None
    why: str = ""


@dataclass
class TaskChoice:
    """One ``[[tasks]]`` entry being built, with the comments that explain it."""

    task: str
    model: str
    datasets: list[DatasetChoice] = field(default_factory=list)
    model_names: list[str] = field(default_factory=list)  # the report's names for the model
    comments: list[str] = field(default_factory=list)
    hparams: dict[str, Any] = field(default_factory=dict)
    hparam_comments: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    target: dict[str, Any] | None = None
    target_comment: str = ""
    label: str | None = None

    def names(self) -> str:
        return ", ".join(d.item.name for d in self.datasets) or self.task


def map_tasks(report: ParsedReport, budget: Budget, log: Decisions) -> list[TaskChoice]:
    """One task per (lrlab task, builder) the report's data sets and models map onto."""
    datasets = [_choose_dataset(item, budget, log) for item in report.datasets]
    mapped = [d for d in datasets if d.task is not None] or _fallback_datasets(datasets, log)
    for dataset in datasets:
        if dataset.known is None and dataset not in mapped:
            hint = f" ({dataset.domain} data, by its description)" if dataset.domain else ""
            log.warn(f"data set {dataset.item.name!r}{hint}: not a data set lrlab knows (no registered task, "
                     f"no offline stand-in); left out")
    used_models: set[int] = set()
    tasks: list[TaskChoice] = []
    for dataset in mapped:
        assert dataset.task is not None
        models = _models_for(dataset, report.models)
        if not models:
            default = get_task(dataset.task).default_model
            comment = log.decide(f"{dataset.item.name}: the report names no model for it -> the task's "
                                 f"default model {default!r}")
            _add(tasks, dataset, default, None, [comment])
        for index, model in models:
            used_models.add(index)
            builder, comments = _choose_builder(model, dataset, budget, log)
            _add(tasks, dataset, builder, model.name, comments)
    for index, model in enumerate(report.models):
        if index not in used_models:
            log.warn(f"model {model.name!r}: no mapped data set it applies to; left out")
    repeated = {t.task for t in tasks if sum(u.task == t.task for u in tasks) > 1}
    for choice in tasks:
        if choice.task in repeated:
            choice.label = f"{choice.task}-{choice.model}"
    return tasks


def _choose_dataset(item: NamedItem, budget: Budget, log: Decisions) -> DatasetChoice:
    known = find_dataset(item.name) or (find_dataset(item.code) if item.code else None)
    domain = known.domain if known else find_domain(" ".join((item.group, item.name, item.detail)))
    choice = DatasetChoice(item, known, domain)
    if known is None:
        return choice  # left out, or a stand-in if nothing else maps: map_tasks says which
    if known.hub is None:
        choice.task, choice.why = known.offline, "the embedded task of that name"
    elif budget == "full" and known.hub in TASKS:
        choice.task, choice.why = known.hub, "the registered hub task"
    elif budget == "full":
        choice.task, choice.why = known.offline, f"hub task {known.hub!r} not available: offline stand-in, {known.why}"
        log.warn(f"{item.name}: the hub task {known.hub!r} is not registered in this lrlab (--budget full); "
                 f"the offline stand-in {known.offline!r} runs instead ({known.why})")
    else:
        choice.task, choice.why = known.offline, f"offline stand-in under --budget quick: {known.why}"
    if known.domain == "text" and choice.task == known.offline:
        log.warn(f"{item.name} (text): no offline text task; the stand-in {known.offline!r} is a 1-D "
                 f"sequence task, not text: it tests the scheduler with the report's model family, not on language")
    return choice


def _fallback_datasets(datasets: list[DatasetChoice], log: Decisions) -> list[DatasetChoice]:
    """No data set mapped: stand-ins by the unknown data sets' domains, else digits."""
    offline = {"image": "digits", "sequence": "mnist1d", "text": "mnist1d", "tabular": "breast_cancer"}
    chosen = []
    for dataset in datasets:
        if dataset.domain is not None and all(offline[dataset.domain] != c.task for c in chosen):
            dataset.task = offline[dataset.domain]
            dataset.why = log.warn(f"no data set of the report is one lrlab knows; {dataset.item.name!r} "
                                   f"({dataset.domain} data, by its description) runs as the stand-in {dataset.task!r}")
            chosen.append(dataset)
    if not chosen:
        item = NamedItem(name="digits", detail="lrlab's default stand-in")
        why = log.warn("the report names no data set lrlab can map; the plan runs lrlab's default "
                       "stand-in 'digits' (small image classification)")
        chosen.append(DatasetChoice(item, find_dataset("digits"), "image", "digits", why))
    return chosen


def _same(name: str, item: NamedItem) -> bool:
    """Whether ``name`` (from "... for X") refers to the data set or model ``item``."""
    a, b = name.lower().strip(), item.name.lower().strip()
    if not a or not b:
        return False
    for find in (find_dataset, find_model):
        x, y = find(a), find(b)
        if x is not None and y is not None:
            return x.key == y.key  # "MNIST" is not "Fashion-MNIST"
    return a == b or (len(a) >= 3 and (a in b or b in a))


def _models_for(dataset: DatasetChoice, models: list[NamedItem]) -> list[tuple[int, NamedItem]]:
    """The report's models for ``dataset``: named for it, else in its group, else of its domain."""
    indexed = list(enumerate(models))
    named = [(i, m) for i, m in indexed if any(_same(n, dataset.item) for n in m.applies_to)]
    if named:
        return named
    free = [(i, m) for i, m in indexed if not m.applies_to]
    if dataset.item.group:
        group_domain = find_domain(dataset.item.group)
        grouped = [(i, m) for i, m in free if m.group and (
            m.group.lower() == dataset.item.group.lower()
            or (group_domain is not None and find_domain(m.group) == group_domain))]
        if grouped:
            return grouped
    by_domain = [(i, m) for i, m in free if _model_domain(m) == dataset.domain and dataset.domain]
    if by_domain:
        return by_domain
    if len(models) == 1 and not models[0].applies_to:
        return indexed
    generic = [(i, m) for i, m in free if (k := find_model(m.name)) is not None and k.domain is None]
    return generic if dataset.domain in ("tabular", None) else []


def _model_domain(model: NamedItem) -> Domain | None:
    known = find_model(model.name)
    if known is not None and known.domain is not None:
        return known.domain
    return find_domain(model.group) if model.group else None


def _choose_builder(model: NamedItem, dataset: DatasetChoice, budget: Budget,
                    log: Decisions) -> tuple[str, list[str]]:
    assert dataset.task is not None
    known: KnownModel | None = find_model(model.name) or find_model(model.detail)
    task = get_task(dataset.task)
    domain = TASK_DOMAIN.get(dataset.task)  # None for a hub task: its own model list decides
    fits = FITS[domain] if domain else task.models
    if known is None:
        default = task.default_model
        return default, [log.warn(f"model {model.name!r}: no builder lrlab knows; {dataset.task} runs its "
                                  f"default model {default!r} instead")]
    builder = known.builder or (known.key if known.key in MODELS else None)  # a builder added later
    if builder is None:
        standin = NO_BUILDER_STANDIN[domain] if domain else task.default_model
        return standin, [log.warn(f"model {model.name!r}: no builder in lrlab (a {known.key} model); "
                                  f"stand-in {standin!r} on {dataset.task}")]
    comments = []
    if budget == "quick" and known.quick and dataset.task == "digits":
        builder = known.quick
        comments.append(log.decide(f"{model.name} -> {builder!r}: quick budget, 8x8 digits are too small "
                                   f"for {known.builder!r}"))
    if builder not in fits:
        translated = TRANSLATE.get((builder, domain)) if domain else None
        if translated is None:
            default = task.default_model
            return default, [log.warn(f"model {model.name!r} ({builder}) does not fit {dataset.task}'s "
                                      f"inputs; the task's default {default!r} instead")]
        comments.append(log.decide(f"{model.name} -> {translated!r}: the {domain} counterpart of {builder!r} "
                                   f"on {dataset.task}"))
        return translated, comments
    if not comments:
        comments.append(log.decide(f"{model.name} -> model {builder!r}"))
    return builder, comments


def _add(tasks: list[TaskChoice], dataset: DatasetChoice, builder: str, model_name: str | None,
         comments: list[str]) -> None:
    assert dataset.task is not None
    for choice in tasks:
        if (choice.task, choice.model) == (dataset.task, builder):
            if dataset not in choice.datasets:
                choice.datasets.append(dataset)
            if model_name and model_name not in choice.model_names:
                choice.model_names.append(model_name)
            return
    tasks.append(TaskChoice(dataset.task, builder, [dataset], [model_name] if model_name else [], list(comments)))


def settings_apply(names: tuple[str, ...], choice: TaskChoice) -> bool:
    """Whether a setting stated "for ``names``" applies to ``choice`` (by data set or by model)."""
    for name in names:
        if any(_same(name, d.item) for d in choice.datasets):
            return True
        if any(_same(name, NamedItem(model_name)) for model_name in choice.model_names):
            return True
    return False


def names_unmatched(names: tuple[str, ...], report: ParsedReport) -> list[str]:
    """The names in ``names`` that are neither a data set nor a model of the report."""
    items = [*report.datasets, *report.models]
    return [n for n in names if not any(_same(n, item) for item in items)
            and not re.fullmatch(r"(?:all )?(?:models?|data ?sets?|tasks?)", n.lower())]
