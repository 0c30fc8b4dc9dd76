"""LibriSpeech speech recognition: fine-tune a wav2vec 2.0 model with a CTC head, judged by word
error rate.

Data: ``openslr/librispeech_asr``, configuration ``clean`` (from ``$LRLAB_DATA_DIR``, a
``save_to_disk`` folder, the ``datasets`` cache or the hub, :func:`~lrlab.tasks.hub.load_hub_dataset`).
Its schema: splits ``train.100`` (28 539 utterances, 100 h), ``train.360``, ``validation``
(2 703) and ``test`` (2 620); columns ``file`` (``string``), ``audio``
(``Audio(sampling_rate=16000)``, FLAC bytes), ``text`` (``string``, the upper-case transcript),
``speaker_id`` and ``chapter_id`` (``int64``) and ``id`` (``string``). Train is ``train.100``
(option ``train_split``), validation is ``validation``, test is ``test``.

Preprocessing, per utterance and lazily (in ``__getitem__``, so that DataLoader workers do it):
the FLAC bytes are decoded by ``soundfile`` to float32 at 16 kHz (another rate is an error, not
resampled), then normalised by the checkpoint's ``Wav2Vec2FeatureExtractor`` (zero mean, unit
variance where its config says so); the transcript becomes the character ids of its
``Wav2Vec2CTCTokenizer`` (``|`` between words). Train utterances longer than
``max_train_seconds`` (16 s) are dropped (their length is read from the FLAC header); validation
and test are kept whole. A batch pads ``input_values`` with 0.0 to its longest utterance, with an
``attention_mask``, and pads ``labels`` with -100.

Model: any wav2vec2-style CTC checkpoint (``AutoModelForCTC``: wav2vec 2.0, HuBERT, WavLM, ...),
by hub id or folder; default ``facebook/wav2vec2-base`` with a new CTC head over the character
vocabulary of ``facebook/wav2vec2-base-960h`` (the base checkpoint has no tokenizer), its
convolutional feature encoder frozen as in the paper's fine-tuning.

Metrics: ``loss`` (the CTC loss, averaged over utterances), ``wer`` and ``cer`` (word and
character error rates as fractions, lower is better, by ``jiwer`` over the whole split) of
greedy CTC decoding: the argmax token per frame, repeats merged, blanks dropped.

In a plan::

    [[tasks]]
    name = "librispeech"
    model = "facebook/wav2vec2-base"   # optional: any wav2vec2-style CTC id or folder
"""

from __future__ import annotations

import io
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import Dataset

from lrlab.tasks.data import TaskData
from lrlab.tasks.hub import check_columns, load_hub_dataset, local_copy
from lrlab.tasks.names import CTC_METRICS, WAV2VEC2_BASE
from lrlab.tasks.objective import Batch, Examples
from lrlab.tasks.pretrained import load_pretrained

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    import datasets

LIBRISPEECH_ID = "openslr/librispeech_asr"
LIBRISPEECH_CONFIG = "clean"
DEFAULT_MODEL = WAV2VEC2_BASE
DEFAULT_PROCESSOR = "facebook/wav2vec2-base-960h"
SAMPLING_RATE = 16_000
COLUMNS = {"audio": "Audio(sampling_rate=16000)", "text": "string, the transcript", "id": "string"}
LABEL_PADDING = -100  # what the CTC loss of transformers' models ignores
FLAC_HEAD_BYTES = 4096  # a FLAC file's first bytes: its STREAMINFO block holds the frame count
LENGTH_BATCH = 1024  # utterances whose length is read at a time (memory only)
DROPOUTS = ("hidden_dropout", "activation_dropout", "attention_dropout", "feat_proj_dropout",
            "final_dropout")


