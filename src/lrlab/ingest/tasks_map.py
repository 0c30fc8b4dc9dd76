"""A report's data sets and models -> lrlab tasks and models.

A hub data set (CIFAR-10, IMDB, SQuAD v2, LibriSpeech) becomes its hub task only with
``budget="full"`` and only if that task is registered. Under ``budget="quick"`` the real data set
lrlab fetches that is closest runs instead (README, "Real data offline"): CIFAR-10 ->
``fashion_mnist_10k``, MNIST -> ``mnist5k``, IMDB and SST-2 -> ``rotten_tomatoes``, UCI Adult ->
``adult`` itself; AG News has no offline kin and runs as ``fortunes`` (other text, other topics:
a warning says so). QA and speech sets have no offline stand-in and are left out under
``budget="quick"``, with a warning. Data sets that stand for the same (task, model) pair become
one task.

Models: lrlab's builders by family; pretrained transformers by Hugging Face id on the tasks that
take one. Offline (quick) a named transformer runs as all-MiniLM-L6-v2, a smaller pretrained
transformer standing in for it, and a CNN or ResNet on the fetched image sets as the small one
sized for a CPU (LeNet-5, the small ResNet); with ``budget="full"`` the model the report names
(the id, or for BERT the original checkpoint of the size it states) runs itself. Nothing here
checks that data or weights are on this machine: that happens when the study starts.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from lrlab.ingest.decisions import Decisions
from lrlab.ingest.parse import NamedItem, ParsedReport
from lrlab.ingest.vocabulary import (
    BERT_BASE,
    FITS,
    NO_BUILDER_STANDIN,
    OFFLINE_PRETRAINED,
    PRETRAINED_FAMILIES,
    READS,
    TASK_DOMAIN,
    TRANSLATE,
    Domain,
    KnownDataset,
    KnownModel,
    bert_checkpoint,
    find_dataset,
    find_domain,
    find_hf_id,
    find_model,
)
from lrlab.tasks.models import MODELS
from lrlab.tasks.pretrained import MINILM
from lrlab.tasks.registry import TASKS, Task, get_task

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
    metric_comments: list[str] = field(default_factory=list)
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
            log.leave_out(f"data set {dataset.item.name!r}{hint}: not a data set lrlab knows (no registered task, "
                          f"no offline stand-in); left out", dataset.item.evidence)
    used_models: set[int] = set()
    tasks: list[TaskChoice] = []
    for dataset in mapped:
        assert dataset.task is not None
        models = _models_for(dataset, report.models, report.datasets)
        if not models:
            default = get_task(dataset.task).default_model
            comment = log.decide(f"{dataset.item.name}: the report names no model for it -> the task's "
                                 f"default model {default!r}", dataset.item.evidence)
            _add(tasks, dataset, default, None, [comment])
        for index, model in models:
            used_models.add(index)
            builder, comments = _choose_builder(model, dataset, budget, log)
            _add(tasks, dataset, builder, model.name, comments)
    for index, model in enumerate(report.models):
        if index not in used_models:
            log.leave_out(f"model {model.name!r}: no mapped data set it applies to; left out", model.evidence)
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
    registered = known.hub in TASKS
    if known.offline is not None and known.offline not in TASKS:  # an lrlab without that task
        known = dataclasses.replace(known, offline=None)
    full = f"; --budget full runs {known.hub!r} itself" if budget == "quick" and registered else ""
    if known.hub is None:
        choice.task, choice.why = known.offline, "the embedded task of that name"
    elif known.offline == known.hub and known.offline in TASKS:
        choice.task, choice.why = known.offline, known.why
    elif budget == "full" and registered:
        choice.task, choice.why = known.hub, "the registered task"
        if known.caveat:
            log.warn(f"{item.name} -> {known.hub}: {known.caveat}", item.evidence)
    elif known.offline is None:
        why = ("--budget quick runs offline, and lrlab has no offline stand-in for it; --budget full runs "
               f"the hub task {known.hub!r}" if budget == "quick" and registered else
               f"the hub task {known.hub!r} is not registered in this lrlab, and no offline task stands in for it")
        log.leave_out(f"{item.name} ({known.why}): left out: {why}", item.evidence)
    elif budget == "full":
        choice.task, choice.why = known.offline, f"hub task {known.hub!r} not available: offline stand-in, {known.why}"
        log.warn(f"{item.name}: the hub task {known.hub!r} is not registered in this lrlab (--budget full); "
                 f"the offline stand-in {known.offline!r} runs instead ({known.why})", item.evidence)
    else:
        choice.task, choice.why = known.offline, f"quick budget, real data offline: {known.why}{full}"
        if known.quick_caveat:
            log.warn(f"{item.name} -> {known.offline!r}: {known.quick_caveat}{full}", item.evidence)
    if choice.task is not None:
        log.decide(f"{item.name} -> {choice.task} ({choice.why})", item.evidence)
    return choice


def _fallback_datasets(datasets: list[DatasetChoice], log: Decisions) -> list[DatasetChoice]:
    """No data set mapped: stand-ins by the unknown data sets' domains, else digits."""
    offline = {"image": "digits", "sequence": "mnist1d", "text": "fortunes", "tabular": "breast_cancer"}
    chosen = []
    for dataset in datasets:
        task = offline.get(dataset.domain or "")
        if dataset.known is None and task is not None and all(task != c.task for c in chosen):
            dataset.task = task
            what = " (real English text, but 8 topics of quotes and jokes, not its labels)" if task == "fortunes" else ""
            dataset.why = log.warn(f"no data set of the report is one lrlab knows; {dataset.item.name!r} "
                                   f"({dataset.domain} data, by its description) runs as the stand-in {task!r}{what}",
                                   dataset.item.evidence)
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


