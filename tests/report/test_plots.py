"""Each plot kind draws real-shaped data into a PNG with no text chunks, the same bytes twice."""

from __future__ import annotations

import math
from pathlib import Path

from lrlab.report import plots

STYLES = plots.schedule_styles(["adaptive"], ["constant"])
CURVES = {
    "adaptive": {"epochs": [[1, 2, 3], [1, 2]], "val_loss": [[1.0, 0.5, 0.4], [1.2, None]],
                 "val_accuracy": [[0.5, 0.7, 0.8], [0.4, 0.6]]},
    "constant": {"epochs": [[1, 2, 3]], "val_loss": [[1.1, 0.6, 0.5]], "val_accuracy": [[0.5, 0.6, 0.7]]},
}
LR_PATH = {"trial_id": "t", "seed": 0, "step": [1, 2, 3, 4], "lr": [0.1, 0.1, 0.05, 0.05],
           "loss": [1.0, 0.9, None, 0.7], "signals": {"grad_norm": [1.0, 2.0, 1.5, 1.2],
                                                      "variability": [None, 0.3, None, 0.2]}}
CONVERGENCE = {
    "adaptive": {"reached": 1, "ended": 2, "epochs_to_target": {"median_of_reached": 2},
                 "steps_to_target": {"median_of_reached": 40}},
    "constant": {"reached": 0, "ended": 1, "epochs_to_target": {"median_of_reached": None},
                 "steps_to_target": {"median_of_reached": None}},
}


def draw_all(folder: Path) -> list[Path]:
    return [
        plots.plot_lr_paths({"adaptive": LR_PATH, "constant": {**LR_PATH, "lr": [0.1] * 4}}, STYLES, "lr",
                            path=folder / "lr.png"),
        plots.plot_validation_curves(CURVES, "accuracy", STYLES, "validation", path=folder / "val.png"),
        plots.plot_signals(LR_PATH, "signals", path=folder / "signals.png"),
        plots.plot_time_to_target(CONVERGENCE, STYLES, "time", path=folder / "ttt.png"),
        plots.plot_profile([1.0, 2.0], {"adaptive": [0.5, 1.0], "constant": [0.5, 0.5]}, STYLES, "profile",
                           path=folder / "profile.png"),
    ]


def chunks(png: bytes) -> list[bytes]:
    names, at = [], 8
    while at < len(png):
        length = int.from_bytes(png[at:at + 4], "big")
        names.append(png[at + 4:at + 8])
        at += 12 + length
    return names


def test_every_plot_is_a_png_without_text_and_the_same_twice(tmp_path: Path):
    first = draw_all(tmp_path / "a")
    second = draw_all(tmp_path / "b")
    for a, b in zip(first, second, strict=True):
        data = a.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        assert not {b"tEXt", b"iTXt", b"zTXt", b"tIME"} & set(chunks(data))
        assert data == b.read_bytes(), a.name


def test_band_is_the_per_epoch_spread_over_seeds():
    xs, mean, low, high = plots._band(CURVES["adaptive"]["epochs"], CURVES["adaptive"]["val_loss"])
    assert xs == [1, 2, 3]
    assert mean[0] == 1.1 and (low[0], high[0]) == (1.0, 1.2)
    assert (mean[1], low[1], high[1]) == (0.5, 0.5, 0.5)  # the second seed has no finite value there
    assert not any(math.isnan(v) for v in mean)