def decode_audio(audio: dict[str, Any], where: str = "audio") -> np.ndarray:
    """The float32 mono waveform of one ``Audio(decode=False)`` value: ``{"bytes", "path"}``.

    ``soundfile`` decodes it, not ``datasets``: ``datasets`` >= 4 decodes audio with
    ``torchcodec``, which needs FFmpeg's shared libraries on the machine, while ``soundfile``'s
    wheel carries ``libsndfile``, which reads FLAC and WAV.

    Raises:
        ValueError: the audio is not sampled at 16 kHz (``where`` names it in the message).

    Example:
        >>> import soundfile
        >>> buffer = io.BytesIO()
        >>> soundfile.write(buffer, np.zeros(800, np.float32), 16000, format="FLAC")
        >>> decode_audio({"bytes": buffer.getvalue(), "path": None}).shape
        (800,)
    """
    import soundfile

    source = io.BytesIO(audio["bytes"]) if audio.get("bytes") is not None else audio["path"]
    wave, rate = soundfile.read(source, dtype="float32")
    _check_rate(rate, where)
    return wave.mean(axis=1, dtype=np.float32) if wave.ndim == 2 else wave


def _check_rate(rate: int, where: str) -> None:
    if rate != SAMPLING_RATE:
        raise ValueError(f"{where} is sampled at {rate} Hz; LibriSpeech and wav2vec 2.0 models "
                         f"need {SAMPLING_RATE} Hz (resample it before saving the data set)")


class Utterances(Dataset):
    """Utterances of one split, decoded when read: ``{"input_values", "labels"}`` per item.

    Args:
        rows: the split, its ``audio`` column cast to ``Audio(decode=False)`` (memory-mapped,
            so it pickles by file name, not by content).
        indices: the rows used, in order.
        tokenizer: a ``Wav2Vec2CTCTokenizer``: the transcript's character ids.
        feature_extractor: a ``Wav2Vec2FeatureExtractor``: the waveform's normalisation.

    An item's ``input_values`` is a float32 ``(samples,)`` array, its ``labels`` an int64 array
    of token ids.
    """

    def __init__(self, rows: datasets.Dataset, indices: np.ndarray, tokenizer: Any,
                 feature_extractor: Any) -> None:
        self.rows = rows
        self.indices = np.asarray(indices, dtype=np.int64)
        self.tokenizer = tokenizer
        self.feature_extractor = feature_extractor

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> dict[str, np.ndarray]:
        row = self.rows[int(self.indices[index])]
        wave = decode_audio(row["audio"], f"utterance {row['id']!r}")
        values = self.feature_extractor(wave, sampling_rate=SAMPLING_RATE,
                                        return_tensors="np")["input_values"][0]
        labels = self.tokenizer(row["text"])["input_ids"]
        return {"input_values": np.asarray(values, dtype=np.float32),
                "labels": np.asarray(labels, dtype=np.int64)}


def collate_speech(items: list[dict[str, np.ndarray]], padding_value: float = 0.0) -> Batch:
    """One padded batch of :class:`Utterances` items.

    ``input_values`` ``(B, longest)`` float32, padded with ``padding_value``; ``attention_mask``
    ``(B, longest)`` int64, 1 on samples; ``labels`` ``(B, longest transcript)`` int64, padded
    with -100.

    Example:
        >>> batch = collate_speech([{"input_values": np.ones(3, np.float32), "labels": np.array([5])},
        ...                         {"input_values": np.ones(1, np.float32), "labels": np.array([6, 7])}])
        >>> batch["attention_mask"].tolist(), batch["labels"].tolist()
        ([[1, 1, 1], [1, 0, 0]], [[5, -100], [6, 7]])
    """
    samples = max(len(item["input_values"]) for item in items)
    characters = max(len(item["labels"]) for item in items)
    values = torch.full((len(items), samples), padding_value, dtype=torch.float32)
    mask = torch.zeros((len(items), samples), dtype=torch.int64)
    labels = torch.full((len(items), characters), LABEL_PADDING, dtype=torch.int64)
    for row, item in enumerate(items):
        values[row, :len(item["input_values"])] = torch.from_numpy(item["input_values"])
        mask[row, :len(item["input_values"])] = 1
        labels[row, :len(item["labels"])] = torch.from_numpy(item["labels"])
    return {"input_values": values, "attention_mask": mask, "labels": labels}


