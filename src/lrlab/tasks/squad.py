"""SQuAD v2.0 extractive question answering (Rajpurkar et al. 2018), with any Hugging Face
extractive-QA model, scored by the official SQuAD v2.0 exact match and F1.

Expected schema (the hub's ``rajpurkar/squad_v2``, no configuration, and that of a folder saved
with ``save_to_disk``): splits ``train`` (130 319 questions) and ``validation`` (11 873); columns
``id`` (``string``), ``title`` (``string``, the Wikipedia article), ``context`` (``string``),
``question`` (``string``) and ``answers`` (a struct of lists: ``text``, list of ``string``, and
``answer_start``, list of ``int32`` character offsets into the context; both empty when the
question has no answer in the context).

Splits (the test split never decides anything):

* test: the official ``validation`` split (SQuAD's test set is hidden; papers report this one);
* validation: about 5% of the questions of ``train``, held out **by article** (all questions of
  a title on one side: contexts repeat across an article's questions, so a per-question split
  would leak), the titles taken in a fixed permutation seeded with ``SPLIT_SEED``;
* train: the rest of ``train``.

Preprocessing, as Hugging Face's ``run_qa.py``: the model's fast tokenizer reads question (left
stripped) then context, ``truncation="only_second"``, ``max_length`` 384, ``stride`` 128,
overflowing windows kept, padded at the end to ``max_length``. One question may give several
features (windows); a feature's ``start_positions`` / ``end_positions`` are the first and last
tokens of the (first) gold answer when it lies wholly inside that window, else the CLS token
(index 0), also for unanswerable questions. Every split keeps them: the validation loss needs
them.

Metrics (:class:`SquadObjective`, in percent like the official script): ``loss`` (the model's
mean start/end cross-entropy per feature), ``exact`` and ``f1`` over all questions, and
``has_ans_*`` / ``no_ans_*`` over the answerable / unanswerable ones (nan where none are).
Predictions come from ``run_qa``'s post-processing with ``version_2_with_negative``: the best of
the 20 x 20 top start/end logits per window (answers of at most 30 tokens, inside the context),
against the null score ``start_logits[0] + end_logits[0]`` (its minimum over the question's
windows); "" (no answer) when the null score beats the best span.

In a plan::

    [[tasks]]
    name = "squad_v2"
    model = "google-bert/bert-base-uncased"  # optional: any extractive-QA id or folder

Example:
    >>> data = load_squad_v2(pretrained="my/bert-folder")  # doctest: +SKIP
    >>> model = data.objective.build_model("my/bert-folder")  # doctest: +SKIP
    >>> batch = data.train.collate([data.train.dataset[0], data.train.dataset[1]])  # doctest: +SKIP
    >>> loss, start_logits = data.objective.loss(model, batch)  # doctest: +SKIP
"""

from __future__ import annotations

import collections
import math
import re
import string
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from lrlab.tasks.data import TaskData
from lrlab.tasks.hub import check_columns, load_hub_dataset, local_copy
from lrlab.tasks.names import BERT_LARGE, SQUAD_METRICS
from lrlab.tasks.objective import Batch, Examples
from lrlab.tasks.pretrained import load_pretrained, resolve_pretrained
from lrlab.tasks.splits import SPLIT_SEED

SQUAD_V2_ID = "rajpurkar/squad_v2"
DEFAULT_MODEL = BERT_LARGE
MAX_LENGTH = 384
STRIDE = 128
VAL_FRACTION = 0.05
N_BEST = 20
MAX_ANSWER_LENGTH = 30
TOKENIZE_BATCH = 1000  # questions tokenized at a time (memory only)
COLUMNS = {"id": "string", "title": "string", "context": "string", "question": "string",
           "answers": "struct of lists: text (string), answer_start (int32)"}
POSITIONS = ("start_positions", "end_positions")
PUNCTUATION = frozenset(string.punctuation)


# -- the features ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SquadMeta:
    """What :meth:`SquadObjective.evaluate` needs beside the logits of a split's features.

    Args:
        feature_example: ``(features,)`` int64, the question each feature (window) comes from;
            ascending.
        offsets: ``(features, max_length, 2)`` int32 character span of each token in its context;
            ``(-1, -1)`` for tokens outside the context (question, special tokens, padding).
        contexts: each question's context.
        ids: each question's SQuAD id.
        answers: each question's gold answer texts; empty for an unanswerable question.
    """

    feature_example: np.ndarray
    offsets: np.ndarray
    contexts: list[str]
    ids: list[str]
    answers: list[list[str]]


