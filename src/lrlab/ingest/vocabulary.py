"""What lrlab recognises in a report's words: data sets, models, baselines, ideas, settings.

Plain tables, so that adding a data set or a synonym is one line. Patterns are matched
case-insensitively on words the parser has already stripped of markdown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Domain = Literal["image", "text", "tabular", "sequence"]


@dataclass(frozen=True)
class KnownDataset:
    """A data set a report may name, and where it goes in lrlab.

    ``hub`` is the task name it would have as a hub task (used with ``--budget full`` only if
    that task is registered); ``offline`` is the embedded task that stands in for it offline.
    """

    key: str
    pattern: str
    domain: Domain
    hub: str | None
    offline: str
    why: str  # why the offline task is the closest, for the plan's comment


DATASETS: tuple[KnownDataset, ...] = (
    # Hub data sets, and their closest embedded stand-in.
    KnownDataset("cifar10", r"cifar[- ]?10(?!\d)", "image", "cifar10", "digits", "small image classification, 10 classes"),
    KnownDataset("cifar100", r"cifar[- ]?100", "image", "cifar100", "digits", "small image classification"),
    KnownDataset("fashion_mnist", r"fashion[- ]?mnist", "image", "fashion_mnist", "digits", "small grey image classification, 10 classes"),
    KnownDataset("mnist", r"mnist(?![- ]?1d)", "image", "mnist", "digits", "handwritten digits, 10 classes (8x8 instead of 28x28)"),
    KnownDataset("svhn", r"svhn|street view house numbers", "image", "svhn", "digits", "digit images, 10 classes"),
    KnownDataset("imdb", r"imdb", "text", "imdb", "mnist1d", "a 1-D sequence task, not text"),
    KnownDataset("sst2", r"sst[- ]?2|stanford sentiment", "text", "sst2", "mnist1d", "a 1-D sequence task, not text"),
    KnownDataset("ag_news", r"ag[ _-]?news", "text", "ag_news", "mnist1d", "a 1-D sequence task, not text"),
    KnownDataset("yelp", r"yelp", "text", "yelp_polarity", "mnist1d", "a 1-D sequence task, not text"),
    KnownDataset("adult", r"(?:uci )?adult|census income", "tabular", "adult", "breast_cancer", "tabular binary classification (ROC-AUC applies)"),
    KnownDataset("iris", r"iris", "tabular", "iris", "wine", "small tabular multi-class classification"),
    # The embedded tasks themselves, by their own names (after the hub sets: "MNIST digits" is MNIST).
    KnownDataset("mnist1d", r"mnist[- ]?1d", "sequence", None, "mnist1d", "the embedded task itself"),
    KnownDataset("digits", r"(?:sklearn|scikit-learn)?\s*digits", "image", None, "digits", "the embedded task itself"),
    KnownDataset("breast_cancer", r"breast[- ]cancer|wdbc|wisconsin", "tabular", None, "breast_cancer", "the embedded task itself"),
    KnownDataset("wine", r"(?:uci )?wine(?: recognition)?", "tabular", None, "wine", "the embedded task itself"),
)


def find_dataset(words: str) -> KnownDataset | None:
    """The known data set ``words`` name (the first in table order), or None."""
    for known in DATASETS:
        if re.search(rf"(?<![a-z0-9]){known.pattern}(?![a-z])", words, re.I):
            return known
    return None


@dataclass(frozen=True)
class KnownModel:
    """A model family a report may name. ``builder`` is None when lrlab has no builder for it;
    ``standin`` then says which builder runs in its place, per task domain."""

    key: str
    pattern: str
    domain: Domain | None  # the data it is made for; None: any
    builder: str | None
    quick: str | None = None  # a smaller builder under --budget quick (e.g. ResNet-18 on 8x8 images)


MODELS: tuple[KnownModel, ...] = (
    KnownModel("vit", r"vit\b|vision transformer", "image", None),
    KnownModel("bert", r"bert|roberta|transformer|gpt|llama|t5\b", "text", None),
    KnownModel("resnet18", r"resnet[- ]?18", "image", "resnet18", "resnet_small"),
    KnownModel("resnet50", r"resnet[- ]?50", "image", "resnet50", "resnet_small"),
    KnownModel("resnet", r"resnet|residual network", "image", "resnet18", "resnet_small"),
    KnownModel("other_cnn", r"vgg|efficientnet|mobilenet|densenet|alexnet|inception", "image", None),
    KnownModel("lstm_attention", r"lstm\b.{0,30}attention|attention.{0,30}lstm", "text", "lstm_attention"),
    KnownModel("gru_attention", r"gru\b", "text", "gru_attention"),
    KnownModel("bilstm", r"bi-?lstm|bidirectional lstm|lstm", "text", "bilstm"),
    KnownModel("cnn1d", r"1-?d cnn|cnn[- ]?1d|1-?d conv", "sequence", "cnn1d"),
    KnownModel("cnn", r"cnn|convolutional", "image", "cnn"),
    KnownModel("mlp", r"mlp|multi-?layer perceptron", None, "mlp"),
    KnownModel("fcnn", r"fcnn|fully[- ]connected|feed-?forward|dense (?:neural )?network", None, "fcnn"),
)


def find_model(words: str) -> KnownModel | None:
    """The known model family ``words`` name (the first in table order), or None."""
    for known in MODELS:
        if re.search(rf"(?<![a-z0-9]){known.pattern}", words, re.I):
            return known
    return None


# Which builders fit which embedded task's inputs, and what a builder becomes on another task.
TASK_DOMAIN: dict[str, Domain] = {"digits": "image", "mnist1d": "sequence", "breast_cancer": "tabular", "wine": "tabular"}
FITS: dict[str, tuple[str, ...]] = {
    "image": ("cnn", "resnet_small", "resnet18", "resnet50", "mlp", "fcnn"),
    "sequence": ("cnn1d", "bilstm", "lstm_attention", "gru_attention", "mlp", "fcnn"),
    "tabular": ("fcnn", "mlp"),
}
TRANSLATE: dict[tuple[str, str], str] = {  # (builder, task domain) -> the builder that fits
    ("cnn", "sequence"): "cnn1d", ("resnet_small", "sequence"): "cnn1d", ("resnet18", "sequence"): "cnn1d",
    ("cnn1d", "image"): "cnn", ("bilstm", "image"): "cnn", ("lstm_attention", "image"): "cnn",
    ("gru_attention", "image"): "cnn",
}
# When a report's model has no builder: what runs in its place, by the task's domain.
NO_BUILDER_STANDIN: dict[str, str] = {"image": "cnn", "sequence": "lstm_attention", "tabular": "fcnn"}

DOMAIN_WORDS: tuple[tuple[Domain, str], ...] = (
    ("image", r"image|vision|visual|picture|cnn|convolution"),
    ("text", r"text|sentiment|nlp|natural language|language|review|token|sentence"),
    ("tabular", r"tabular|table|census|structured"),
)


def find_domain(words: str) -> Domain | None:
    for domain, pattern in DOMAIN_WORDS:
        if re.search(pattern, words, re.I):
            return domain
    return None


# The proposed scheduler: keyword evidence for each idea (pattern, weight).
IDEAS: dict[str, tuple[tuple[str, float], ...]] = {
    "entropy": ((r"entrop\w*", 2), (r"uncertain\w*", 2), (r"confidence", 1), (r"predictive distribution", 1)),
    "performance": ((r"real[- ]time performance", 3), (r"performance of the model", 2),
                    (r"validation (?:loss|accuracy|metric\w*|performance)", 1), (r"overfitting", 1),
                    (r"underfitting", 1)),
    "gradvar": ((r"gradient (?:variability|variance|noise)", 3), (r"variability of (?:the )?gradients?", 3),
                (r"variance of (?:the )?gradients?", 3), (r"gradient distribution", 1), (r"variability", 1)),
    "meta": ((r"meta[- ]?learn\w*", 3), (r"reinforcement learning", 3), (r"meta[- ]?learner", 2),
             (r"learned (?:controller|policy)", 2), (r"\breward\w*", 1), (r"\bpolicy\b", 1)),
    "curvature": ((r"loss landscape", 3), (r"curvature", 2), (r"hessian", 2), (r"second[- ]order", 1),
                  (r"eigenvalue\w*", 1), (r"sharpness", 1)),
}
IDEA_FALLBACK_ORDER = ("performance", "entropy", "gradvar", "curvature", "meta")

# Baselines by their registry names; "constant" only where it names a schedule, not
# "held constant across runs".
BASELINES: tuple[tuple[str, str], ...] = (
    ("constant", r"constant (?:learning[- ]rate|lr|rate|schedul\w*|baseline)|fixed (?:learning[- ]rate|lr)"
                 r"|(?:e\.g\.,?|such as|like|including|:|\() ?constant\b|\bconstant,"),
    ("step", r"step[- ]?(?:decay|lr|wise|schedul\w*)"),
    ("cosine", r"cosine"),
    ("plateau", r"reducelronplateau|reduce[- ]?(?:lr[- ]?)?on[- ]?plateau|plateau"),
    ("linear", r"linear (?:warm-?up|decay)|warm-?up (?:and|then|with) linear"),
    ("onecycle", r"one[- ]?cycle|1[- ]?cycle"),
)
UNREGISTERED_BASELINES: tuple[tuple[str, str], ...] = (
    ("exponential decay", r"exponential (?:decay|lr|schedul\w*)"),
    ("cyclical learning rates", r"cyclic(?:al)? (?:learning rate|lr)"),
    ("polynomial decay", r"polynomial decay"),
    ("warm restarts (SGDR)", r"warm restarts|sgdr"),
    ("inverse square root", r"inverse square[- ]root"),
)

OPTIMIZER_WORDS: tuple[tuple[str, str], ...] = (
    ("adamw", r"adamw"), ("adam", r"adam"), ("sgd", r"sgd|stochastic gradient descent"),
)
UNREGISTERED_OPTIMIZERS = r"rmsprop|adagrad|adadelta|lamb|lion|nadam|radam|adafactor"

# Hyperparameter names (full match on the lower-cased key, parentheses removed).
HPARAMS: tuple[tuple[str, str], ...] = (
    ("batch_size", r"(?:mini-?|training |train )?batch(?:[- ]size)?(?: per device)?"),
    ("lr", r"(?:initial |base |starting |default |peak |max(?:imum)? )?(?:learning[- ]rate|lr)"),
    ("epochs", r"(?:number of |num |total |training |max(?:imum)? )?(?:training )?epochs?"),
    ("weight_decay", r"weight[- ]decay(?: coefficient| rate)?|l2(?: regulari[sz]ation| penalty)?(?: coefficient)?"),
    ("dropout", r"dropout(?: rate| probability)?"),
    ("optimizer", r"optimi[sz]er|optimi[sz]ation algorithm"),
    ("momentum", r"momentum"),
    ("warmup_steps", r"(?:linear )?warm-?up(?: steps)?"),
    ("runs", r"(?:number of )?(?:runs|seeds|random seeds|repetitions|trials per (?:setting|schedule))"),
    ("max_sequence_length", r"max(?:imum)? (?:sequence |seq |input )?length|sequence length"),
    ("image_size", r"image size|input size|(?:image )?resolution"),
    ("gradient_clipping", r"grad(?:ient)? clip\w*(?: norm)?|max grad(?:ient)? norm"),
)


def find_hparam(key: str) -> str | None:
    """The canonical name of a hyperparameter key, or None when lrlab does not know it.

    Example:
        >>> find_hparam("Initial Learning Rate"), find_hparam("Meta-learner learning rate")
        ('lr', None)
    """
    words = re.sub(r"\([^)]*\)", "", key).strip().lower()
    words = re.sub(r"\s+", " ", words)
    for name, pattern in HPARAMS:
        if re.fullmatch(pattern, words):
            return name
    return None


NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                "nine": 9, "ten": 10}