class CtcObjective:
    """How a wav2vec2-style CTC model is built, trained and judged on LibriSpeech.

    Args:
        tokenizer: the ``Wav2Vec2CTCTokenizer`` whose ids are the labels; its padding token is the
            CTC blank.
        default_model: the model id or folder used when a plan names none.
        use_attention_mask: whether the model is given the batch's ``attention_mask``: the
            feature extractor's ``return_attention_mask``. Checkpoints with group-normalised
            feature encoders (wav2vec2-base) are trained on zero-padded batches without it and
            must not get one; the lengths still come from the mask for decoding.

    Split ``meta`` (:class:`~lrlab.tasks.objective.Examples`): the reference transcripts, in
    order.
    """

    metrics = CTC_METRICS

    def __init__(self, tokenizer: Any, default_model: str = DEFAULT_MODEL, *,
                 use_attention_mask: bool = True) -> None:
        self.tokenizer = tokenizer
        self.default_model = default_model
        self.use_attention_mask = use_attention_mask

    def build_model(self, name: str, *, dropout: float = 0.0) -> nn.Module:
        """``name`` with a CTC head over the tokenizer's vocabulary (new where the checkpoint has
        none or another size), its feature encoder frozen. ``dropout`` in [0, 1): > 0 replaces
        the checkpoint's hidden, activation, attention, projection and head dropouts; 0 keeps
        them."""
        from transformers import AutoModelForCTC

        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1); got {dropout!r}")
        options: dict[str, Any] = dict.fromkeys(DROPOUTS, dropout) if dropout else {}
        model = load_pretrained(
            AutoModelForCTC, name, ctc_loss_reduction="mean",
            # an utterance whose transcript cannot fit its frames adds 0, not inf, to the loss
            ctc_zero_infinity=True,
            pad_token_id=self.tokenizer.pad_token_id, vocab_size=len(self.tokenizer),
            ignore_mismatched_sizes=True, **options)
        model.freeze_feature_encoder()  # the convolutional encoder stays as pretrained
        return model

    def loss(self, model: nn.Module, batch: Batch) -> tuple[Tensor, Tensor]:
        """``(mean CTC loss of the batch, logits (B, frames, vocabulary))``."""
        output = self._forward(model, batch)
        return output.loss, output.logits

    def _forward(self, model: nn.Module, batch: Batch) -> Any:
        mask = batch["attention_mask"] if self.use_attention_mask else None
        return model(input_values=batch["input_values"], attention_mask=mask, labels=batch["labels"])

    def transcribe(self, model: nn.Module, logits: Tensor, attention_mask: Tensor) -> list[str]:
        """Greedy CTC decoding of a batch: each utterance's frames (padding frames cut off), the
        argmax token of each, decoded by the tokenizer (repeats merged, blanks dropped)."""
        # the model's own arithmetic for how many frames its convolutions make of the samples
        frames = model._get_feat_extract_output_lengths(attention_mask.sum(-1)).tolist()
        best = logits.argmax(-1).cpu()
        return self.tokenizer.batch_decode([best[row, :count].tolist()
                                            for row, count in enumerate(frames)])

    def evaluate(self, model: nn.Module, split: Examples, batches: Iterable[Batch],
                 names: Sequence[str]) -> dict[str, float]:
        """The metrics ``names`` of ``model`` on ``split``: ``loss`` (mean over utterances),
        ``wer`` and ``cer`` (``jiwer``, over the whole split, against ``split.meta``)."""
        import jiwer

        unknown = [name for name in names if name not in self.metrics]
        if unknown:
            raise ValueError(f"unknown metric(s) {unknown} for speech recognition; allowed: "
                             f"{list(self.metrics)}")
        decode = any(name in ("wer", "cer") for name in names)
        total, count, hypotheses = 0.0, 0, []
        for batch in batches:
            output = self._forward(model, batch)
            size = batch["input_values"].shape[0]
            total += float(output.loss) * size
            count += size
            if decode:
                hypotheses += self.transcribe(model, output.logits, batch["attention_mask"])
        references = list(split.meta)
        if count != len(references):
            raise ValueError(f"the batches hold {count} utterances; the split has {len(references)}")
        if getattr(self.tokenizer, "do_lower_case", False):  # it lower-cases what it decodes
            references = [text.lower() for text in references]
        results = {"loss": total / max(count, 1)}
        if decode:
            results["wer"] = float(jiwer.wer(references, hypotheses))
            results["cer"] = float(jiwer.cer(references, hypotheses))
        return {name: results[name] for name in names}


