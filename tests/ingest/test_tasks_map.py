"""Data sets and models -> tasks: under --budget quick the fetched real data sets (CIFAR-10 ->
fashion_mnist_10k, MNIST -> mnist5k, IMDB / SST-2 -> rotten_tomatoes, UCI Adult -> adult; AG News
on the offline topic task fortunes), under full their hub tasks; named transformers as MiniLM
offline or their Hugging Face ids; SQuAD v2 and LibriSpeech with their own metrics, left out
offline."""

from __future__ import annotations

import tomllib

import pytest

import lrlab.tasks.fortunes
from lrlab.ingest import plan_from_text
from lrlab.ingest.vocabulary import bert_checkpoint, find_dataset, find_hf_id
from lrlab.study.plan import parse_plan
from lrlab.tasks.pretrained import MINILM
from lrlab.tasks.registry import get_task

BERT_LARGE = get_task("squad_v2").default_model
WAV2VEC2 = get_task("librispeech").default_model


def report(datasets: str, models: str = "", metrics: str = "", idea: str = "Lower the learning rate while "
           "the predictive entropy of the model is high.", hyperparameters: str = "") -> str:
    """A report in the seeds' format, with the given bullet lines under Datasets, Model
    Architecture, Hyperparameters (besides batch size and epochs) and Evaluation Metrics."""
    text = (f"# Experiment Report: Entropy-driven rates\n\n## Idea\n{idea}\n\n## Experiment Plan\n"
            f"### Experiment Plan: Evaluating it\n\n#### 1. Objective\nDoes it help?\n\n"
            f"#### 3. Datasets\n{datasets}\n")
    if models:
        text += f"\n#### 4. Model Architecture\n{models}\n"
    text += f"\n#### 5. Hyperparameters\n- **Common Hyperparameters:**\n  - Batch Size: 16\n  - Epochs: 3\n{hyperparameters}"
    if metrics:
        text += f"\n#### 6. Evaluation Metrics\n{metrics}\n"
    return text + "\n## Results\n{'eval_accuracy': 0.9}\n"


def mapped(text: str, budget: str = "quick"):
    """The mapping, its plan (validated), and the plan's TOML as data."""
    result = plan_from_text(text, source="report.txt", budget=budget)  # type: ignore[arg-type]
    return result, parse_plan(result.toml), tomllib.loads(result.toml)


TEXT_SETS = {
    "imdb": "- **IMDB Reviews:** A sentiment analysis dataset of movie reviews.",
    "sst2": "- **SST-2:** Stanford Sentiment Treebank, binary sentence sentiment.",
    "ag_news": "- **AG News:** news articles in four topics.",
    "yelp": "- **Yelp Polarity:** review sentiment.",
}


@pytest.mark.parametrize(("line", "task", "hub"), [
    ("- **CIFAR-10:** 60,000 colour images", "fashion_mnist_10k", "cifar10"),
    ("- **Image Classification**: CIFAR-100", "fashion_mnist_10k", None),
    ("- Fashion-MNIST", "fashion_mnist_10k", "fashion_mnist"),
    ("- **MNIST:** handwritten digits", "mnist5k", "mnist"),
    ("- SVHN", "mnist5k", None),
    (TEXT_SETS["imdb"], "rotten_tomatoes", "imdb"),
    (TEXT_SETS["sst2"], "rotten_tomatoes", "sst2"),
    (TEXT_SETS["yelp"], "rotten_tomatoes", None),
    ("- **UCI Adult:** census income", "adult", None),
    ("- UCI Letter Recognition", "letter", None),
])
def test_quick_runs_each_data_set_on_its_fetched_real_kin(line: str, task: str, hub: str | None):
    result, plan, _ = mapped(report(line))
    assert [t.name for t in plan.tasks] == [task]
    comment = next(c for c in result.toml.replace("\n#   ", " ").splitlines() if c.startswith("# data: "))
    assert f"-> {task} (" in comment and "(line 13)" in comment
    if hub is not None:
        assert f"--budget full runs {hub!r} itself" in comment
    assert not any(task in w for w in result.warnings if "left out" in w)
    assert "digits" not in [t.name for t in plan.tasks] and "mnist1d" not in result.toml


def test_quick_ag_news_keeps_the_offline_topic_task_and_says_it_is_other_data():
    result, plan, _ = mapped(report(TEXT_SETS["ag_news"], "- **BiLSTM:** a bidirectional LSTM."))
    assert [(t.name, t.model) for t in plan.tasks] == [("fortunes", "bilstm")]
    warning = next(w for w in result.warnings if "AG News" in w)
    assert "no news-topic data offline" in warning and "--budget full runs 'ag_news' itself" in warning