class SquadFeatures(torch.utils.data.Dataset):
    """A split's features: ``dataset[i]`` is a dict of int64 arrays (``input_ids``,
    ``attention_mask``, ``token_type_ids`` where the tokenizer gives them, each
    ``(max_length,)``) and ints (``start_positions``, ``end_positions``)."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.arrays = arrays

    def __len__(self) -> int:
        return len(self.arrays["input_ids"])

    def __getitem__(self, index: int) -> dict[str, Any]:
        return {name: int(values[index]) if values.ndim == 1 else values[index].astype(np.int64)
                for name, values in self.arrays.items()}


def collate_features(items: list[dict[str, Any]]) -> Batch:
    """Stack the features' arrays (and positions) into int64 tensors of one batch."""
    return {name: torch.from_numpy(np.stack([item[name] for item in items]).astype(np.int64))
            for name in items[0]}


@dataclass(frozen=True)
class _Prepared:
    """One split, tokenized: the feature arrays (compact dtypes), and for evaluated splits the meta."""

    arrays: dict[str, np.ndarray]
    meta: SquadMeta | None


def _tokenize(split: Any, tokenizer: Any, max_length: int, stride: int, *, keep_meta: bool,
              name: str) -> _Prepared:
    """``split``'s questions as ``run_qa.py``'s features (see the module docstring)."""
    from tqdm.auto import tqdm

    columns = split.select_columns(["id", "context", "question", "answers"]).to_dict()  # Arrow -> lists
    questions = [question.lstrip() for question in columns["question"]]  # as run_qa: some lead with spaces
    contexts, answers = columns["context"], columns["answers"]
    parts: dict[str, list[np.ndarray]] = collections.defaultdict(list)
    progress = tqdm(total=len(questions), desc=f"tokenizing SQuAD v2 {name}", unit="q",
                    disable=None, file=sys.stderr)
    for begin in range(0, len(questions), TOKENIZE_BATCH):
        stop = begin + TOKENIZE_BATCH
        encoded = tokenizer(questions[begin:stop], contexts[begin:stop], truncation="only_second",
                            max_length=max_length, stride=stride, return_overflowing_tokens=True,
                            return_offsets_mapping=True, padding="max_length")
        example = np.asarray(encoded["overflow_to_sample_mapping"], dtype=np.int64) + begin
        ids = np.asarray(encoded["input_ids"], dtype=np.int64)
        offsets = np.asarray(encoded["offset_mapping"], dtype=np.int64).reshape(len(ids), max_length, 2)
        in_context = np.stack([np.array(encoded.sequence_ids(i), dtype=float) == 1
                               for i in range(len(ids))])  # None -> nan: not the context
        first_answer = [answers[i] for i in example]
        start, end = answer_positions(offsets, in_context, first_answer, _cls_index(ids, tokenizer))
        parts["input_ids"].append(ids.astype(np.int32))
        parts["attention_mask"].append(np.asarray(encoded["attention_mask"], dtype=np.int8))
        if "token_type_ids" in encoded:
            parts["token_type_ids"].append(np.asarray(encoded["token_type_ids"], dtype=np.int8))
        parts["start_positions"].append(start)
        parts["end_positions"].append(end)
        parts["example"].append(example)
        if keep_meta:
            parts["offsets"].append(np.where(in_context[..., None], offsets, -1).astype(np.int32))
        progress.update(len(questions[begin:stop]))
    progress.close()
    joined = {key: np.concatenate(values) for key, values in parts.items()}
    for values in joined.values():
        values.flags.writeable = False  # shared by every call's Examples through the cache
    example = joined.pop("example")
    offsets = joined.pop("offsets", None)
    meta = None
    if keep_meta:
        meta = SquadMeta(example, offsets, contexts, columns["id"],
                         [list(answer["text"]) for answer in answers])
    return _Prepared(joined, meta)