@lru_cache(maxsize=2)
def _load(local_path: str | None, cache_dir: str | None, train_split: str) -> datasets.DatasetDict:
    # Only the splits used: the whole "clean" configuration holds train.360 too (about 23 GB more).
    return load_hub_dataset(LIBRISPEECH_ID, LIBRISPEECH_CONFIG, local_path=local_path,
                            cache_dir=cache_dir, splits=(train_split, "validation", "test"))


def _audio_rows(split: datasets.Dataset) -> datasets.Dataset:
    import datasets

    return split.select_columns(["audio", "text", "id"]).cast_column(
        "audio", datasets.Audio(decode=False))


@lru_cache(maxsize=4)
def _frame_counts(local_path: str | None, cache_dir: str | None, split_name: str) -> np.ndarray:
    """Samples in each utterance of a split, from the audio headers; once per process."""
    import pyarrow.compute as pc
    import soundfile

    rows = _audio_rows(_load(local_path, cache_dir, split_name)[split_name])
    counts = np.zeros(rows.num_rows, dtype=np.int64)
    start = 0
    # Arrow slices the first bytes of each file out of the memory map; the rest is never read.
    for table in rows.select_columns(["audio"]).with_format("arrow").iter(batch_size=LENGTH_BATCH):
        for chunk in table.column("audio").chunks:
            heads = pc.binary_slice(chunk.field("bytes"), 0, FLAC_HEAD_BYTES).to_pylist()
            for row, (head, path) in enumerate(zip(heads, chunk.field("path").to_pylist(), strict=True),
                                               start):
                where = f"{split_name} row {row}"
                if head is None:  # stored as a file: its header has the length
                    info = soundfile.info(path)
                elif head.startswith(b"fLaC"):  # STREAMINFO, the first block, has the length
                    info = soundfile.info(io.BytesIO(head))
                else:  # WAV and others: a truncated file reports a truncated length
                    info = soundfile.info(io.BytesIO(rows[row]["audio"]["bytes"]))
                _check_rate(info.samplerate, where)
                counts[row] = info.frames
                if info.frames <= 0:  # a stream whose header does not say: decode it
                    counts[row] = len(decode_audio(rows[row]["audio"], where))
            start += len(heads)
    return counts


@lru_cache(maxsize=2)
def _processor(name: str) -> tuple[Any, Any]:
    from transformers import Wav2Vec2CTCTokenizer, Wav2Vec2FeatureExtractor

    tokenizer = load_pretrained(Wav2Vec2CTCTokenizer, name, what="tokenizer")
    features = load_pretrained(Wav2Vec2FeatureExtractor, name, what="feature extractor")
    if features.sampling_rate != SAMPLING_RATE:
        raise ValueError(f"the feature extractor of {name!r} expects {features.sampling_rate} Hz "
                         f"audio; LibriSpeech is sampled at {SAMPLING_RATE} Hz")
    return tokenizer, features


