"""Draw every plot of a report into ``<study>/plots/`` and write the ``## Plots`` section."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrlab.report import plots
from lrlab.report.document import Block, Heading, Image, Paragraph

PLOTS_DIR = "plots"


@dataclass
class DrawnPlots:
    """The images of one report: per task in drawing order, and the performance profile."""

    per_task: dict[str, list[Image]] = field(default_factory=dict)
    profile: Image | None = None

    def all(self) -> list[Image]:
        return [image for images in self.per_task.values() for image in images] + (
            [self.profile] if self.profile else [])


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "x"


def draw_plots(analysis: dict[str, Any], study_dir: Path) -> DrawnPlots:
    """Every plot of the report, as PNGs under ``study_dir/plots`` (named by task and kind)."""
    styles = plots.schedule_styles(analysis["proposed"], analysis["baselines"])
    drawn = DrawnPlots()

    def image(name: str, alt: str, caption: str) -> tuple[Path, Image]:
        relative = f"{PLOTS_DIR}/{name}.png"
        return study_dir / relative, Image(relative, alt, caption)

    for t_index, task in enumerate(analysis["tasks"]):
        prefix = f"{t_index + 1:02d}-{_safe(task)}"
        curves = analysis["curves"].get(task, {})
        images: list[Image] = []
        if curves:
            path, img = image(f"{prefix}-lr", f"learning rate per step on {task}",
                              f"Learning rate against optimizer step on {task}: one seed per schedule (the "
                              "first that recorded epochs, named in the legend); log scale where every rate "
                              "is positive.")
            plots.plot_lr_paths({s: c["lr_path"] for s, c in curves.items()}, styles, f"{task}: learning rate",
                                path=path)
            images.append(img)
            metric = analysis["primary_metric"][task]
            seeds = ", ".join(f"{s}: {len(c['seeds'])}" for s, c in curves.items())
            path, img = image(f"{prefix}-validation", f"validation curves on {task}",
                              f"Validation {metric} (left) and loss (right) per epoch on {task}. Line: mean over "
                              f"seeds; band: min–max over seeds (seeds per schedule: {seeds}).")
            plots.plot_validation_curves(curves, metric, styles, f"{task}: validation", path=path)
            images.append(img)
            for s_index, (schedule, curve) in enumerate(curves.items()):
                lr_path = curve["lr_path"]
                if not lr_path["signals"]:
                    continue
                path, img = image(f"{prefix}-signals-{s_index + 1:02d}-{_safe(schedule)}",
                                  f"signals of {schedule} on {task}",
                                  f"What {schedule} measured on {task}, per optimizer step (seed "
                                  f"{lr_path['seed']}, trial `{lr_path['trial_id']}`): "
                                  f"{', '.join(sorted(lr_path['signals']))}.")
                plots.plot_signals(lr_path, f"{task}: {schedule} signals", styles[schedule]["color"], path=path)
                images.append(img)
        conv = analysis["convergence"].get(task, {})
        if conv and any(c["ended"] for c in conv.values()):
            path, img = image(f"{prefix}-time-to-target", f"time to target on {task}",
                              f"Median epochs (left) and optimizer steps (right) to the target on {task}, over the "
                              "trials that reached it; above each bar: reached/ended trials; 'never': none "
                              "reached it.")
            plots.plot_time_to_target(conv, styles, f"{task}: time to target", path=path)
            images.append(img)
        drawn.per_task[task] = images
    profiles = analysis["profiles"]
    if analysis["tasks"] and profiles["fractions"]:
        path, img = image("00-profile", "performance profile",
                          f"Performance profile on the {profiles['measure']}: fraction of tasks within τ "
                          "times the best schedule's time.")
        plots.plot_profile(profiles["taus"], profiles["fractions"], styles, "performance profile", path=path)
        drawn.profile = img
    return drawn


def plots_section(analysis: dict[str, Any], drawn: DrawnPlots) -> list[Block]:
    blocks: list[Block] = [Heading(2, "Plots"), Paragraph(
        "Per task: the learning rate of every schedule against the step; the validation curves over "
        "seeds; the signals each adaptive schedule recorded; the time to target. The files are in "
        f"`{PLOTS_DIR}/`.")]
    for task in analysis["tasks"]:
        blocks.append(Heading(3, task))
        images = drawn.per_task.get(task, [])
        blocks += images or [Paragraph(f"No trial of {task} recorded an epoch: nothing to draw.")]
    return blocks