def _cls_index(ids: np.ndarray, tokenizer: Any) -> np.ndarray:
    """Per feature, the first CLS token (else BOS, else 0), as ``run_qa.py`` picks it."""
    for special in (tokenizer.cls_token_id, tokenizer.bos_token_id):
        if special is not None:
            found = ids == special
            if found.any():
                return np.where(found.any(1), found.argmax(1), 0)
    return np.zeros(len(ids), dtype=np.int64)


def answer_positions(offsets: np.ndarray, in_context: np.ndarray, answers: Sequence[dict[str, Any]],
                     cls_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end token of each feature's first gold answer, or ``cls_index`` where the feature
    does not hold the whole answer (or the question has none), as ``run_qa.py`` labels them.

    Args:
        offsets: ``(features, length, 2)`` character span of each token.
        in_context: ``(features, length)`` whether a token is part of the context.
        answers: per feature, its question's ``answers`` (``text`` and ``answer_start`` lists).
        cls_index: ``(features,)`` position of the CLS token.

    ``run_qa.py`` walks from the window's first context token while a token starts at or before
    the answer; the same token is found here as the last context token doing so (its walk can
    step past the context when the answer starts at the window's last token; this cannot).
    """
    count, length = in_context.shape
    has_answer = np.array([len(a["answer_start"]) > 0 for a in answers], dtype=bool)
    start_char = np.array([a["answer_start"][0] if len(a["answer_start"]) else 0 for a in answers],
                          dtype=np.int64)
    end_char = start_char + np.array([len(a["text"][0]) if len(a["text"]) else 0 for a in answers],
                                     dtype=np.int64)
    positions = np.arange(length)
    rows = np.arange(count)
    first = in_context.argmax(1)
    last = length - 1 - in_context[:, ::-1].argmax(1)
    inside = (has_answer & in_context.any(1) & (offsets[rows, first, 0] <= start_char)
              & (offsets[rows, last, 1] >= end_char))
    start = np.where(in_context & (offsets[..., 0] <= start_char[:, None]), positions, -1).max(1)
    end = np.where(in_context & (offsets[..., 1] >= end_char[:, None]), positions, length).min(1)
    return (np.where(inside, start, cls_index).astype(np.int64),
            np.where(inside, end, cls_index).astype(np.int64))


def title_holdout(titles: Sequence[str], fraction: float = VAL_FRACTION,
                  seed: int = SPLIT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """Split questions into kept and held-out indices by article: whole titles, taken in a
    permutation (seeded with ``seed``) of the sorted titles until ``fraction`` of the questions
    are held out; at least one title on each side.

    Example:
        >>> kept, held = title_holdout(["a", "a", "b", "c", "c", "c"], 0.3)
        >>> sorted(kept.tolist() + held.tolist()) == list(range(6)), len({"a", "b", "c"}) > 1
        (True, True)
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction must lie in (0, 1); got {fraction}")
    names, of_question, counts = np.unique(np.asarray(titles, dtype=object).astype(str),
                                           return_inverse=True, return_counts=True)
    if len(names) < 2:
        raise ValueError(f"a split by title needs at least 2 titles; got {len(names)}")
    order = np.random.default_rng(seed).permutation(len(names))
    reached = int(np.searchsorted(np.cumsum(counts[order]), fraction * len(titles))) + 1
    held_titles = order[:min(max(reached, 1), len(names) - 1)]
    held = np.isin(of_question, held_titles)
    return np.flatnonzero(~held), np.flatnonzero(held)


@lru_cache(maxsize=2)
def _prepared(source: str | None, cache_dir: str | None, model: str, max_length: int,
              stride: int) -> tuple[_Prepared, _Prepared, _Prepared]:
    """The three splits' features, once per process (keyed on plain strings and numbers)."""
    from transformers import AutoTokenizer

    data = load_hub_dataset(SQUAD_V2_ID, local_path=source, cache_dir=cache_dir)
    for name in ("train", "validation"):
        if name not in data:
            raise ValueError(f"data set {SQUAD_V2_ID!r} has no {name!r} split; it has {sorted(data)}")
        check_columns(data[name], COLUMNS, SQUAD_V2_ID)
    tokenizer = load_pretrained(AutoTokenizer, model, what="tokenizer")
    if not tokenizer.is_fast:
        raise ValueError(f"tokenizer of {model!r} is not a fast tokenizer; SQuAD needs its offsets")
    if max_length > tokenizer.model_max_length:
        raise ValueError(f"max_length {max_length} exceeds {model!r}'s {tokenizer.model_max_length}")
    tokenizer.padding_side = "right"  # question first, padding last: run_qa's pad_on_right layout
    kept, held = title_holdout(data["train"]["title"])
    splits = {"train": data["train"].select(kept), "validation": data["train"].select(held),
              "test": data["validation"]}
    return tuple(_tokenize(split, tokenizer, max_length, stride, keep_meta=name != "train", name=name)
                 for name, split in splits.items())  # type: ignore[return-value]


def load_squad_v2(
    *,
    pretrained: str = DEFAULT_MODEL,
    max_length: int = MAX_LENGTH,
    stride: int = STRIDE,
    local_path: str | Path | None = None,
    cache_dir: str | Path | None = None,
) -> TaskData:
    """SQuAD v2.0 as ``pretrained``'s tokenizer reads it (see the module docstring); fresh
    :class:`~lrlab.tasks.objective.Examples` on every call over arrays tokenized once per process.

    Args:
        pretrained: the model (hub id or folder) whose fast tokenizer prepares the data and which
            the objective builds by default; default ``google-bert/bert-large-uncased``.
        max_length: tokens per feature, in ``[16, tokenizer's maximum]``; default 384.
        stride: tokens shared by consecutive windows of one context, in ``[0, max_length)``;
            default 128.
        local_path: a ``save_to_disk`` folder of the data set; default ``$LRLAB_DATA_DIR/rajpurkar/
            squad_v2`` where that exists, else the hub and its cache.
        cache_dir: the ``datasets`` cache; default its own.

    Raises:
        DatasetUnavailable: the data set is not here and cannot be downloaded (one line).
        ModelUnavailable: the tokenizer is not here and cannot be downloaded (one line).
    """
    if not isinstance(max_length, int) or max_length < 16:
        raise ValueError(f"max_length must be an integer >= 16; got {max_length!r}")
    if not isinstance(stride, int) or not 0 <= stride < max_length:
        raise ValueError(f"stride must be an integer in [0, max_length={max_length}); got {stride!r}")
    path = Path(local_path) if local_path is not None else local_copy(SQUAD_V2_ID)
    prepared = _prepared(None if path is None else str(path.resolve()),
                         None if cache_dir is None else str(cache_dir),
                         resolve_pretrained(pretrained), max_length, stride)
    train, val, test = (Examples(SquadFeatures(p.arrays), collate_features, p.meta) for p in prepared)
    return TaskData(train=train, val=val, test=test, num_classes=0, input_shape=(),
                    objective=SquadObjective(default_model=pretrained))


def ensure_squad_v2(pretrained: str = DEFAULT_MODEL) -> None:
    """Make sure the data set and ``pretrained``'s tokenizer can be loaded here (download them if
    the hub is reachable); else ``DatasetUnavailable`` / ``ModelUnavailable`` (one line)."""
    from transformers import AutoTokenizer

    load_hub_dataset(SQUAD_V2_ID)
    load_pretrained(AutoTokenizer, pretrained, what="tokenizer")


# -- the official SQuAD v2.0 evaluation --------------------------------------------------------------
# Written out here (after the official evaluate-v2.0.py) because nothing installable runs it offline:
# the ``evaluate`` library's squad_v2 fetches its code from the hub at run time,
# ``transformers.data.metrics.squad_metrics`` is gone in transformers 5, and torchmetrics' SQuAD is v1.


def normalize_answer(text: str) -> str:
    """Lower case, no punctuation, no articles (a, an, the), single spaces (the official rule).

    Example:
        >>> normalize_answer("The  Cat, (a) hat!")
        'cat hat'
    """
    text = "".join(ch for ch in text.lower() if ch not in PUNCTUATION)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def exact_match(gold: str, prediction: str) -> int:
    """1 if the normalised texts are equal, else 0."""
    return int(normalize_answer(gold) == normalize_answer(prediction))


def token_f1(gold: str, prediction: str) -> float:
    """F1 of the normalised tokens in common; 1 if both are empty, 0 if only one is.

    Example:
        >>> round(token_f1("the big red cat", "red cat sat"), 4)  # P 2/3, R 2/3
        0.6667
    """
    gold_tokens, predicted_tokens = normalize_answer(gold).split(), normalize_answer(prediction).split()
    if not gold_tokens or not predicted_tokens:
        return float(gold_tokens == predicted_tokens)
    same = sum((collections.Counter(gold_tokens) & collections.Counter(predicted_tokens)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(predicted_tokens), same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def squad_v2_scores(predictions: Sequence[str], answers: Sequence[Sequence[str]]) -> dict[str, float]:
    """The official SQuAD v2.0 scores in percent: ``exact``, ``f1``, and each over the
    answerable (``has_ans_*``) and unanswerable (``no_ans_*``) questions, nan where none are.

    Args:
        predictions: per question the predicted text, "" for no answer.
        answers: per question its gold texts, empty when unanswerable (then only "" is right).

    Example:
        >>> squad_v2_scores(["cat", ""], [["The Cat!"], []])["exact"]
        100.0
    """
    if len(predictions) != len(answers):
        raise ValueError(f"{len(predictions)} predictions for {len(answers)} questions")
    exact, f1 = np.zeros(len(answers)), np.zeros(len(answers))
    for i, (prediction, gold) in enumerate(zip(predictions, answers, strict=True)):
        golds = [text for text in gold if normalize_answer(text)] or [""]
        exact[i] = max(exact_match(text, prediction) for text in golds)
        f1[i] = max(token_f1(text, prediction) for text in golds)
    has_answer = np.array([len(gold) > 0 for gold in answers], dtype=bool)

    def percent(values: np.ndarray) -> float:
        return 100.0 * float(values.mean()) if len(values) else math.nan

    return {"exact": percent(exact), "f1": percent(f1),
            "has_ans_exact": percent(exact[has_answer]), "has_ans_f1": percent(f1[has_answer]),
            "no_ans_exact": percent(exact[~has_answer]), "no_ans_f1": percent(f1[~has_answer])}


# -- from logits to answers -------------------------------------------------------------------------


def predict_answer(start_logits: np.ndarray, end_logits: np.ndarray, offsets: np.ndarray,
                   context: str, *, n_best: int = N_BEST, max_answer_length: int = MAX_ANSWER_LENGTH,
                   null_threshold: float = 0.0) -> str:
    """One question's answer from its features' logits, as ``run_qa.py``'s
    ``postprocess_qa_predictions`` with ``version_2_with_negative=True``.

    Args:
        start_logits, end_logits: ``(features, length)``.
        offsets: ``(features, length, 2)`` character spans; negative outside the context.
        context: the question's context.
        n_best: top start and top end logits tried per feature; default 20.
        max_answer_length: longest answer in tokens; default 30.
        null_threshold: "" when the null score exceeds the best span's by more; default 0.

    The best span is the highest ``start + end`` logit over every feature's top ``n_best`` start
    and end tokens (both in the context, end not before start); the null score is the least
    ``start_logits[0] + end_logits[0]`` over the features. Where no span qualifies ``run_qa``
    predicts the word "empty" unless the null score is positive; this predicts "".
    """
    null_score = float(np.min(start_logits[:, 0] + end_logits[:, 0]))
    best_score, best_span = -math.inf, None
    for start, end, spans in zip(start_logits, end_logits, offsets, strict=True):
        starts = np.argsort(start)[-1:-n_best - 1:-1]
        ends = np.argsort(end)[-1:-n_best - 1:-1]
        first, last = np.meshgrid(starts, ends, indexing="ij")  # run_qa's loop order: start, then end
        valid = ((spans[first, 0] >= 0) & (spans[last, 0] >= 0) & (last >= first)
                 & (last - first + 1 <= max_answer_length))
        if not valid.any():
            continue
        scores = np.where(valid, start[first] + end[last], -np.inf)
        best = np.unravel_index(int(np.argmax(scores)), scores.shape)
        if scores[best] > best_score:  # strictly: an earlier feature wins a tie, as run_qa's stable sort
            best_score = float(scores[best])
            best_span = (int(spans[first[best], 0]), int(spans[last[best], 1]))
    if best_span is None or null_score - best_score > null_threshold:
        return ""
    return context[best_span[0]:best_span[1]]


def predict_answers(start_logits: np.ndarray, end_logits: np.ndarray, meta: SquadMeta,
                    **options: Any) -> list[str]:
    """Every question's answer (:func:`predict_answer`) from all features' ``(features, length)``
    logits, in the order of ``meta``."""
    if len(start_logits) != len(meta.feature_example):
        raise ValueError(f"{len(start_logits)} features' logits for {len(meta.feature_example)} features")
    bounds = np.searchsorted(meta.feature_example, np.arange(len(meta.contexts) + 1))
    return [predict_answer(start_logits[a:b], end_logits[a:b], meta.offsets[a:b], context, **options)
            if b > a else "" for a, b, context in zip(bounds[:-1], bounds[1:], meta.contexts, strict=True)]


# -- the objective --------------------------------------------------------------------------------


def _model_inputs(batch: Batch) -> Batch:
    return {name: value for name, value in batch.items() if name not in POSITIONS}


@dataclass(frozen=True)
class SquadObjective:
    """Extractive QA with a Hugging Face ``AutoModelForQuestionAnswering``, judged by the
    official SQuAD v2.0 scores (see the module docstring).

    Args:
        default_model: the model a plan gets when it names none.
        n_best: start and end candidates per feature in post-processing; default 20.
        max_answer_length: longest answer in tokens; default 30.
        null_threshold: "" when the null score beats the best span by more; default 0.
    """

    default_model: str = DEFAULT_MODEL
    n_best: int = N_BEST
    max_answer_length: int = MAX_ANSWER_LENGTH
    null_threshold: float = 0.0
    metrics: tuple[str, ...] = SQUAD_METRICS

    def build_model(self, name: str, *, dropout: float = 0.0) -> nn.Module:
        """``AutoModelForQuestionAnswering`` of ``name`` (its QA head initialised from torch's
        global generator where the checkpoint has none); ``dropout`` in ``[0, 1)``, where > 0,
        replaces the config's ``hidden_dropout_prob`` if it has one."""
        from transformers import AutoConfig, AutoModelForQuestionAnswering

        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must lie in [0, 1); got {dropout}")
        config = load_pretrained(AutoConfig, name, what="model config")
        if dropout and hasattr(config, "hidden_dropout_prob"):
            config.hidden_dropout_prob = dropout
        return load_pretrained(AutoModelForQuestionAnswering, name, config=config)

    def loss(self, model: nn.Module, batch: Batch) -> tuple[Tensor, Tensor]:
        """``(mean of the start and end cross-entropies, start logits (batch, length))``."""
        outputs = model(**_model_inputs(batch), start_positions=batch["start_positions"],
                        end_positions=batch["end_positions"])
        return outputs.loss, outputs.start_logits

    def evaluate(self, model: nn.Module, split: Examples, batches: Iterable[Batch],
                 names: Sequence[str]) -> dict[str, float]:
        """The metrics ``names`` on the whole ``split``: ``loss`` per feature; the SQuAD scores
        per question, which need the split's :class:`SquadMeta` (validation and test have it)."""
        unknown = [name for name in names if name not in self.metrics]
        if unknown:
            raise ValueError(f"unknown SQuAD v2 metric(s) {unknown}; known: {list(self.metrics)}")
        scored = [name for name in names if name != "loss"]
        if scored and not isinstance(split.meta, SquadMeta):
            raise ValueError(f"metrics {scored} need the split's SquadMeta (validation and test have "
                             "it; the train split gives loss only)")
        total, count, starts, ends = 0.0, 0, [], []
        for batch in batches:
            outputs = model(**_model_inputs(batch), start_positions=batch["start_positions"],
                            end_positions=batch["end_positions"])
            size = int(batch["input_ids"].shape[0])
            total += float(outputs.loss) * size
            count += size
            if scored:
                starts.append(outputs.start_logits.float().cpu())
                ends.append(outputs.end_logits.float().cpu())
        results = {"loss": total / count if count else math.nan}
        if scored:
            length = split.meta.offsets.shape[1]
            predictions = predict_answers(
                _joined(starts, length), _joined(ends, length), split.meta,
                n_best=self.n_best, max_answer_length=self.max_answer_length,
                null_threshold=self.null_threshold)
            results.update(squad_v2_scores(predictions, split.meta.answers))
        return {name: results[name] for name in names}


def _joined(logits: list[Tensor], length: int) -> np.ndarray:
    return torch.cat(logits).numpy() if logits else np.zeros((0, length), dtype=np.float32)
