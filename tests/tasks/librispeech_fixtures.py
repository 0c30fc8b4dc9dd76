"""A tiny LibriSpeech in the hub's schema (FLAC bytes of synthetic tones and noise, upper-case
transcripts) and a tiny wav2vec 2.0 CTC model folder with its tokenizer and feature extractor."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

RATE = 16_000
VOCAB = ["<pad>", "<s>", "</s>", "<unk>", "|", *"ABCDEFGHIJKLMNOPQRSTUVWXYZ'"]

# (split, seconds, transcript): real-looking LibriSpeech lines; the long ones are the 1.0 s ones.
UTTERANCES = {
    "train.100": [
        (0.3, "HE HOPED THERE WOULD BE STEW"),
        (0.5, "STUFF IT INTO YOU HIS BELLY COUNSELLED HIM"),
        (1.0, "AFTER EARLY NIGHTFALL THE YELLOW LAMPS WOULD LIGHT UP"),
        (0.4, "HELLO BERTIE ANY GOOD IN YOUR MIND"),
        (0.9, "NUMBER TEN FRESH NELLY IS WAITING ON YOU GOOD NIGHT HUSBAND"),
        (0.6, "THE MUSIC CAME NEARER AND HE RECALLED THE WORDS"),
    ],
    "validation": [
        (0.5, "MISTER QUILTER IS THE APOSTLE OF THE MIDDLE CLASSES"),
        (1.0, "NOR IS MISTER QUILTER'S MANNER LESS INTERESTING THAN HIS MATTER"),
        (0.35, "HE TELLS US THAT AT THIS FESTIVE SEASON"),
    ],
    "test": [
        (0.45, "WE ARE GLAD TO WELCOME HIM"),
        (0.8, "LINNELL'S PICTURES ARE A SORT OF UP GUARDS AND AT EM PAINTINGS"),
        (0.3, "IT IS OBVIOUSLY UNNECESSARY"),
    ],
}


def pcm16(seconds: float, seed: int) -> np.ndarray:
    """A tone with noise as int16 samples; read back as float it is exactly ``samples / 32768``."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(seconds * RATE))) / RATE
    wave = 0.4 * np.sin(2 * np.pi * (200 + 50 * seed) * t) + 0.05 * rng.standard_normal(t.shape)
    return np.round(np.clip(wave, -1, 1) * 32767).astype(np.int16)


def flac_bytes(samples: np.ndarray, rate: int = RATE, audio_format: str = "FLAC") -> bytes:
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, samples, rate, format=audio_format, subtype="PCM_16")
    return buffer.getvalue()


def librispeech_dict(utterances: dict[str, list[tuple[float, str]]] = UTTERANCES, rate: int = RATE,
                     audio_format: str = "FLAC", files: Path | None = None,
                     ) -> tuple[object, dict[str, list[np.ndarray]]]:
    """The ``DatasetDict`` in the real schema, and each split's int16 samples.

    ``audio_format``: how the audio is encoded (``"FLAC"``, ``"WAV"``); ``files``: a folder to
    write each utterance into, stored by path (bytes None) as older ``datasets`` caches do.
    """
    import datasets

    # Built as a plain struct, then cast to Audio: encoding audio values through the Audio
    # feature needs torchcodec, casting storage does not.
    features = datasets.Features({
        "file": datasets.Value("string"),
        "audio": {"bytes": datasets.Value("binary"), "path": datasets.Value("string")},
        "text": datasets.Value("string"),
        "speaker_id": datasets.Value("int64"),
        "chapter_id": datasets.Value("int64"),
        "id": datasets.Value("string"),
    })
    splits, samples = {}, {}
    seed = 0
    for name, rows in utterances.items():
        columns: dict[str, list] = {column: [] for column in features}
        samples[name] = []
        for number, (seconds, text) in enumerate(rows):
            seed += 1
            wave = pcm16(seconds, seed)
            ident = f"{1000 + seed}-{2000 + seed}-{number:04d}"
            samples[name].append(wave)
            columns["file"].append(f"{ident}.flac")
            encoded = flac_bytes(wave, rate, audio_format)
            if files is None:
                columns["audio"].append({"bytes": encoded, "path": f"{ident}.flac"})
            else:
                (files / f"{ident}.flac").write_bytes(encoded)
                columns["audio"].append({"bytes": None, "path": str(files / f"{ident}.flac")})
            columns["text"].append(text)
            columns["speaker_id"].append(1000 + seed)
            columns["chapter_id"].append(2000 + seed)
            columns["id"].append(ident)
        split = datasets.Dataset.from_dict(columns, features=features)
        splits[name] = split.cast_column("audio", datasets.Audio(sampling_rate=RATE))
    return datasets.DatasetDict(splits), samples


def save_librispeech(folder: Path, **options: object) -> dict[str, list[np.ndarray]]:
    """Write the fixture with ``save_to_disk`` into ``folder``; each split's int16 samples."""
    data, samples = librispeech_dict(**options)  # type: ignore[arg-type]
    data.save_to_disk(str(folder))
    return samples


def save_model_folder(folder: Path, *, return_attention_mask: bool = True) -> Path:
    """A tiny ``Wav2Vec2ForCTC`` (random weights), its character tokenizer and its feature
    extractor, all saved into ``folder``."""
    import torch
    from transformers import (
        Wav2Vec2Config,
        Wav2Vec2CTCTokenizer,
        Wav2Vec2FeatureExtractor,
        Wav2Vec2ForCTC,
    )

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps({token: i for i, token in enumerate(VOCAB)}))
    tokenizer = Wav2Vec2CTCTokenizer(str(folder / "vocab.json"))
    features = Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=RATE, padding_value=0.0,
                                        do_normalize=True, return_attention_mask=return_attention_mask)
    config = Wav2Vec2Config(
        vocab_size=len(tokenizer), hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=20, conv_dim=(16, 16), conv_kernel=(10, 3), conv_stride=(5, 2),
        num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2,
        feat_extract_norm="layer", do_stable_layer_norm=True, pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(0)
    Wav2Vec2ForCTC(config).save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    features.save_pretrained(str(folder))
    return folder
