"""A corpus of experiment reports of the seeds' family, written with other habits, each with the
plan it must map to.

Five experiments (one per scheduling idea: what data sets, models, settings, rule and baselines
they state) are written in many styles: headings at other levels, numbered or not, bold titles or
labels, list items opening sections; data sets as ``Name: description`` or ``Category: Name``,
nested under their category, in a table, in prose; models "for" their data set, by category, in a
table; settings as plain or bold keys, keys with a parenthesis, a table, a table per data set,
prose; the rule in the idea, in the method or as settings, in other words each time; baselines in
a sentence, a list or an "e.g.". Every variant's expected plan is the experiment's: what a
variant changes is only how it is written.

``python benchmarks/ingest_accuracy.py`` measures the mapping on this corpus and the seed reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .seed_reports import SEED_001, SEED_004

CATEGORY = {"CIFAR-10": "Image Classification", "MNIST": "Image Classification", "Fashion-MNIST": "Image Classification",
            "IMDB": "Sentiment Analysis", "SST-2": "Sentiment Analysis", "AG News": "Text Classification",
            "UCI Adult": "Tabular Data"}
DESCRIPTION = {"CIFAR-10": "60,000 32x32 colour images in 10 classes", "MNIST": "70,000 handwritten digits",
               "Fashion-MNIST": "Zalando's article images, 10 classes", "IMDB": "50,000 movie reviews labelled by sentiment",
               "SST-2": "Stanford Sentiment Treebank, binary", "AG News": "news articles in 4 topics",
               "UCI Adult": "census income, above or below $50K"}
QUICK = {"CIFAR-10": "fashion_mnist_10k", "MNIST": "mnist5k", "Fashion-MNIST": "fashion_mnist_10k",
         "IMDB": "rotten_tomatoes", "SST-2": "rotten_tomatoes", "AG News": "fortunes", "UCI Adult": "adult"}


@dataclass(frozen=True)
class Experiment:
    """What a report states, and what its plan must hold under ``--budget full``."""

    key: str
    title: str
    idea: str  # the idea without its rule
    datasets: dict[str, str]  # name as written -> the task it is under --budget full
    models: dict[str, tuple[str, str]]  # data set -> (model as written, model in the plan)
    settings: dict[str, Any]  # plan field -> value; written in the styles below
    rules: tuple[str, ...]  # the rule in other words (one per variant, in turn)
    rule_settings: tuple[tuple[str, str], ...]  # the rule as settings (key, value)
    proposed: str
    args: dict[str, Any]  # the proposed schedule's arguments (as given) in the plan
    baselines: tuple[str, ...]  # as the report names them
    baseline_names: tuple[str, ...]  # as the plan names them
    distinct_domains: bool  # models may be told apart by their data's kind


EXPERIMENTS = (
    Experiment(
        "entropy", "Entropy-guided learning rates",
        "Lower the learning rate while the model's predictions are uncertain, measured by the entropy of its "
        "predictive distribution.",
        {"CIFAR-10": "cifar10", "IMDB": "imdb"},
        {"CIFAR-10": ("ResNet-50", "resnet50"), "IMDB": ("BERT (base-uncased)", "bert-base-uncased")},
        {"lr": 0.001, "batch_size": 32, "epochs": 20, "weight_decay": 1e-5, "optimizer": "adam"},
        ("Every 20 steps, if entropy > 0.6, reduce learning rate by 10%.",
         "Every 20 iterations the rate is multiplied by 0.9 whenever the entropy exceeds 0.6.",
         "If the entropy rises above a threshold of 0.6 (checked every 20 steps), scale the rate ×0.9.",
         "Every 20 steps: when entropy is above 0.6, reduce the learning rate 10 percent."),
        (("Entropy threshold", "0.6"), ("Reduction factor", "10%"), ("Adjustment interval", "every 20 steps")),
        "entropy", {"threshold": 0.6, "factor": 0.9, "interval": 20},
        ("a constant learning rate", "cosine annealing"), ("constant", "cosine"), True),
    Experiment(
        "gradvar", "Gradient-variability learning rates",
        "Adapt the learning rate to the variability of the gradients from batch to batch.",
        {"MNIST": "mnist", "UCI Adult": "adult"},
        {"MNIST": ("CNN", "cnn"), "UCI Adult": ("MLP", "mlp")},
        {"lr": 0.0005, "batch_size": 128, "epochs": 15, "dropout": 0.2, "optimizer": "adam"},
        ("Over a window of the last 8 batches, lower the learning rate by 20% when the variability grows.",
         "Compare the variance of the gradients over the last 8 batches; when it grows, multiply the rate by 0.8.",
         "With a window size of 8 steps, reduce the learning rate by a factor of 1.25 when gradients vary more."),
        (("Window size", "8 batches"), ("Decrease", "20%")),
        "gradvar", {"window": 8, "factor": 0.2},
        ("step decay", "ReduceLROnPlateau"), ("step", "plateau"), True),
    Experiment(
        "performance", "Performance-driven learning rates",
        "Adjust the learning rate from the real-time performance of the model on the validation set.",
        {"SST-2": "sst2", "AG News": "ag_news"},
        {"SST-2": ("BiLSTM", "bilstm"), "AG News": ("LSTM with attention", "lstm_attention")},
        {"lr": 0.01, "batch_size": 64, "epochs": 12, "optimizer": "sgd"},
        ("Halve the learning rate if the validation loss does not improve for 3 epochs.",
         "Divide the learning rate by 2 after 3 epochs without improvement.",
         "With a patience of 3 epochs, cut the learning rate in half when validation loss stalls."),
        (("Patience", "3 epochs"), ("Reduction", "50%")),
        "performance", {"patience": 3, "decrease": 0.5},
        ("a constant learning rate", "one-cycle"), ("constant", "onecycle"), False),
    Experiment(
        "meta", "Meta-learned learning rates",
        "A meta-learning controller, trained by reinforcement learning with the validation loss as its reward, "
        "sets the learning rate.",
        {"Fashion-MNIST": "fashion_mnist", "CIFAR-10": "cifar10"},
        {"Fashion-MNIST": ("ResNet-18", "resnet18"), "CIFAR-10": ("CNN", "cnn")},
        {"lr": 0.0003, "batch_size": 256, "epochs": 25, "weight_decay": 0.0005, "optimizer": "adamw"},
        ("The meta-learner's learning rate is 1e-4.", "Meta learning rate: 0.0001.",
         "The controller is trained with a meta-learner learning rate of 1 × 10^-4."),
        (("Meta-learner learning rate", "1e-4"),),
        "meta", {"meta_lr": 0.0001},
        ("cosine annealing", "linear warm-up and decay"), ("cosine", "linear"), False),
    Experiment(
        "curvature", "Curvature-aware learning rates",
        "Set the learning rate from the curvature of the loss landscape (second-order information, the Hessian).",
        {"IMDB": "imdb", "MNIST": "mnist"},
        {"IMDB": ("BERT-large", "bert-large-uncased"), "MNIST": ("MLP", "mlp")},
        {"lr": 3e-05, "batch_size": 16, "epochs": 4, "optimizer": "adamw"},
        ("Re-estimate the curvature every 25 steps.", "The curvature estimate is refreshed every 25 iterations.",
         "Curvature is measured at an interval of 25 steps."),
        (("Curvature interval", "25 steps"),),
        "curvature", {"interval": 25, "rate_rule": "quadratic_step"},
        ("step decay", "cosine annealing", "ReduceLROnPlateau"), ("step", "cosine", "plateau"), True),
)


@dataclass(frozen=True)
class Variant:
    name: str
    text: str
    experiment: Experiment
    space: dict[str, list[float]] = field(default_factory=dict)  # the proposed schedule's narrowed space
    args: dict[str, Any] | None = None  # when the variant states ranges: the as-given arguments

    def expected_args(self) -> dict[str, Any]:
        return self.args if self.args is not None else self.experiment.args

    def quick_tasks(self) -> set[str]:
        return {QUICK[name] for name in self.experiment.datasets}


SETTING_WORDS = {"lr": ("Learning rate", "Learning Rate (LR)"), "batch_size": ("Batch size", "Batch Size (per device)"),
                 "epochs": ("Epochs", "Number of Epochs"), "weight_decay": ("Weight decay", "Regularization (Weight Decay)"),
                 "dropout": ("Dropout", "Dropout Rate (p)"), "optimizer": ("Optimizer", "Optimizer")}
OPTIMIZER = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD"}


def _written(field_name: str, value: Any, style: int) -> str:
    if field_name == "optimizer":
        return OPTIMIZER[value]
    if field_name == "lr" and style % 2:
        return f"{value:.0e}".replace("e-0", "e-")
    if field_name == "weight_decay" and value < 1e-4:
        return f"{value:.0e}".replace("e-0", "e-")
    return f"{value:g}" if isinstance(value, float) else str(value)


# -- sections in each style -----------------------------------------------------------------------
def datasets_block(e: Experiment, style: str) -> str:
    names = list(e.datasets)
    if style == "name-desc":
        return "\n".join(f"- **{n}:** {DESCRIPTION[n]}, available on Hugging Face Datasets." for n in names)
    if style == "category-name":
        return "\n".join(f"- **{CATEGORY[n]}**: {n} (available on Hugging Face Datasets)" for n in names)
    if style == "category-plain":
        return "\n".join(f"- {CATEGORY[n]}: {n}" for n in names)
    if style == "nested":
        groups: dict[str, list[str]] = {}
        for n in names:
            groups.setdefault(CATEGORY[n], []).append(n)
        return "\n".join(f"{i}. **{g}**:\n" + "\n".join(f"   - {n} (`{e.datasets[n]}`)" for n in members)
                         for i, (g, members) in enumerate(groups.items(), 1))
    if style == "table":
        rows = "\n".join(f"| {CATEGORY[n]} | {n} | Hugging Face |" for n in names)
        return f"| Task | Dataset | Source |\n|---|---|---|\n{rows}"
    if style == "prose":
        return f"We use {names[0]} and {names[1]}, both from Hugging Face Datasets."
    if style == "dash":
        return "\n".join(f"* {n} — {DESCRIPTION[n]}" for n in names)
    raise ValueError(style)


def models_block(e: Experiment, style: str) -> str:
    pairs = [(n, m) for n, (m, _) in e.models.items()]
    if style in ("category", "nested", "prose") and not e.distinct_domains:
        style = "for"
    if style == "for":
        return "\n".join(f"- {m} for {n}" for n, m in pairs)
    if style == "for-bold":
        return "\n".join(f"- **{m}** (for {n}): the model trained on it." for n, m in pairs)
    if style == "category":
        return "\n".join(f"- **{CATEGORY[n]}**: {m}" for n, m in pairs)
    if style == "nested":
        return "\n".join(f"- **{CATEGORY[n]}:**\n  - **{m}:** the model for this kind of data." for n, m in pairs)
    if style == "table":
        rows = "\n".join(f"| {n} | {m} |" for n, m in pairs)
        return f"| Dataset | Model |\n|---|---|\n{rows}"
    if style == "prose":
        return "We train " + " and ".join(f"{m} on {n}" for n, m in pairs) + "."
    raise ValueError(style)


def settings_block(e: Experiment, style: str, rule_settings: bool) -> str:
    items = list(e.settings.items())
    rules = list(e.rule_settings) if rule_settings else []
    if style == "plain":
        lines = [f"- {SETTING_WORDS[k][0]}: {_written(k, v, 0)}" for k, v in items] + [f"- {k}: {v}" for k, v in rules]
    elif style == "bold":
        lines = [f"- **{SETTING_WORDS[k][0]}**: `{_written(k, v, 1)}`" for k, v in items] + \
                [f"- **{k}**: `{v}`" for k, v in rules]
    elif style == "paren":
        lines = [f"- {SETTING_WORDS[k][1]}: {_written(k, v, 1)}" for k, v in items] + [f"- {k}: {v}" for k, v in rules]
    elif style == "nested":
        lines = ["- **Common Hyperparameters:**"] + [f"  - {SETTING_WORDS[k][0]}: {_written(k, v, 0)}" for k, v in items]
        if rules:
            lines += ["- **Rule settings:**"] + [f"  - {k}: {v}" for k, v in rules]
    elif style == "table":
        rows = [f"| {SETTING_WORDS[k][0]} | {_written(k, v, 1)} |" for k, v in items] + [f"| {k} | {v} |" for k, v in rules]
        lines = ["| Hyperparameter | Value |", "|---|---|", *rows]
    elif style == "table-per-dataset":
        shared = [(k, v) for k, v in items if k not in ("batch_size", "epochs")]
        rows = [f"| {n} | {e.settings['batch_size']} | {e.settings['epochs']} |" for n in e.datasets]
        lines = ["| Dataset | Batch size | Epochs |", "|---|---|---|", *rows, "",
                 *[f"- {SETTING_WORDS[k][0]}: {_written(k, v, 0)}" for k, v in shared],
                 *[f"- {k}: {v}" for k, v in rules]]
    elif style == "prose":
        s = e.settings
        words = [f"We train for {s['epochs']} epochs with a batch size of {s['batch_size']}, using "
                 f"{OPTIMIZER[s['optimizer']]} at a learning rate of {_written('lr', s['lr'], 1)}."]
        if "weight_decay" in s:
            words.append(f"Weight decay is {_written('weight_decay', s['weight_decay'], 0)}.")
        if "dropout" in s:
            words.append(f"Dropout of {s['dropout']} is applied.")
        lines = [" ".join(words)] + [f"- {k}: {v}" for k, v in rules]
    else:
        raise ValueError(style)
    return "\n".join(lines)


def baselines_text(e: Experiment, style: str) -> tuple[str, str]:
    """(a sentence for the methodology, or a section of its own)."""
    names = list(e.baselines)
    joined = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]
    if style == "sentence":
        return f"Compare the proposed scheduler with {joined}.", ""
    if style == "eg":
        return f"Train the same models with standard schedules (e.g., {', '.join(names)}) as baselines.", ""
    if style == "list":
        return "", "\n".join(f"- {n[0].upper()}{n[1:]}" for n in names)
    raise ValueError(style)


HEADINGS = ("atx-numbered", "atx-deep", "atx2", "bold", "label", "numbered-bold", "setext", "openers")
DATASET_STYLES = ("name-desc", "category-name", "category-plain", "nested", "table", "prose", "dash")
MODEL_STYLES = ("for", "category", "table", "for-bold", "nested", "prose")
SETTING_STYLES = ("plain", "bold", "paren", "nested", "table", "table-per-dataset", "prose")
RULE_PLACES = ("idea", "method", "settings")
BASELINE_STYLES = ("sentence", "list", "eg")


def _heading(style: str, title: str, number: int, body: str) -> str:
    if style == "atx-numbered":
        return f"### {number}. {title}\n\n{body}\n"
    if style == "atx-deep":
        return f"#### {title}\n{body}\n"
    if style == "atx2":
        return f"## {title}\n\n{body}\n"
    if style == "bold":
        return f"**{title}**\n\n{body}\n"
    if style == "label":
        return f"{title}:\n\n{body}\n"
    if style == "numbered-bold":
        indented = "\n".join(("   " + line) if line else "" for line in body.splitlines())
        return f"{number}. **{title}**:\n{indented}\n"
    if style == "setext":
        return f"{title}\n{'-' * len(title)}\n\n{body}\n"
    if style == "openers":
        indented = "\n".join(("  " + line) if line else "" for line in body.splitlines())
        return f"- **{title}**:\n{indented}\n"
    raise ValueError(style)


def render(e: Experiment, heading: str, datasets: str, models: str, settings: str, rule_place: str,
           rule: str, baselines: str) -> str:
    idea = e.idea + (f" {rule}" if rule_place == "idea" else "")
    method, section = baselines_text(e, baselines)
    method = " ".join(w for w in (method, rule if rule_place == "method" else "") if w)
    parts = [("Objective", f"Test whether {e.title.lower()} converge faster than standard schedules."),
             ("Methodology", method or "Train each model with every schedule, on the same data and settings."),
             ("Datasets", datasets_block(e, datasets)),
             ("Model Architecture", models_block(e, models)),
             ("Hyperparameters", settings_block(e, settings, rule_place == "settings"))]
    if section:
        parts.append(("Baselines", section))
    parts.append(("Evaluation Metrics", "- Validation accuracy\n- Validation loss\n- Epochs to reach a target accuracy"))
    plan = "\n".join(_heading(heading, title, i, body) for i, (title, body) in enumerate(parts, 1))
    opening = "## Experiment Plan\n\n" if heading != "atx2" else ""
    if heading == "atx-deep":
        opening += f"### Experiment Plan: {e.title}\n\n"
    return (f"# Experiment Report: {e.title}\n\n## Idea\n{idea}\n\n{opening}{plan}\n"
            "## Results\n{'eval_loss': 0.43, 'eval_accuracy': 0.86}\n\n## Conclusion\nIt helped.\n")


def corpus() -> list[Variant]:
    """The corpus: every experiment in several styles (42 variants), and the rule stated as ranges."""
    variants = []
    for i in range(42):
        e = EXPERIMENTS[i % len(EXPERIMENTS)]
        k = i // len(EXPERIMENTS)
        styles = (HEADINGS[i % len(HEADINGS)], DATASET_STYLES[(i + k) % len(DATASET_STYLES)],
                  MODEL_STYLES[(i + 2 * k) % len(MODEL_STYLES)], SETTING_STYLES[(i + 3 * k) % len(SETTING_STYLES)],
                  RULE_PLACES[(i + k) % len(RULE_PLACES)], BASELINE_STYLES[(i + 2 * k) % len(BASELINE_STYLES)])
        rule = e.rules[k % len(e.rules)]
        text = render(e, *styles[:5], rule, styles[5])
        variants.append(Variant(f"{i:02d}-{e.key}-" + "-".join(styles), text, e))
    entropy, gradvar = EXPERIMENTS[0], EXPERIMENTS[1]
    ranged = render(entropy, "atx-numbered", "category-name", "category", "plain", "settings", "", "sentence")
    ranged = ranged.replace("- Entropy threshold: 0.6", "- Entropy threshold: between 0.4 and 0.8")
    variants.append(Variant("range-entropy-threshold", ranged, entropy, {"threshold": [0.4, 0.8]},
                            {"threshold": 0.5, "factor": 0.9, "interval": 20}))
    ranged = render(gradvar, "bold", "nested", "category", "bold", "idea",
                    "Over the last 8 batches, lower the learning rate by 10-30% when the variability grows.", "list")
    variants.append(Variant("range-gradvar-decrease", ranged, gradvar, {"factor": [0.1, 0.3]},
                            {"window": 8, "factor": 0.1}))
    return variants


@dataclass(frozen=True)
class SeedExpectation:
    """What each seed report must map to under --budget full."""

    path: Any
    datasets: dict[str, str]
    models: dict[str, str]  # task -> model
    settings: dict[str, Any]  # plan field -> value on every task
    task_settings: dict[str, dict[str, Any]]  # task -> its own values
    proposed: str
    args: dict[str, Any]
    baselines: tuple[str, ...]


SEEDS = (
    SeedExpectation(SEED_001, {"CIFAR-10": "cifar10", "IMDB Reviews": "imdb"},
                    {"cifar10": "resnet18", "imdb": "bert-base-uncased"},
                    {"batch_size": 32, "epochs": 50, "optimizer": "adam", "lr": 0.001, "weight_decay": 0.0001}, {},
                    "performance", {}, ("constant", "step", "cosine")),
    SeedExpectation(SEED_004, {"CIFAR-10": "cifar10", "MNIST": "mnist", "IMDB Reviews": "imdb", "SST-2": "sst2",
                               "UCI Adult Dataset": "adult"},
                    {"cifar10": "cnn", "mnist": "cnn", "imdb": "bilstm", "sst2": "bilstm", "adult": "fcnn"},
                    {"optimizer": "adam", "lr": 0.001, "weight_decay": 0.0005},
                    {"cifar10": {"batch_size": 64, "epochs": 50}, "mnist": {"batch_size": 64, "epochs": 50},
                     "imdb": {"batch_size": 32, "epochs": 20}, "sst2": {"batch_size": 32, "epochs": 20},
                     "adult": {"batch_size": 128, "epochs": 30}},
                    "curvature", {"rate_rule": "quadratic_step"}, ("constant", "step", "cosine")),
)