def ensure_librispeech(pretrained: str = DEFAULT_MODEL, train_split: str = "train.100") -> None:
    """Make sure the splits a run reads and ``pretrained``'s tokenizer (processor) can be loaded
    here, downloading them where the hub is reachable; else a one-line ``DatasetUnavailable`` /
    ``ModelUnavailable``. Cheap once they are here."""
    from transformers import AutoTokenizer

    path = local_copy(LIBRISPEECH_ID, LIBRISPEECH_CONFIG)
    _load(None if path is None else str(path.resolve()), None, train_split)
    processor = DEFAULT_PROCESSOR if pretrained == DEFAULT_MODEL else pretrained
    load_pretrained(AutoTokenizer, processor, what="tokenizer")


def load_librispeech(
    *,
    pretrained: str = DEFAULT_MODEL,
    processor: str | None = None,
    train_split: str = "train.100",
    max_train_seconds: float = 16.0,
    local_path: str | Path | None = None,
    cache_dir: str | Path | None = None,
) -> TaskData:
    """LibriSpeech ``clean`` as :class:`~lrlab.tasks.objective.Examples` splits and a
    :class:`CtcObjective`.

    Args:
        pretrained: the model's hub id or folder (the objective's ``default_model``).
        processor: where the tokenizer and feature extractor come from; default
            ``facebook/wav2vec2-base-960h`` for the default model, else ``pretrained`` itself.
        train_split: ``"train.100"`` (default) or ``"train.360"``.
        max_train_seconds: train utterances longer than this are dropped; > 0, default 16.
        local_path: a ``save_to_disk`` folder of the data set (splits as above); default
            ``$LRLAB_DATA_DIR/openslr/librispeech_asr/clean`` where that exists, else the hub and
            its cache.
        cache_dir: the ``datasets`` cache; default its own.

    Raises:
        DatasetUnavailable: the data set is not here and the hub cannot be reached (one line).
        ModelUnavailable: the tokenizer or feature extractor is not here (one line).
    """
    if not max_train_seconds > 0:
        raise ValueError(f"max_train_seconds must be > 0; got {max_train_seconds!r}")
    if processor is None:
        processor = DEFAULT_PROCESSOR if pretrained == DEFAULT_MODEL else pretrained
    path = Path(local_path) if local_path is not None else local_copy(LIBRISPEECH_ID, LIBRISPEECH_CONFIG)
    source = None if path is None else str(path.resolve())
    cache = None if cache_dir is None else str(cache_dir)
    data = _load(source, cache, train_split)
    missing = [name for name in (train_split, "validation", "test") if name not in data]
    if missing:
        raise ValueError(f"data set {LIBRISPEECH_ID!r} lacks split(s) {missing}; it has {sorted(data)}")
    for name in (train_split, "validation", "test"):
        check_columns(data[name], COLUMNS, LIBRISPEECH_ID)
    tokenizer, features = _processor(processor)

    def examples(name: str, indices: np.ndarray) -> Examples:
        rows = _audio_rows(data[name])
        texts = list(rows.select_columns(["text"])["text"])
        return Examples(Utterances(rows, indices, tokenizer, features),
                        partial(collate_speech, padding_value=float(features.padding_value)),
                        meta=tuple(str(texts[int(i)]) for i in indices))

    seconds = _frame_counts(source, cache, train_split) / SAMPLING_RATE
    kept = np.flatnonzero(seconds <= max_train_seconds)
    if len(kept) == 0:
        raise ValueError(f"no {train_split} utterance is at most {max_train_seconds} s long")
    everything = {name: np.arange(data[name].num_rows) for name in ("validation", "test")}
    objective = CtcObjective(tokenizer, pretrained,
                             use_attention_mask=bool(features.return_attention_mask))
    return TaskData(examples(train_split, kept), examples("validation", everything["validation"]),
                    examples("test", everything["test"]), num_classes=0, input_shape=(),
                    objective=objective)
