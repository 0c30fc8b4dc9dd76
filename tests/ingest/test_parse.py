"""The report parser on the two real seed reports, on variations of their format, and on bad input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lrlab.ingest.parse import IngestError, Setting, parse_report, read_report


def _settings(report, key: str) -> dict[tuple[str, ...], str]:
    return {s.applies_to: s.value for s in report.hyperparameters if s.key == key}


def test_seed_004_every_section(seed_004: Path):
    report = read_report(seed_004)
    assert report.title == "Adaptive Learning Rate Schedulers Based on Loss Landscape Analysis"
    assert "loss landscape" in report.idea and "curvature" in report.idea
    assert report.objective.startswith("The primary objective")
    assert "Hessian" in report.methodology and "cosine annealing" in report.methodology
    assert [(d.name, d.code, d.group) for d in report.datasets] == [
        ("CIFAR-10", "cifar10", "Image Classification"), ("MNIST", "mnist", "Image Classification"),
        ("IMDB Reviews", "imdb", "Natural Language Processing"), ("SST-2", "sst2", "Natural Language Processing"),
        ("UCI Adult Dataset", "adult", "Tabular Data")]
    assert [(m.name, m.applies_to) for m in report.models] == [
        ("Convolutional Neural Network (CNN)", ("CIFAR-10", "MNIST")),
        ("Bidirectional LSTM (BiLSTM)", ("IMDB Reviews", "SST-2")),
        ("Fully Connected Neural Network (FCNN)", ("UCI Adult",))]
    assert _settings(report, "batch_size") == {("CIFAR-10", "MNIST"): "64", ("IMDB Reviews", "SST-2"): "32",
                                               ("UCI Adult",): "128"}
    assert _settings(report, "epochs") == {("CIFAR-10", "MNIST"): "50", ("IMDB Reviews", "SST-2"): "20",
                                           ("UCI Adult",): "30"}
    assert _settings(report, "lr") == {(): "0.001"}
    assert _settings(report, "optimizer") == {(): "Adam"}
    assert _settings(report, "weight_decay") == {(): "0.0005"}
    assert "Number of epochs to reach a predefined validation loss threshold." in [m.text for m in report.metrics]
    # every thing listed keeps its line
    assert [d.line for d in report.datasets] == [34, 35, 38, 39, 42]
    assert [m.line for m in report.models] == [49, 52, 55]
    assert [s.line for s in report.hyperparameters][:3] == [62, 63, 64]
    assert report.section_lines["datasets"] == 29 and report.section_lines["results"] == 110
    assert report.runs is None
    assert report.results["eval_accuracy"] == 0.856 and report.results["epoch"] == 1.0
    assert report.benchmark["eval_loss"] == pytest.approx(0.698837161064148)
    assert "class ImprovedCNN" in report.code_changes  # code blocks stay whole, their '#' lines too
    assert report.conclusion.startswith("Based on the experiment results")
    assert list(report.extra_sections) == ["Execution"]
    assert report.notes == []


def test_seed_001_every_section(seed_001: Path):
    report = read_report(seed_001)
    assert report.title == "Develop lightweight, adaptive learning rate schedu"  # cut short in the report itself
    assert "real-time performance of the model" in report.idea
    assert report.objective.startswith("The objective of this experiment")
    assert [d.name for d in report.datasets] == ["CIFAR-10", "IMDB Reviews"]
    assert [(m.name, m.group) for m in report.models] == [
        ("ResNet-18", "Image Classification"), ("BERT (base-uncased)", "Sentiment Analysis")]
    shared = {s.key: s.value for s in report.hyperparameters if not s.applies_to}
    assert shared == {"batch_size": "32", "epochs": "50", "optimizer": "Adam", "lr": "0.001", "weight_decay": "0.0001"}
    scoped = {s.key: (s.value, s.applies_to) for s in report.hyperparameters if s.applies_to}
    assert scoped == {"image_size": ("32x32 (default for CIFAR-10)", ("ResNet-18",)),
                      "max_sequence_length": ("128", ("BERT",))}
    assert (report.runs, report.runs_evidence) == (3, "3 runs")
    assert "Validation Accuracy" in [m.text for m in report.metrics]
    assert [d.line for d in report.datasets] == [35, 36] and report.runs_line == 22
    assert report.results["eval_loss"] == pytest.approx(0.432305246591568)
    assert "train_model.py" in report.code_changes


def _relevel(text: str, level: int, numbering: str) -> str:
    """Every sub-heading of the plan at ``level``, numbered as ``numbering`` ('roman', 'none', 'step')."""
    romans = ["I", "II", "III", "IV", "V", "VI"]

    def heading(match: re.Match[str]) -> str:
        n, title = int(match.group(2)), match.group(3)
        label = {"roman": f"{romans[n - 1]}. ", "none": "", "step": f"Step {n}: "}[numbering]
        return "#" * level + f" {label}{title}"

    return re.sub(r"^(#{3,4}) (\d)\. (.+)$", heading, text, flags=re.M)


@pytest.mark.parametrize(("level", "numbering"), [(2, "roman"), (5, "none"), (1, "step"), (6, "roman")])
def test_headings_renumbered_and_relevelled(text_004: str, level: int, numbering: str):
    varied = _relevel(text_004, level, numbering)
    assert varied != text_004
    report = parse_report(varied)
    assert report.objective.startswith("The primary objective")
    assert len(report.datasets) == 5 and len(report.models) == 3
    assert _settings(report, "epochs")[("UCI Adult",)] == "30"
    assert report.results["eval_accuracy"] == 0.856


def test_bold_titles_and_labels_instead_of_headings(text_001: str):
    varied = re.sub(r"^#### \d\. (.+)$", r"**\1**", text_001, flags=re.M)
    varied = varied.replace("## Idea\n", "Idea: ").replace("## Results\n", "**Results:**\n")
    assert "#### " not in varied
    report = parse_report(varied)
    assert report.idea.startswith("Develop lightweight")
    assert report.objective.startswith("The objective")
    assert [d.name for d in report.datasets] == ["CIFAR-10", "IMDB Reviews"]
    assert report.runs == 3 and report.results["eval_accuracy"] == 0.856


def test_missing_sections_and_other_order(text_004: str):
    start, end = text_004.index("### 1. Objective"), text_004.index("### 2. Methodology")
    without_objective = text_004[:start] + text_004[end:]
    report = parse_report(without_objective)
    assert report.objective == "" and "objective" not in report.sections
    assert report.methodology and len(report.datasets) == 5
    results_first = text_004.replace("## Results", "## Results moved").split("## Results moved")
    moved = "## Results" + results_first[1] + "\n" + results_first[0]
    report = parse_report(moved)
    assert report.results["eval_accuracy"] == 0.856 and len(report.models) == 3


def test_extra_text_is_kept_aside():
    report = parse_report("Some preamble.\n# Experiment Report: X\n## Idea\nUse entropy.\n## Notes from the lab\n"
                          "Nothing to see.\n### Deeper\nstill notes\n")
    assert report.idea == "Use entropy." and report.title == "X"
    assert report.extra_sections["Notes from the lab"].endswith("still notes")
    assert report.extra_sections["(before the first heading)"] == "Some preamble."


def test_datasets_and_models_named_in_prose_only():
    report = parse_report("## Idea\nGradient variability.\n## Experiment Plan\nWe train a CNN on CIFAR-10 and "
                          "an LSTM on IMDB with a batch size of 128 and 12 epochs using SGD.\n")
    assert [d.name for d in report.datasets] == ["CIFAR-10", "IMDB"]
    assert [m.name for m in report.models] == ["CNN", "LSTM"]
    assert {s.key: s.value for s in report.hyperparameters} == {"batch_size": "128", "epochs": "12", "optimizer": "SGD"}


def test_nested_hyperparameters_scoped_by_group():
    section = ("## Idea\nCurvature.\n### Hyperparameters\n- **For CIFAR-10:**\n  - Batch Size: 256\n"
               "  - Dropout: 0.3\n- Learning rate: `3e-4` (for all datasets)\n- Warm-up: 100 steps\n"
               "- Entropy threshold: 0.6\n")
    report = parse_report(section)
    assert report.hyperparameters == [
        Setting("batch_size", "Batch Size", "256", ("CIFAR-10",), "For CIFAR-10"),
        Setting("dropout", "Dropout", "0.3", ("CIFAR-10",), "For CIFAR-10"),
        Setting("lr", "Learning rate", "3e-4", ()),
        Setting("warmup_steps", "Warm-up", "100 steps", ()),
        Setting(None, "Entropy threshold", "0.6", ()),
    ]


def test_results_that_are_not_a_dict_are_noted_not_evaluated():
    report = parse_report("## Idea\nEntropy.\n## Results\n__import__('os').system('echo hacked')\n"
                          "## Benchmark Results\n| metric | value |\n|---|---|\n| accuracy | 0.91 |\n")
    assert report.results == {} and report.notes and report.notes[0].startswith("Results: not a dict")
    assert report.benchmark == {"accuracy": 0.91}


@pytest.mark.parametrize("text", ["", "   \n\t\n", "hello world", "# Just a title\n",
                                  "\x00\x01\x02garbage\x03" * 20, "## Results\n{'a': 1}\n"])
def test_bad_text_is_one_line_ingest_error(text: str):
    with pytest.raises(IngestError) as raised:
        parse_report(text, source="r.txt")
    message = str(raised.value)
    assert message.startswith("r.txt: ") and "\n" not in message


@pytest.mark.parametrize("content", [b"", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", bytes(range(256)) * 4,
                                     "Idée".encode("latin-1")])
def test_bad_files_are_one_line_ingest_errors(tmp_path: Path, content: bytes):
    path = tmp_path / "report.txt"
    path.write_bytes(content)
    with pytest.raises(IngestError) as raised:
        read_report(path)
    assert str(raised.value).startswith(str(path)) and "\n" not in str(raised.value)


def test_missing_file(tmp_path: Path):
    with pytest.raises(IngestError, match="no such report file"):
        read_report(tmp_path / "nowhere.txt")


def test_a_sentence_starting_with_a_section_word_stays_text():
    report = parse_report("## Idea\nUse entropy.\n## Methodology\nApproach: train twice.\nData: we reuse the "
                          "splits.\nEvaluation: compare the curves.\n### Datasets\n- Wine\n")
    assert report.methodology == "Approach: train twice.\nData: we reuse the splits.\nEvaluation: compare the curves."
    assert [d.name for d in report.datasets] == ["Wine"] and report.metrics == []


def _names(report) -> list[tuple[str, str]]:
    return [(d.name, d.group) for d in report.datasets]


@pytest.mark.parametrize("datasets", [
    "- **Image Classification**: CIFAR-10 (available on Hugging Face Datasets)\n- **Sentiment Analysis**: IMDB",
    "- Image Classification: CIFAR-10\n- Sentiment Analysis: IMDB (movie reviews)",
    "1. **Image Classification**:\n   - CIFAR-10\n2. **Sentiment Analysis**:\n   - IMDB",
    "#### Image Classification\n- CIFAR-10\n#### Sentiment Analysis\n- IMDB",
    "| Task | Dataset |\n|---|---|\n| Image Classification | CIFAR-10 |\n| Sentiment Analysis | IMDB |",
    "- Image Classification — CIFAR-10\n- Sentiment Analysis — IMDB",
])
def test_the_side_that_names_the_data_set_is_read_from_what_it_holds(datasets: str):
    report = parse_report(f"## Idea\nEntropy.\n### Datasets\n{datasets}\n")
    assert _names(report) == [("CIFAR-10", "Image Classification"), ("IMDB", "Sentiment Analysis")]


@pytest.mark.parametrize(("datasets", "expected"), [
    ("- **CIFAR-10:** a widely used data set for image classification", [("CIFAR-10", "")]),
    ("- **Image data**: CIFAR-10, MNIST and SVHN", [("CIFAR-10", "Image data"), ("MNIST", "Image data"),
                                                   ("SVHN", "Image data")]),
    ("- MNIST, handwritten digits", [("MNIST", "")]),
    ("- **Vision**: our in-house X-ray scans", [("our in-house X-ray scans", "Vision")]),
    ("- **TinyStories**: short stories written by a language model", [("TinyStories", "")]),
    ("CIFAR-10 (`cifar10`)\nMNIST (`mnist`)", [("CIFAR-10", ""), ("MNIST", "")]),
    ("We use CIFAR-10 and IMDB from the hub.", [("CIFAR-10", ""), ("IMDB", "")]),
])
def test_data_set_entries(datasets: str, expected: list[tuple[str, str]]):
    assert _names(parse_report(f"## Idea\nEntropy.\n### Datasets\n{datasets}\n")) == expected


@pytest.mark.parametrize(("models", "expected"), [
    ("- **Image Classification**: ResNet-50\n- **Natural Language Processing**: BERT (base-uncased)",
     [("ResNet-50", "Image Classification", ()), ("BERT (base-uncased)", "Natural Language Processing", ())]),
    ("- ResNet-18 for CIFAR-10 and CNN for MNIST", [("ResNet-18", "", ("CIFAR-10",)), ("CNN", "", ("MNIST",))]),
    ("- **BiLSTM** (for SST-2): two layers", [("BiLSTM", "", ("SST-2",))]),
    ("| Dataset | Model |\n|---|---|\n| CIFAR-10 | ResNet-50 |", [("ResNet-50", "", ("CIFAR-10",))]),
    ("We train an MLP on UCI Adult and a CNN on MNIST.", [("MLP", "", ("UCI Adult",)), ("CNN", "", ("MNIST",))]),
])
def test_model_entries(models: str, expected: list[tuple[str, str, tuple[str, ...]]]):
    report = parse_report(f"## Idea\nEntropy.\n### Model Architecture\n{models}\n")
    assert [(m.name, m.group, m.applies_to) for m in report.models] == expected


@pytest.mark.parametrize(("hyperparameters", "expected"), [
    ("- Regularization (Weight Decay): 1e-5", [("weight_decay", "1e-5", ())]),
    ("- Learning Rate (LR): 0.001\n- Batch Size (per device): 32", [("lr", "0.001", ()), ("batch_size", "32", ())]),
    ("- Regularization: Dropout 0.3", [("dropout", "0.3", ())]),
    ("- Optimizer: AdamW (learning rate 3e-4, weight decay 0.01)",
     [("optimizer", "AdamW (learning rate 3e-4, weight decay 0.01)", ()), ("lr", "3e-4", ()), ("weight_decay", "0.01", ())]),
    ("| Hyperparameter | Value |\n|---|---|\n| Learning rate | 1e-3 |\n| Epochs | 20 |",
     [("lr", "1e-3", ()), ("epochs", "20", ())]),
    ("| Dataset | Batch size | Epochs |\n|---|---|---|\n| CIFAR-10 | 128 | 30 |\n| IMDB | 32 | 5 |",
     [("batch_size", "128", ("CIFAR-10",)), ("epochs", "30", ("CIFAR-10",)), ("batch_size", "32", ("IMDB",)),
      ("epochs", "5", ("IMDB",))]),
    ("We train for 20 epochs with a batch size of 64 using SGD at a learning rate of 0.1.",
     [("batch_size", "64", ()), ("lr", "0.1", ()), ("epochs", "20", ()), ("optimizer", "SGD", ())]),
    ("- Adam optimizer\n- 50 epochs", [("epochs", "50", ()), ("optimizer", "Adam", ())]),
])
def test_settings_as_written(hyperparameters: str, expected: list[tuple[str, str, tuple[str, ...]]]):
    report = parse_report(f"## Idea\nEntropy.\n### Hyperparameters\n{hyperparameters}\n")
    assert sorted((s.key or "", s.value, s.applies_to) for s in report.hyperparameters) == sorted(expected)


def test_list_items_that_open_sections_hold_them_to_their_next_sibling():
    report = parse_report("## Experiment Plan\n- **Datasets**: CIFAR-10, MNIST\n- **Models**:\n  - ResNet-18 for "
                          "CIFAR-10\n  - CNN for MNIST\n- **Learning rate**: 0.001\n- **Epochs**: 30\n"
                          "- **Idea**: lower the rate while entropy is high\n")
    assert [d.name for d in report.datasets] == ["CIFAR-10", "MNIST"]
    assert [(m.name, m.applies_to) for m in report.models] == [("ResNet-18", ("CIFAR-10",)), ("CNN", ("MNIST",))]
    assert {s.key: s.value for s in report.hyperparameters} == {"lr": "0.001", "epochs": "30"}
    assert report.idea == "lower the rate while entropy is high"


def test_setext_headings_code_blocks_and_a_lazy_line():
    report = parse_report("Idea\n====\nUse entropy.\n\nDatasets\n--------\n- MNIST\n\n```python\n# Datasets\n"
                          "- not a data set\n```\n\nModels:\n- CNN\n")
    assert report.idea == "Use entropy." and [d.name for d in report.datasets] == ["MNIST"]
    assert [m.name for m in report.models] == ["CNN"]


def test_a_results_line_in_a_plan_list_stays_in_the_plan():
    report = parse_report("## Experiment Plan\n- **Datasets**: MNIST\n- Results: logged to a CSV file\n")
    assert report.results == {} and "results" not in report.sections


def test_base64_is_not_a_report():
    import base64

    text = base64.encodebytes(bytes(range(256)) * 30).decode()
    with pytest.raises(IngestError, match="not an experiment report"):
        parse_report(text, source="r.txt")