def _models_for(dataset: DatasetChoice, models: list[NamedItem],
                datasets: list[NamedItem]) -> list[tuple[int, NamedItem]]:
    """The report's models for ``dataset``: named for it, else in its group, else of its domain.
    A model "for" something that is no data set of the report ("BERT for sentiment analysis")
    is matched as one named for nothing, by its group and domain."""
    indexed = list(enumerate(models))
    named = [(i, m) for i, m in indexed if any(_same(n, dataset.item) for n in m.applies_to)]
    if named:
        return named
    free = [(i, m) for i, m in indexed
            if not any(_same(n, d) for n in m.applies_to for d in datasets)]
    if dataset.item.group:
        group_domain = find_domain(dataset.item.group)
        grouped = [(i, m) for i, m in free if m.group and (
            m.group.lower() == dataset.item.group.lower()
            or (group_domain is not None and find_domain(m.group) == group_domain))]
        if grouped:
            return grouped
    reads = READS.get(dataset.domain, (dataset.domain,)) if dataset.domain else ()
    by_domain = [(i, m) for i, m in free if _model_domain(m) in reads]
    if by_domain:
        return by_domain
    if len(models) == 1 and free:
        return free
    generic = [(i, m) for i, m in free if (k := find_model(m.name)) is not None and k.domain is None]
    return generic if dataset.domain in ("tabular", None) else []


def _model_domain(model: NamedItem) -> Domain | None:
    known = find_model(model.name)
    if known is not None and known.domain is not None:
        return known.domain
    return find_domain(model.group) if model.group else None


# Under --budget quick, the models sized for a CPU on the fetched 28x28 image sets, for a report's
# CNN: lrlab's "cnn" costs 7.6 s an epoch on fashion_mnist_10k against LeNet-5's 1.3 (one thread).
QUICK_IMAGE_TASKS = ("fashion_mnist_10k", "mnist5k")


def _choose_builder(model: NamedItem, dataset: DatasetChoice, budget: Budget,
                    log: Decisions) -> tuple[str, list[str]]:
    assert dataset.task is not None
    at = model.evidence
    known: KnownModel | None = find_model(model.name) or find_model(model.detail)
    task = get_task(dataset.task)
    domain = TASK_DOMAIN.get(dataset.task)  # None for a hub task: its own model list decides
    fits = FITS[domain] if domain else task.models
    if task.takes_pretrained:
        pretrained = _choose_pretrained(model, known, dataset, task, budget, log)
        if pretrained is not None:
            return pretrained
    if known is None:
        default = task.default_model
        return default, [log.warn(f"model {model.name!r}: no builder lrlab knows; {dataset.task} runs its "
                                  f"default model {default!r} instead", at)]
    builder = known.builder or (known.key if known.key in MODELS else None)  # a builder added later
    if builder is None:
        standin = NO_BUILDER_STANDIN[domain] if domain else task.default_model
        return standin, [log.warn(f"model {model.name!r}: no builder in lrlab (a {known.key} model); "
                                  f"stand-in {standin!r} on {dataset.task}", at)]
    comments = []
    if budget == "quick" and known.quick and domain == "image":
        size = "8x8 digits are too small" if dataset.task == "digits" else "a CPU budget is too small"
        builder = known.quick
        comments.append(log.decide(f"{model.name} -> {builder!r}: quick budget, {size} for {known.builder!r}; "
                                   f"--budget full runs {known.builder!r}", at))
    elif budget == "quick" and builder == "cnn" and dataset.task in QUICK_IMAGE_TASKS:
        builder = "lenet5"
        comments.append(log.decide(f"{model.name} -> 'lenet5' (LeNet-5, the small CNN of lrlab's 28x28 image tasks): "
                                   f"quick budget, lrlab's 'cnn' costs about 6 times as much a step on "
                                   f"{dataset.task}; --budget full runs 'cnn'", at))
    if builder not in fits and builder not in task.models:
        translated = TRANSLATE.get((builder, domain)) if domain else None
        if translated is None:
            default = task.default_model
            return default, [log.warn(f"model {model.name!r} ({builder}) does not fit {dataset.task}'s "
                                      f"inputs; the task's default {default!r} instead", at)]
        comments.append(log.decide(f"{model.name} -> {translated!r}: the {domain} counterpart of {builder!r} "
                                   f"on {dataset.task}", at))
        return translated, comments
    if not comments:
        comments.append(log.decide(f"{model.name} -> model {builder!r}", at))
    return builder, comments