def test_full_runs_the_data_sets_themselves():
    text = report("\n".join(("- CIFAR-10", "- MNIST", TEXT_SETS["imdb"], TEXT_SETS["sst2"], "- UCI Adult",
                             "- Fashion-MNIST")))
    _, plan, _ = mapped(text, budget="full")
    assert [t.name for t in plan.tasks] == ["cifar10", "mnist", "imdb", "sst2", "adult", "fashion_mnist"]


def test_quick_unknown_text_set_stands_in_as_fortunes():
    result, plan, _ = mapped(report("- **TweetEval:** short social-media texts labelled for sentiment analysis."))
    assert [t.name for t in plan.tasks] == ["fortunes"]
    assert plan.tasks[0].model is None or plan.tasks[0].resolved_model() == MINILM
    assert any("'TweetEval'" in w and "stand-in 'fortunes'" in w and "quotes" in w for w in result.warnings)


@pytest.mark.parametrize("name", ["BERT (base-uncased)", "RoBERTa", "Transformer encoder", "DistilBERT"])
def test_quick_transformer_runs_as_minilm_with_a_decision(name: str):
    result, plan, data = mapped(report(TEXT_SETS["imdb"], f"- **{name}:** pre-trained on English text."))
    assert [(t.name, t.model) for t in plan.tasks] == [("rotten_tomatoes", MINILM)]
    decision = next(n for n in result.notes if f"{name} -> {MINILM!r}" in n)
    assert decision.startswith("line 16: ") and "smaller pretrained transformer standing in for the named one" in decision
    assert any(f"model {name!r}" in w and "stands in" in w for w in result.warnings)
    assert data["tasks"][0]["model"] == MINILM
    get_task("rotten_tomatoes").check_model(plan.tasks[0].model)


def test_quick_minilm_named_is_itself_without_a_warning():
    result, plan, _ = mapped(report(TEXT_SETS["sst2"], "- **all-MiniLM-L6-v2:** a sentence encoder."))
    assert plan.tasks[0].model == MINILM
    assert not any("stands in" in w for w in result.warnings)


def test_quick_recurrent_models_stay_themselves():
    models = "- **LSTM with attention** for IMDB Reviews\n- **BiLSTM** for AG News\n- **GRU** for SST-2"
    datasets = "\n".join(TEXT_SETS[k] for k in ("imdb", "ag_news", "sst2"))
    result, plan, _ = mapped(report(datasets, models))
    assert sorted((t.name, t.model, t.label) for t in plan.tasks) == [
        ("fortunes", "bilstm", None),
        ("rotten_tomatoes", "gru_attention", "rotten_tomatoes-gru_attention"),
        ("rotten_tomatoes", "lstm_attention", "rotten_tomatoes-lstm_attention")]
    assert any("GRU -> model 'gru_attention'" in n for n in result.notes)


@pytest.mark.parametrize(("model", "builder"), [("CNN", "lenet5"), ("ResNet-18", "resnet_small"), ("MLP", "mlp"),
                                                ("LeNet-5", "lenet5")])
def test_quick_image_models_sized_for_a_cpu(model: str, builder: str):
    result, plan, _ = mapped(report("- CIFAR-10", f"- {model}"))
    assert [(t.name, t.model) for t in plan.tasks] == [("fashion_mnist_10k", builder)]
    _, full, _ = mapped(report("- CIFAR-10", f"- {model}"), budget="full")
    assert full.tasks[0].model == {"CNN": "cnn", "ResNet-18": "resnet18", "MLP": "mlp", "LeNet-5": "lenet5"}[model]


