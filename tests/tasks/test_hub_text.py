"""IMDB, SST-2 and AG News on fixtures in the hub's schema, tokenized by a tiny BERT tokenizer;
the recurrent models reading their token ids."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

datasets = pytest.importorskip("datasets")
pytest.importorskip("transformers")

from lrlab.tasks import build_model, get_task  # noqa: E402
from lrlab.tasks.hub import load_tokenizer  # noqa: E402
from lrlab.tasks.recurrent import PAD_ID  # noqa: E402
from lrlab.tasks.text import MAX_LENGTH, load_imdb, token_ids  # noqa: E402
from tasks.hub_fixtures import save_tokenizer  # noqa: E402

# (train, val, test) sizes and classes of each fixture (see hub_fixtures.build_hub_dir).
FIXTURES = {"imdb": ((36, 4, 10), 2), "sst2": ((36, 4, 10), 2), "ag_news": ((36, 4, 12), 4)}


@pytest.mark.parametrize("task_name", sorted(FIXTURES))
def test_texts_become_padded_token_ids(data_dir: Path, task_name: str) -> None:
    data = get_task(task_name).load()
    tokenizer = load_tokenizer("bert-base-uncased")
    sizes, classes = FIXTURES[task_name]
    assert (len(data.train), len(data.val), len(data.test)) == sizes
    assert data.num_classes == classes and data.input_shape == (MAX_LENGTH,)
    assert data.vocab_size == len(tokenizer) == 5 + 24
    for split in (data.train, data.val, data.test):
        assert split.x.dtype == torch.int64 and split.y.dtype == torch.int64
        assert split.x.min() >= 0 and split.x.max() < data.vocab_size
        assert (split.x[:, 0] == tokenizer.cls_token_id).all()
        lengths = (split.x != PAD_ID).sum(1)
        for ids, length in zip(split.x, lengths, strict=True):
            assert ids[length - 1] == tokenizer.sep_token_id  # [CLS] words [SEP], then padding only
            assert (ids[length:] == PAD_ID).all() and (ids[:length] != PAD_ID).all()
        assert set(split.y.tolist()) == set(range(classes))


def test_the_test_split_is_the_hub_test_split_and_unlabelled_splits_are_unused(data_dir: Path) -> None:
    data = get_task("imdb").load()
    fixture = datasets.load_from_disk(str(data_dir / "stanfordnlp/imdb"))
    tokenizer = load_tokenizer("bert-base-uncased")
    expected = tokenizer(list(fixture["test"]["text"]), max_length=MAX_LENGTH, truncation=True,
                         padding="max_length")["input_ids"]
    assert data.test.x.tolist() == expected
    assert data.test.y.tolist() == list(fixture["test"]["label"])
    assert len(data.train) + len(data.val) == fixture["train"].num_rows  # not "unsupervised"


def test_sst2_tests_on_glue_validation_and_validates_on_a_slice_of_train(data_dir: Path) -> None:
    data = get_task("sst2").load()
    glue = datasets.load_from_disk(str(data_dir / "nyu-mll/glue/sst2"))
    assert data.test.y.tolist() == list(glue["validation"]["label"])  # GLUE's test labels are all -1
    train_rows = {tuple(row) for row in torch.cat([data.train.x, data.val.x]).tolist()}
    tokenizer = load_tokenizer("bert-base-uncased")
    hub_train = tokenizer(list(glue["train"]["sentence"]), max_length=MAX_LENGTH, truncation=True,
                          padding="max_length")["input_ids"]
    assert train_rows == {tuple(row) for row in hub_train}


def test_the_splits_are_deterministic(data_dir: Path) -> None:
    from lrlab.tasks.text import _prepared

    first = get_task("ag_news").load()
    _prepared.cache_clear()
    torch.manual_seed(5)
    second = get_task("ag_news").load()
    for a, b in zip((first.train, first.val, first.test), (second.train, second.val, second.test),
                    strict=True):
        assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)


def test_a_tokenizer_whose_padding_id_is_not_zero_is_relabelled(data_dir: Path, tmp_path: Path) -> None:
    vocab = save_tokenizer(tmp_path / "tokenizer", specials_first=False)
    tokenizer = load_tokenizer("x", local_path=tmp_path / "tokenizer")
    assert tokenizer.pad_token_id == vocab.index("[PAD]") == 3
    ids = token_ids(["the movie", "a"], tokenizer, max_length=6)
    plain = tokenizer(["the movie", "a"], max_length=6, truncation=True, padding="max_length")
    swap = {3: 0, 0: 3}
    assert ids.tolist() == [[swap.get(i, i) for i in row] for row in plain["input_ids"]]
    assert ids.tolist()[1][3:] == [PAD_ID] * 3
    data = load_imdb(tokenizer_path=tmp_path / "tokenizer")
    assert ((data.train.x != PAD_ID).sum(1) >= 3).all() and (data.train.x[:, -1] == PAD_ID).all()


def test_an_unlabelled_split_is_refused_as_test(data_dir: Path, tmp_path: Path) -> None:
    glue = datasets.load_from_disk(str(data_dir / "nyu-mll/glue/sst2"))
    datasets.DatasetDict(train=glue["train"], test=glue["test"]).save_to_disk(tmp_path / "imdb")
    with pytest.raises(ValueError, match="lacks column"):  # SST-2's column is "sentence"
        load_imdb(local_path=tmp_path / "imdb")
    renamed = datasets.DatasetDict(train=glue["train"].rename_column("sentence", "text"),
                                   test=glue["test"].rename_column("sentence", "text"))
    renamed.save_to_disk(tmp_path / "unlabelled")
    with pytest.raises(ValueError, match=r"labels outside \[0, 2\).*unlabelled test split"):
        load_imdb(local_path=tmp_path / "unlabelled")


@pytest.mark.parametrize("model_name", ["bilstm", "lstm_attention"])
def test_the_text_models_learn_the_fixture_from_token_ids(data_dir: Path, model_name: str) -> None:
    torch.manual_seed(0)
    data = get_task("imdb").load()
    assert model_name in get_task("imdb").models
    model = build_model(model_name, data.input_shape, data.num_classes, vocab_size=data.vocab_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(15):
        loss = torch.nn.functional.cross_entropy(model(data.train.x), data.train.y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    model.eval()
    with torch.no_grad():
        accuracy = (model(data.test.x).argmax(1) == data.test.y).double().mean()
    assert accuracy >= 0.8  # sentiment words decide the fixture's labels


def test_a_trial_trains_a_text_task_from_token_ids(data_dir: Path, tmp_path: Path) -> None:
    from lrlab.train import TrialSpec
    from lrlab.train.trial import run_trial

    torch.set_num_threads(1)
    spec = TrialSpec(task="imdb", model="bilstm", metrics=("loss", "accuracy", "roc_auc"),
                     schedule="entropy", schedule_label="test", seed=0, epochs=2, batch_size=8,
                     schedule_args={"interval": 2, "threshold": 0.3})
    result = run_trial(spec, tmp_path / "trial")
    assert result.status == "completed", result.error
    assert 0.0 <= result.test["accuracy"] <= 1.0 and result.adjustments