def _listed_pretrained(task: Task) -> str | None:
    """The Hugging Face model ``task`` lists (its default where that is one), or None."""
    listed = [m for m in (task.default_model, *task.models) if m not in MODELS]
    return listed[0] if listed else None


def _choose_pretrained(model: NamedItem, known: KnownModel | None, dataset: DatasetChoice, task: Task,
                       budget: Budget, log: Decisions) -> tuple[str, list[str]] | None:
    """The Hugging Face model that runs for ``model`` on ``task`` (which takes one), with its
    comments; None when ``model`` is no pretrained model for this data (lrlab's builders decide)."""
    hf_id = find_hf_id(model.code, model.name)
    if hf_id is None and (found := find_hf_id(model.detail)) and find_model(found) is not None:
        hf_id = found  # in the rest of the line, only an id of a family lrlab knows
    family = find_model(hf_id) if hf_id else known  # the id, when there is one, says what it is
    if hf_id is None and (family is None or family.key not in PRETRAINED_FAMILIES):
        return None
    reads = READS.get(dataset.domain, (dataset.domain,)) if dataset.domain else None
    if family is not None and family.domain is not None and reads is not None and family.domain not in reads:
        return None
    key = family.key if family is not None else None
    names = model.name + (f" ({hf_id})" if hf_id and hf_id not in model.name else "")
    if budget == "quick":  # offline: only a pretrained model whose weights lrlab has here
        offline = OFFLINE_PRETRAINED.get(TASK_DOMAIN.get(task.name, "image"))
        if offline is None:
            return None
        if offline == hf_id or key == "minilm":
            return offline, [log.decide(f"{names} -> {offline!r}", model.evidence)]
        log.warn(f"model {names!r}: not available offline (--budget quick); {offline!r} stands in on {task.name}",
                 model.evidence)
        return offline, [log.decide(
            f"{names} -> {offline!r} (all-MiniLM-L6-v2: 6 layers, 22.7 M parameters): a smaller pretrained "
            f"transformer standing in for the named one, the one whose weights lrlab has offline; "
            f"--budget full runs the named model, by the Hugging Face id the report gives or lrlab can tell", model.evidence)]
    if hf_id is not None:
        return hf_id, [log.decide(f"{names} -> {hf_id!r}: the Hugging Face model the report names", model.evidence)]
    listed = _listed_pretrained(task)
    if key == "minilm":
        return MINILM, [log.decide(f"{model.name} -> {MINILM!r}", model.evidence)]
    if key == "wav2vec2":
        if listed is None or "wav2vec2" not in listed:
            return None
        return listed, [log.decide(f"{model.name} -> {listed!r}: the report names no checkpoint; the one "
                                   f"{task.name} lists", model.evidence)]
    checkpoint = bert_checkpoint(f"{model.name} {model.detail}")
    if checkpoint is not None:
        return checkpoint, [log.decide(f"{model.name} -> {checkpoint!r}: the original BERT checkpoint of the "
                                       f"size it states (a Hugging Face id)", model.evidence)]
    if re.search(r"(?<![a-z])bert\b", model.name, re.I):  # BERT itself, of no stated size
        default = listed if listed is not None and "bert-" in listed else BERT_BASE
        return default, [log.decide(f"{model.name} -> {default!r}: the report states no size or checkpoint; "
                                    f"the BERT {task.name} lists" if default == listed else
                                    f"{model.name} -> {default!r}: the report states no size; BERT-base",
                                    model.evidence)]
    standin = listed or BERT_BASE
    return standin, [log.warn(f"model {model.name!r}: no Hugging Face id or checkpoint lrlab can tell from its "
                              f"name; the pretrained {standin!r} stands in on {task.name}", model.evidence)]


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