def test_quick_plan_does_not_need_the_fortunes_data(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(lrlab.tasks.fortunes, "SYSTEM_FOLDERS", ())
    monkeypatch.delenv("LRLAB_DATA_DIR", raising=False)
    with pytest.raises(ValueError, match="fortunes"):
        get_task("fortunes").ensure_available()  # missing here now...
    _, plan, _ = mapped(report(TEXT_SETS["ag_news"], "- **BERT (base-uncased)**"))
    assert [t.name for t in plan.tasks] == ["fortunes"]  # ...and the plan is written all the same


@pytest.mark.parametrize("key", ["imdb", "sst2", "ag_news"])
def test_full_runs_text_hub_tasks_with_bert_base(key: str):
    result, plan, _ = mapped(report(TEXT_SETS[key], "- **BERT (base-uncased):** pre-trained BERT."), budget="full")
    assert [(t.name, t.model) for t in plan.tasks] == [(key, "bert-base-uncased")]
    assert "bert-base-uncased" in get_task(key).models
    assert any("BERT (base-uncased) -> 'bert-base-uncased'" in n for n in result.notes)
    assert not any("stand" in w for w in result.warnings)


@pytest.mark.parametrize(("model", "expected"), [
    ("- **BERT:** a pre-trained transformer.", "bert-base-uncased"),
    ("- **BERT-large, cased**", "bert-large-cased"),
    ("- **RoBERTa** (`FacebookAI/roberta-base`)", "FacebookAI/roberta-base"),
    ("- **DistilBERT:** `distilbert-base-uncased`", "distilbert-base-uncased"),
])
def test_full_text_models_by_hugging_face_id(model: str, expected: str):
    _, plan, _ = mapped(report(TEXT_SETS["imdb"], model), budget="full")
    assert [(t.name, t.model) for t in plan.tasks] == [("imdb", expected)]


def test_full_transformer_without_an_id_gets_a_stand_in_warning():
    result, plan, _ = mapped(report(TEXT_SETS["ag_news"], "- **GPT-style decoder transformer**"), budget="full")
    assert plan.tasks[0].model == "bert-base-uncased"
    assert any("no Hugging Face id" in w and "stands in" in w for w in result.warnings)


@pytest.mark.parametrize("name", ["SQuAD", "SQuAD v2", "SQuAD 2.0", "squad_v2", "SQuAD2.0"])
def test_squad_names(name: str):
    known = find_dataset(name)
    assert known is not None and known.hub == "squad_v2" and known.offline is None


SQUAD = "- **SQuAD 2.0:** Stanford Question Answering Dataset, with unanswerable questions."


def test_full_squad_default_model_and_accuracy_becomes_exact_and_f1():
    result, plan, data = mapped(report(SQUAD, metrics="- Validation Accuracy\n- Validation Loss"), budget="full")
    task = plan.tasks[0]
    assert (task.name, task.model) == ("squad_v2", None) or (task.name, task.resolved_model()) == ("squad_v2", BERT_LARGE)
    metrics = data["tasks"][0]["metrics"]
    assert "accuracy" not in metrics and {"exact", "f1"} <= set(metrics)
    assert set(metrics) <= set(get_task("squad_v2").metric_choices)
    assert "accuracy" not in task.resolved_metrics()
    assert any("'Validation Accuracy' -> exact, f1" in n and "no accuracy" in n for n in result.notes)


@pytest.mark.parametrize(("model", "expected"), [
    ("- **BERT:** a pre-trained transformer.", BERT_LARGE),
    ("- **BERT-large** (`bert-large-uncased`)", "bert-large-uncased"),
    ("- **Model:** google-bert/bert-large-uncased", "google-bert/bert-large-uncased"),
])
def test_full_squad_models(model: str, expected: str):
    _, plan, _ = mapped(report(SQUAD, model, "- Exact Match\n- F1 score"), budget="full")
    assert [(t.name, t.resolved_model()) for t in plan.tasks] == [("squad_v2", expected)]
    assert plan.tasks[0].metrics is not None and {"exact", "f1"} <= set(plan.tasks[0].metrics)
    assert "macro_f1" not in plan.tasks[0].metrics


def test_quick_leaves_squad_out_with_a_warning_and_keeps_the_rest():
    datasets = SQUAD + "\n" + TEXT_SETS["imdb"]
    result, plan, _ = mapped(report(datasets, "- **BERT (base-uncased)**", "- Accuracy"))
    assert [(t.name, t.model) for t in plan.tasks] == [("rotten_tomatoes", MINILM)]
    assert any(w.startswith("line 13: SQuAD 2.0 (extractive question answering): left out") and "'squad_v2'" in w
               for w in result.warnings)


def test_quick_with_only_squad_still_gives_a_plan_that_says_so():
    result, plan, _ = mapped(report(SQUAD))
    assert [t.name for t in plan.tasks] == ["digits"]  # lrlab's default stand-in, said as a warning
    assert any("left out" in w and "SQuAD" in w for w in result.warnings)
    assert any("default stand-in 'digits'" in w for w in result.warnings)


LIBRISPEECH = "- **LibriSpeech:** 100 hours of read English speech."


def test_full_librispeech_with_wav2vec2_and_wer():
    text = report(LIBRISPEECH + "\n" + TEXT_SETS["imdb"], "- **wav2vec 2.0** for LibriSpeech\n- **BiLSTM** for IMDB",
                  "- Word Error Rate (WER) on LibriSpeech\n- Accuracy")
    result, plan, data = mapped(text, budget="full")
    tasks = {t.name: t for t in plan.tasks}
    assert sorted(tasks) == ["imdb", "librispeech"]
    assert tasks["librispeech"].resolved_model() == WAV2VEC2 and tasks["imdb"].model == "bilstm"
    speech = next(t for t in data["tasks"] if t["name"] == "librispeech")
    assert "wer" in speech["metrics"] and "accuracy" not in speech["metrics"]
    assert set(speech["metrics"]) <= set(get_task("librispeech").metric_choices)
    assert "wer" not in tasks["imdb"].metrics
    assert any("'Accuracy' -> wer" in n for n in result.notes)


def test_quick_leaves_librispeech_out():
    result, plan, _ = mapped(report(LIBRISPEECH + "\n- **MNIST:** digits", metrics="- WER"))
    assert [t.name for t in plan.tasks] == ["mnist5k"]
    assert any(w.startswith("line 13: LibriSpeech (speech recognition") and "left out" in w for w in result.warnings)
    assert any("WER" in w and "none of the plan's tasks" in w for w in result.warnings)


def test_squad_v1_runs_as_v2_with_a_warning():
    result, plan, _ = mapped(report("- **SQuAD v1.1:** extractive question answering."), budget="full")
    assert [t.name for t in plan.tasks] == ["squad_v2"]
    assert any("not v1.1" in w for w in result.warnings)


@pytest.mark.parametrize(("texts", "expected"), [
    (("BERT-large", "`bert-large-uncased`"), "bert-large-uncased"),
    (("google-bert/bert-large-uncased",), "google-bert/bert-large-uncased"),
    (("facebook/wav2vec2-base",), "facebook/wav2vec2-base"),
    (("CNN/LSTM", "ResNet-18", "BERT-base", "ResNet/VGG-16"), None),
])
def test_find_hf_id(texts: tuple[str, ...], expected: str | None):
    assert find_hf_id(*texts) == expected


@pytest.mark.parametrize(("words", "expected"), [
    ("BERT (base-uncased)", "bert-base-uncased"), ("BERT-base", "bert-base-uncased"),
    ("BERT Large (cased)", "bert-large-cased"), ("BERT", None), ("BERT-based classifier", None),
    ("RoBERTa-base", None), ("DistilBERT base", None),
])
def test_bert_checkpoint(words: str, expected: str | None):
    assert bert_checkpoint(words) == expected


def test_pretrained_model_fine_tunes_at_a_small_rate_unless_the_report_states_one():
    _, plan, _ = mapped(report(TEXT_SETS["imdb"], "- **BERT (base-uncased)**"))
    assert plan.tasks[0].hparams == {"lr": 5e-5}  # lrlab's fine-tuning rate, said in a decision
    assert plan.defaults.lr == 0.001  # lrlab's default for its own models
    result, plan, _ = mapped(report(TEXT_SETS["imdb"], "- **BERT (base-uncased)**",
                                    hyperparameters="  - Learning Rate: 0.001\n"), budget="full")
    assert plan.defaults.lr == 0.001 and "lr" not in plan.tasks[0].hparams  # the report's rate, kept...
    assert any("imdb: learning rate 0.001 for the pretrained 'bert-base-uncased'" in w for w in result.warnings)
    _, plan, _ = mapped(report(TEXT_SETS["imdb"], "- **BiLSTM**"))
    assert plan.tasks[0].hparams == {}  # lrlab's own models keep the default


@pytest.mark.parametrize(("model", "expected"), [
    ("- **BiLSTM**", {"metric": "accuracy", "value": 0.5}),
    ("- **LSTM with attention**", {"metric": "accuracy", "value": 0.5}),
    ("- **BERT (base-uncased)**", {"metric": "accuracy", "value": 0.75}),
])
def test_quick_fortunes_has_measured_targets(model: str, expected: dict[str, object]):
    text = report(TEXT_SETS["ag_news"], model, "- Convergence speed (epochs to reach a predefined validation accuracy)")
    _, _, data = mapped(text)
    assert data["tasks"][0]["target"] == expected


@pytest.mark.parametrize(("line", "model", "expected"), [
    (TEXT_SETS["imdb"], "- **BiLSTM**", {"metric": "accuracy", "value": 0.715}),
    (TEXT_SETS["sst2"], "- **GRU**", {"metric": "accuracy", "value": 0.72}),
    ("- **CIFAR-10**", "- **CNN**", {"metric": "accuracy", "value": 0.83}),
    ("- **MNIST**", "- **CNN**", {"metric": "accuracy", "value": 0.93}),
    ("- **UCI Adult**", "- **MLP**", {"metric": "accuracy", "value": 0.857}),
])
def test_quick_real_data_sets_have_measured_targets(line: str, model: str, expected: dict[str, object]):
    result, _, data = mapped(report(line, model, "- Epochs to reach a predefined validation accuracy"))
    assert data["tasks"][0]["target"] == expected
    assert "reaches it within 10 epochs" in result.toml.replace("\n#   ", " ")
