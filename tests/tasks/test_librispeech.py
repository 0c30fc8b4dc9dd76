"""LibriSpeech on a tiny fixture in the hub's schema (FLAC bytes), with a tiny wav2vec 2.0 CTC model:
decoding, filtering, batches, the CTC loss and the word and character error rates."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

datasets = pytest.importorskip("datasets")
pytest.importorskip("transformers")
pytest.importorskip("soundfile")
jiwer = pytest.importorskip("jiwer")

from lrlab.tasks.hub import DatasetUnavailable  # noqa: E402
from lrlab.tasks.librispeech import (  # noqa: E402
    DEFAULT_MODEL,
    CtcObjective,
    collate_speech,
    decode_audio,
    load_librispeech,
)
from lrlab.tasks.objective import Examples  # noqa: E402
from tasks.librispeech_fixtures import (  # noqa: E402
    RATE,
    UTTERANCES,
    VOCAB,
    flac_bytes,
    librispeech_dict,
    save_librispeech,
    save_model_folder,
)


@pytest.fixture(scope="module")
def fixture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, list[np.ndarray]]]:
    """(data set folder, model folder, each split's int16 samples)."""
    root = tmp_path_factory.mktemp("librispeech")
    samples = save_librispeech(root / "data")
    return root / "data", save_model_folder(root / "model"), samples


def load(fixture: tuple[Path, Path, dict], **options: object):
    data_folder, model_folder, _ = fixture
    return load_librispeech(pretrained=str(model_folder), local_path=data_folder, **options)


def batches_of(split: Examples, size: int) -> list[dict[str, torch.Tensor]]:
    items = [split.dataset[i] for i in range(len(split))]
    return [split.collate(items[start:start + size]) for start in range(0, len(items), size)]


def test_items_are_the_decoded_normalised_audio_and_the_transcripts_character_ids(fixture) -> None:
    from transformers import Wav2Vec2CTCTokenizer

    data = load(fixture)
    tokenizer = Wav2Vec2CTCTokenizer.from_pretrained(str(fixture[1]))
    assert data.num_classes == 0 and data.input_shape == () and data.objective.default_model == str(fixture[1])
    for name, split in (("validation", data.val), ("test", data.test)):
        texts = [text for _, text in UTTERANCES[name]]
        assert split.meta == tuple(texts)
        for i, (samples, text) in enumerate(zip(fixture[2][name], texts, strict=True)):
            item = split.dataset[i]
            wave = samples.astype(np.float64) / 32768  # what soundfile wrote, read back exactly
            expected = (wave - wave.mean()) / np.sqrt(wave.var() + 1e-7)  # zero mean, unit variance
            assert item["input_values"].dtype == np.float32 and item["input_values"].shape == wave.shape
            np.testing.assert_allclose(item["input_values"], expected, atol=1e-4)
            assert item["labels"].dtype == np.int64
            assert item["labels"].tolist() == tokenizer(text)["input_ids"]
            assert "".join(VOCAB[i] for i in item["labels"]) == text.replace(" ", "|")


def test_decode_audio_reads_flac_bytes_and_files_and_refuses_other_rates(tmp_path: Path) -> None:
    samples = (np.arange(-400, 400, dtype=np.int16) * 40)
    raw = flac_bytes(samples)
    assert np.array_equal(decode_audio({"bytes": raw, "path": None}), samples / np.float32(32768))
    (tmp_path / "a.flac").write_bytes(raw)
    assert np.array_equal(decode_audio({"bytes": None, "path": str(tmp_path / "a.flac")}),
                          samples / np.float32(32768))
    with pytest.raises(ValueError, match="8000 Hz.*16000 Hz"):
        decode_audio({"bytes": flac_bytes(samples, 8000), "path": None}, "x")


def test_audio_at_another_rate_stops_loading_with_a_clear_error(tmp_path: Path, fixture) -> None:
    data, _ = librispeech_dict({name: rows[:2] for name, rows in UTTERANCES.items()}, rate=8000)
    data.save_to_disk(str(tmp_path / "data"))
    with pytest.raises(ValueError, match="train.100 row 0 is sampled at 8000 Hz"):
        load_librispeech(pretrained=str(fixture[1]), local_path=tmp_path / "data")


def test_long_train_utterances_are_dropped_and_validation_and_test_kept_whole(fixture) -> None:
    data = load(fixture, max_train_seconds=0.6)
    kept = [text for seconds, text in UTTERANCES["train.100"] if seconds <= 0.6]
    assert 0 < len(kept) < len(UTTERANCES["train.100"])
    assert data.train.meta == tuple(kept) and len(data.train) == len(kept)
    assert [len(data.train.dataset[i]["input_values"]) for i in range(len(kept))] == [
        round(seconds * RATE) for seconds, _ in UTTERANCES["train.100"] if seconds <= 0.6]
    assert len(data.val) == 3 and len(data.test) == 3  # with 1.0 s and 0.8 s utterances
    assert len(load(fixture, max_train_seconds=16.0).train) == len(UTTERANCES["train.100"])
    with pytest.raises(ValueError, match="max_train_seconds"):
        load(fixture, max_train_seconds=0)


@pytest.mark.parametrize("stored", ["WAV bytes", "FLAC files"])
def test_lengths_are_read_from_wav_bytes_and_from_files_too(tmp_path: Path, fixture, stored: str) -> None:
    files = tmp_path / "files" if stored == "FLAC files" else None
    if files is not None:
        files.mkdir()
    data, samples = librispeech_dict(audio_format=stored.split()[0], files=files)
    data.save_to_disk(str(tmp_path / "data"))
    task = load_librispeech(pretrained=str(fixture[1]), local_path=tmp_path / "data", max_train_seconds=0.6)
    assert task.train.meta == tuple(text for seconds, text in UTTERANCES["train.100"] if seconds <= 0.6)
    first = task.val.dataset[1]["input_values"]
    assert first.shape == samples["validation"][1].shape


def test_missing_columns_and_splits_are_named(tmp_path: Path, fixture) -> None:
    data = datasets.load_from_disk(str(fixture[0]))
    data.remove_columns("text").save_to_disk(str(tmp_path / "no_text"))
    with pytest.raises(ValueError, match=r"lacks column\(s\) text"):
        load_librispeech(pretrained=str(fixture[1]), local_path=tmp_path / "no_text")
    with pytest.raises(ValueError, match=r"lacks split\(s\) \['train.360'\]"):
        load(fixture, train_split="train.360")


def test_collate_pads_audio_with_zeros_and_labels_with_minus_100(fixture) -> None:
    data = load(fixture)
    items = [data.test.dataset[i] for i in range(3)]
    batch = data.test.collate(items)
    lengths = [len(item["input_values"]) for item in items]
    characters = [len(item["labels"]) for item in items]
    assert batch["input_values"].shape == (3, max(lengths)) and batch["input_values"].dtype == torch.float32
    assert batch["labels"].shape == (3, max(characters)) and batch["labels"].dtype == torch.int64
    assert batch["attention_mask"].sum(1).tolist() == lengths
    for row, item in enumerate(items):
        assert torch.equal(batch["input_values"][row, :lengths[row]], torch.from_numpy(item["input_values"]))
        assert (batch["input_values"][row, lengths[row]:] == 0).all()
        assert batch["labels"][row, :characters[row]].tolist() == item["labels"].tolist()
        assert (batch["labels"][row, characters[row]:] == -100).all()
    assert collate_speech(items, padding_value=0.5)["input_values"][2, -1] == 0.5


def test_the_ctc_loss_is_finite_and_a_step_trains_the_head_not_the_feature_encoder(fixture) -> None:
    data = load(fixture)
    torch.manual_seed(0)
    model = data.objective.build_model(str(fixture[1]))
    assert model.config.ctc_loss_reduction == "mean" and model.config.pad_token_id == 0
    encoder = list(model.wav2vec2.feature_extractor.parameters())
    assert encoder and not any(p.requires_grad for p in encoder)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    batch = batches_of(data.train, 4)[0]
    loss, logits = data.objective.loss(model, batch)
    assert loss.ndim == 0 and torch.isfinite(loss) and loss > 0
    assert logits.shape[0] == 4 and logits.shape[2] == len(VOCAB)
    loss.backward()
    optimizer.step()
    changed = {name for name, p in model.named_parameters() if not torch.equal(p, before[name])}
    assert "lm_head.weight" in changed
    assert not any(name.startswith("wav2vec2.feature_extractor.") for name in changed)
    dropped = data.objective.build_model(str(fixture[1]), dropout=0.3)
    assert dropped.config.hidden_dropout == dropped.config.final_dropout == 0.3


def _silent(model: torch.nn.Module, token: int) -> torch.nn.Module:
    """``model`` made to predict ``token`` at every frame."""
    with torch.no_grad():
        model.lm_head.weight.zero_()
        model.lm_head.bias.zero_()
        model.lm_head.bias[token] = 10.0
    return model.eval()


@torch.no_grad()
def test_evaluate_gives_jiwers_error_rates_of_greedy_ctc_decoding(fixture) -> None:
    data = load(fixture)
    objective, split = data.objective, data.val
    torch.manual_seed(0)
    model = objective.build_model(str(fixture[1])).eval()
    references = list(split.meta)

    # the hypotheses, utterance by utterance: argmax per frame, repeats merged, blanks dropped
    hypotheses, losses = [], []
    for i in range(len(split)):
        item = split.dataset[i]
        output = model(torch.from_numpy(item["input_values"])[None],
                       labels=torch.from_numpy(item["labels"])[None])
        ids = [int(t) for t in output.logits[0].argmax(-1)]
        merged = [t for j, t in enumerate(ids) if (j == 0 or t != ids[j - 1]) and t != 0]
        hypotheses.append("".join(VOCAB[t] for t in merged).replace("|", " ").strip())
        losses.append(float(output.loss))
    expected = {"loss": np.mean(losses), "wer": jiwer.wer(references, hypotheses),
                "cer": jiwer.cer(references, hypotheses)}
    for size in (1, 2):  # batches of 2 pad the shorter utterances; padding frames are cut off
        result = objective.evaluate(model, split, batches_of(split, size), ["loss", "wer", "cer"])
        assert list(result) == ["loss", "wer", "cer"]
        for name in result:
            assert result[name] == pytest.approx(expected[name], rel=1e-5)
    assert list(objective.evaluate(model, split, batches_of(split, 2), ["cer"])) == ["cer"]

    # a model that predicts only blanks transcribes nothing: every word and character is an error
    silent = _silent(model, 0)
    assert objective.evaluate(silent, split, batches_of(split, 2), ["wer", "cer"]) == {"wer": 1.0, "cer": 1.0}
    # one that predicts only "A" transcribes "A": one substitution and deletions per utterance
    a_only = _silent(model, VOCAB.index("A"))
    characters = sum(len(text) for text in references)
    result = objective.evaluate(a_only, split, batches_of(split, 3), ["wer", "cer"])
    assert result["wer"] == 1.0  # no reference word is "A": n errors in an utterance of n words
    assert result["cer"] == pytest.approx(sum(len(t) - ("A" in t) for t in references) / characters)

    with pytest.raises(ValueError, match="unknown metric"):
        objective.evaluate(model, split, batches_of(split, 2), ["loss", "accuracy"])
    with pytest.raises(ValueError, match="batches hold 2 utterances"):
        objective.evaluate(model, split, batches_of(split, 2)[:1], ["wer"])


def test_a_feature_extractor_without_attention_mask_keeps_it_from_the_model(fixture) -> None:
    calls = []

    class Recorder(torch.nn.Module):
        def forward(self, input_values, attention_mask, labels):
            calls.append(attention_mask)
            return type("Output", (), {"loss": torch.tensor(0.0), "logits": torch.zeros(1)})()

    batch = batches_of(load(fixture).val, 3)[0]
    CtcObjective(None, use_attention_mask=False).loss(Recorder(), batch)
    CtcObjective(None).loss(Recorder(), batch)
    assert calls[0] is None and calls[1] is batch["attention_mask"]
    assert load(fixture).objective.use_attention_mask  # the fixture's feature extractor says so


def test_the_splits_pickle_and_load_in_dataloader_workers(fixture) -> None:
    data = load(fixture)
    copy = pickle.loads(pickle.dumps(data.test.dataset))
    assert len(pickle.dumps(data.test.dataset)) < 50_000  # the audio stays in its files
    direct = batches_of(data.test, 2)
    loader = torch.utils.data.DataLoader(copy, batch_size=2, collate_fn=data.test.collate, num_workers=2)
    for mine, theirs in zip(direct, loader, strict=True):
        assert mine.keys() == theirs.keys()
        assert all(torch.equal(mine[key], theirs[key]) for key in mine)


def test_offline_without_the_data_is_one_line_saying_what_to_download(offline, tmp_path: Path) -> None:
    for options in ({"local_path": tmp_path / "missing"}, {}):
        with pytest.raises(DatasetUnavailable) as caught:
            load_librispeech(pretrained=DEFAULT_MODEL, **options)
        message = str(caught.value)
        assert "\n" not in message and "openslr/librispeech_asr" in message
