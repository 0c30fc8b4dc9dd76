"""The report's plots: one function per kind, each drawing plain data from the analysis into a PNG.

Matplotlib's Agg canvas is used directly (no pyplot, no global backend switch), with a fixed
style, size and dpi, and PNGs are saved without the ``Software`` text chunk, so the same data
give the same bytes. The only arithmetic here is what drawing a seed band needs: per epoch the
mean, minimum and maximum over the seeds that have a value.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

WIDTH, HEIGHT, DPI = 6.4, 3.6, 100
#: PNG text chunks: none (matplotlib writes a "Software" one unless told not to).
PNG_METADATA: dict[str, str | None] = {"Software": None, "Creation Time": None}
STYLE = {
    "font.size": 8, "axes.titlesize": 9, "axes.labelsize": 8, "legend.fontsize": 7,
    "xtick.labelsize": 7, "ytick.labelsize": 7, "axes.grid": True, "grid.alpha": 0.3,
    "lines.linewidth": 1.3, "font.family": "DejaVu Sans", "path.simplify": True,
}
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")


def schedule_styles(proposed: Sequence[str], baselines: Sequence[str]) -> dict[str, dict[str, str]]:
    """One colour per schedule (plan order) for every plot; baselines dashed, proposed solid."""
    styles = {}
    for index, name in enumerate([*proposed, *baselines]):
        styles[name] = {"color": PALETTE[index % len(PALETTE)],
                        "linestyle": "-" if name in proposed else "--"}
    return styles


def _styled(draw: Callable[..., Figure]) -> Callable[..., Path]:
    @functools.wraps(draw)
    def wrapper(*args: Any, path: Path, **kwargs: Any) -> Path:
        with matplotlib.rc_context(STYLE):
            figure = draw(*args, **kwargs)
            FigureCanvasAgg(figure)
            path.parent.mkdir(parents=True, exist_ok=True)
            figure.savefig(path, format="png", dpi=DPI, metadata=PNG_METADATA)
        return path

    return wrapper


def _figure(height: float = HEIGHT) -> Figure:
    return Figure(figsize=(WIDTH, height), dpi=DPI, layout="constrained")


def _floats(values: Sequence[Any]) -> list[float]:
    return [math.nan if v is None else float(v) for v in values]


@_styled
def plot_lr_paths(paths: dict[str, dict[str, Any]], styles: dict[str, dict[str, str]], title: str) -> Figure:
    """Learning rate against optimizer step, one line per schedule (``paths[s]``: step, lr, seed)."""
    figure = _figure()
    ax = figure.add_subplot()
    positive = True
    for name, path in paths.items():
        lrs = _floats(path["lr"])
        positive &= all(v > 0 for v in lrs if not math.isnan(v))
        ax.plot(path["step"], lrs, label=f"{name} (seed {path['seed']})", **styles[name])
    if positive and paths:
        ax.set_yscale("log")
    ax.set(title=title, xlabel="optimizer step", ylabel="learning rate")
    if paths:
        figure.legend(loc="outside right upper")
    return figure


def _band(epochs: list[list[int]], values: list[list[Any]]) -> tuple[list[int], list[float], list[float], list[float]]:
    """Per epoch over the seeds that have a finite value there: mean, min and max (for drawing)."""
    by_epoch: dict[int, list[float]] = {}
    for seed_epochs, seed_values in zip(epochs, values, strict=True):
        for epoch, value in zip(seed_epochs, seed_values, strict=True):
            if value is not None and math.isfinite(value):
                by_epoch.setdefault(epoch, []).append(float(value))
    xs = sorted(by_epoch)
    return (xs, [sum(by_epoch[x]) / len(by_epoch[x]) for x in xs],
            [min(by_epoch[x]) for x in xs], [max(by_epoch[x]) for x in xs])


@_styled
def plot_validation_curves(curves: dict[str, dict[str, Any]], metric: str, styles: dict[str, dict[str, str]],
                           title: str) -> Figure:
    """Validation ``metric`` and loss per epoch: line = mean over seeds, band = min–max over seeds."""
    figure = _figure()
    axes = figure.subplots(1, 2)
    for ax, key, label in ((axes[0], f"val_{metric}", f"validation {metric}"), (axes[1], "val_loss", "validation loss")):
        for name, curve in curves.items():
            if key not in curve:
                continue
            xs, mean, low, high = _band(curve["epochs"], curve[key])
            ax.plot(xs, mean, label=name if ax is axes[0] else None, **styles[name])
            ax.fill_between(xs, low, high, color=styles[name]["color"], alpha=0.15, linewidth=0)
        ax.set(xlabel="epoch", ylabel=label)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    figure.suptitle(title, fontsize=9)
    if curves:
        figure.legend(loc="outside lower center", ncols=min(len(curves), 5))
    return figure


@_styled
def plot_signals(lr_path: dict[str, Any], title: str, color: str = PALETTE[0]) -> Figure:
    """Each signal the scheduler recorded, against optimizer step, in its own panel.

    Signals measured only at decision points are None in between: their recorded points are
    joined (and marked, when there are few of them).
    """
    names = sorted(lr_path["signals"])
    columns = 2 if len(names) > 1 else 1
    rows = max(1, math.ceil(len(names) / columns))
    figure = _figure(height=1.45 * rows + 0.75)
    axes = figure.subplots(rows, columns, squeeze=False, sharex=True)
    for index, ax in enumerate(axes.flat):
        if index >= len(names):
            ax.set_visible(False)
            continue
        points = [(step, float(v)) for step, v in zip(lr_path["step"], lr_path["signals"][names[index]], strict=True)
                  if v is not None and math.isfinite(v)]
        ax.plot([p[0] for p in points], [p[1] for p in points], color=color, linewidth=1.0,
                marker="o" if len(points) <= 60 else None, markersize=2.5)
        ax.set_title(f"{names[index]}" + ("" if points else " (no finite value)"), fontsize=8)
        if index + columns >= len(names):  # nothing drawn below this panel: show its step axis
            ax.tick_params(labelbottom=True)
            ax.set_xlabel("optimizer step")
    figure.suptitle(title, fontsize=9)
    return figure


@_styled
def plot_time_to_target(convergence: dict[str, dict[str, Any]], styles: dict[str, dict[str, str]],
                        title: str) -> Figure:
    """Median epochs and optimizer steps to target of the trials that reached it; ``k/n`` reached on top."""
    figure = _figure()
    axes = figure.subplots(1, 2)
    names = list(convergence)
    for ax, key, label in ((axes[0], "epochs_to_target", "epochs to target"),
                           (axes[1], "steps_to_target", "steps to target")):
        heights = [convergence[n][key]["median_of_reached"] for n in names]
        drawn = [h if h is not None else 0.0 for h in heights]
        bars = ax.bar(range(len(names)), drawn, color=[styles[n]["color"] for n in names])
        top = max(drawn, default=0.0) or 1.0
        for bar, name, height in zip(bars, names, heights, strict=True):
            entry = convergence[name]
            text = f"{entry['reached']}/{entry['ended']}" if height is not None else f"never\n0/{entry['ended']}"
            ax.text(bar.get_x() + bar.get_width() / 2, (height or 0.0) + 0.02 * top, text,
                    ha="center", va="bottom", fontsize=6.5)
        ax.set_ylim(0, top * 1.25)
        ax.set_xticks(range(len(names)), names, rotation=35, ha="right")
        ax.set_ylabel(f"median {label}\n(of trials that reached it)")
    figure.suptitle(title, fontsize=9)
    return figure


@_styled
def plot_profile(taus: Sequence[float], fractions: dict[str, list[float]], styles: dict[str, dict[str, str]],
                 title: str) -> Figure:
    """Performance profile: fraction of tasks within τ x the best time, per schedule (step plot)."""
    figure = _figure()
    ax = figure.add_subplot()
    markers = "osD^vP*Xh<>"
    for index, (name, values) in enumerate(fractions.items()):
        ax.step(taus, values, where="post", marker=markers[index % len(markers)], markersize=3.5,
                label=name, **styles[name])
    ax.set(title=title, xlabel="τ (times the best schedule's time to target)",
           ylabel="fraction of tasks", ylim=(-0.05, 1.05))
    if fractions:
        figure.legend(loc="outside right upper")
    return figure
