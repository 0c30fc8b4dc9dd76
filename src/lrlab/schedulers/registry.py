"""One registry: every schedule by name, for plans, the CLI and the callbacks.

Adding a schedule is one file and one :func:`register` line. A name that is not registered may be a
saved preset (:mod:`lrlab.schedulers.presets`): a registered schedule with fixed arguments, which
:func:`make_scheduler` and :func:`get_schedule` resolve by name.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from torch.optim import Optimizer
from torch.optim.lr_scheduler import ConstantLR, LRScheduler

from lrlab.schedulers import baselines
from lrlab.schedulers.composite import CompositeLR
from lrlab.schedulers.curvature import CurvatureLR
from lrlab.schedulers.entropy import EntropyLR
from lrlab.schedulers.gradvar import GradVarLR
from lrlab.schedulers.meta import MetaLR
from lrlab.schedulers.optimizers import OPTIMIZERS, optimizer_arguments, optimizer_class
from lrlab.schedulers.performance import PerformanceLR
from lrlab.schedulers.presets import (
    Preset,
    list_presets,
    load_preset,
    preset_arguments,
    presets_dir,
)
from lrlab.schedulers.space import Dimension, describe_space

Kind = Literal["adaptive", "baseline", "optimizer"]


@dataclass(frozen=True)
class ScheduleInfo:
    """A registered schedule. ``optimizer`` names the optimizer a self-tuning entry requires;
    ``space`` is its default tuning search space (its own arguments; the rate is tuned for all)."""

    name: str
    kind: Kind
    summary: str
    factory: Callable[..., LRScheduler]
    optimizer: str | None = None
    needs: frozenset[str] = frozenset()
    space: dict[str, Dimension] = field(default_factory=dict)

    # The interface a user's schedule (:class:`~lrlab.schedulers.user.SourceSchedule`) shares.
    def arguments(self) -> set[str]:
        return schedule_arguments(self.name)

    def defaults(self) -> dict[str, Any]:
        return schedule_defaults(self.name)

    def build(self, optimizer: Optimizer, *, total_steps: int | None = None, warmup_steps: int = 0,
              **kwargs: Any) -> LRScheduler:
        return make_scheduler(self.name, optimizer, total_steps=total_steps, warmup_steps=warmup_steps, **kwargs)


SCHEDULES: dict[str, ScheduleInfo] = {}


def register(name: str, kind: Kind, factory: Callable[..., LRScheduler], summary: str,
             optimizer: str | None = None, needs: frozenset[str] = frozenset(),
             space: dict[str, Dimension] | None = None) -> None:
    """Add a schedule under ``name`` (a name may be registered once). ``space``: its default
    tuning search space over its own arguments (default: the class's ``search_space``, if any)."""
    if name in SCHEDULES:
        raise ValueError(f"schedule {name!r} is already registered")
    if space is None:
        space = dict(getattr(getattr(factory, "schedule_class", None), "search_space", {}))
    SCHEDULES[name] = ScheduleInfo(name, kind, summary, factory, optimizer, frozenset(needs), dict(space))


def _adaptive(cls: type[LRScheduler]) -> Callable[..., LRScheduler]:
    takes_total_steps = "total_steps" in inspect.signature(cls).parameters

    def factory(optimizer: Optimizer, *, total_steps: int | None = None, warmup_steps: int = 0,
                **kwargs: Any) -> LRScheduler:
        if takes_total_steps:  # a schedule that reads progress through the budget
            kwargs["total_steps"] = total_steps
        return cls(optimizer, warmup_steps=warmup_steps, **kwargs)

    factory.__signature__ = inspect.signature(cls)  # type: ignore[attr-defined]
    factory.schedule_class = cls  # type: ignore[attr-defined]
    return factory


def _self_tuning(name: str, anneal: bool = False) -> Callable[..., LRScheduler]:
    def factory(optimizer: Optimizer, *, total_steps: int | None = None, warmup_steps: int = 0) -> LRScheduler:
        if warmup_steps:
            raise ValueError(f"schedule {name!r} is a self-tuning optimizer: its schedule is "
                             f"{'cosine' if anneal else 'constant'} and takes no warmup_steps (give the "
                             "optimizer its own, if it has one)")
        cls = optimizer_class(name)
        if not isinstance(optimizer, cls):
            raise ValueError(
                f"schedule {name!r} is the self-tuning optimizer {cls.__name__}: build it with "
                f"make_optimizer({name!r}, params) and pass that optimizer (got {type(optimizer).__name__})")
        if anneal:  # the optimizer finds the step size; cosine annealing shapes it over the run
            return baselines.cosine(optimizer, total_steps=total_steps)
        # The optimizer finds its own step size; the schedule holds the rate constant.
        return ConstantLR(optimizer, factor=1.0, total_iters=0)

    return factory


register("entropy", "adaptive", _adaptive(EntropyLR), "uncertainty: lower the rate while predictive entropy is high", needs=EntropyLR.needs)
register("performance", "adaptive", _adaptive(PerformanceLR), "validation performance: up while improving, down on plateau/overfitting", needs=PerformanceLR.needs)
register("gradvar", "adaptive", _adaptive(GradVarLR), "gradient variability: down when it grows, up when it shrinks", needs=GradVarLR.needs)
register("curvature", "adaptive", _adaptive(CurvatureLR), "loss curvature: rate = c / λ̂ (secant; mode='hessian' also needs loss_closure)", needs=frozenset({"grads"}))
register("meta", "adaptive", _adaptive(MetaLR), "meta-learned: a pre-trained policy network picks a multiplier per evaluation, learning online (REINFORCE)", needs=MetaLR.needs)
register("composite", "adaptive", _adaptive(CompositeLR), "the idea space: a base schedule (constant, cosine, linear) x a factor cut/raised by a rule on one or two signals (needs follow the signals)", needs=CompositeLR.needs)
register("constant", "baseline", baselines.constant, "the initial rate throughout (torch ConstantLR)",
         space=baselines.SPACES["constant"])
register("step", "baseline", baselines.step_decay, "x gamma every step_size steps (torch StepLR)",
         space=baselines.SPACES["step"])
register("cosine", "baseline", baselines.cosine, "warm-up then cosine annealing (torch)",
         space=baselines.SPACES["cosine"])
register("linear", "baseline", baselines.linear, "warm-up then linear decay (transformers)",
         space=baselines.SPACES["linear"])
register("plateau", "baseline", baselines.plateau, "cut on a validation plateau (torch ReduceLROnPlateau)",
         needs=baselines.PlateauLR.needs, space=baselines.SPACES["plateau"])
register("onecycle", "baseline", baselines.one_cycle, "one-cycle policy (torch OneCycleLR)",
         space=baselines.SPACES["onecycle"])
for _name, _info in OPTIMIZERS.items():
    if _info.self_tuning:
        register(_name, "optimizer", _self_tuning(_name), f"self-tuning optimizer {_info.cls} ({_info.package}), constant schedule", optimizer=_name)
# Prodigy as its authors recommend running it (Mishchenko & Defazio 2024): the optimizer estimates the
# step size, cosine annealing over the run shapes it. Its own optimizer name, so that a trial's
# self-tuning entry builds Prodigy (make_optimizer("prodigy_cosine", ...)) and then this schedule.
OPTIMIZERS.setdefault("prodigy_cosine", replace(OPTIMIZERS["prodigy"], name="prodigy_cosine"))
register("prodigy_cosine", "optimizer", _self_tuning("prodigy_cosine", anneal=True),
         "self-tuning optimizer Prodigy (prodigyopt) with cosine annealing over the run", optimizer="prodigy_cosine")


def get_schedule(name: str) -> ScheduleInfo:
    """The registered schedule ``name``, or a saved preset of that name (:mod:`lrlab.schedulers.presets`):
    then its schedule's entry under the preset's name, building with the preset's arguments."""
    if name in SCHEDULES:
        return SCHEDULES[name]
    preset = _preset(name)
    info = SCHEDULES[preset.schedule]

    def factory(optimizer: Optimizer, *, total_steps: int | None = None, warmup_steps: int = 0,
                **kwargs: Any) -> LRScheduler:
        args, warmup = preset_arguments(preset, kwargs, warmup_steps)
        return info.factory(optimizer, total_steps=total_steps, warmup_steps=warmup, **args)

    factory.__signature__ = inspect.signature(info.factory)  # type: ignore[attr-defined]
    return replace(info, name=name, summary=f"preset of {preset.schedule}: {preset.summary}", factory=factory)


def _preset(name: str) -> Preset:
    """The saved preset ``name``; else the one-line error that lists what is known."""
    presets = list_presets()
    if name not in presets:
        raise ValueError(f"unknown schedule {name!r}; known: {sorted(SCHEDULES)}; presets in {presets_dir()}: "
                         f"{presets or 'none'}")
    preset = load_preset(name)
    if preset.schedule not in SCHEDULES or SCHEDULES[preset.schedule].kind == "optimizer":
        raise ValueError(f"{preset.path}: schedule {preset.schedule!r} is not a registered schedule")
    return preset


def make_scheduler(name: str, optimizer: Optimizer, *, total_steps: int | None = None,
                   warmup_steps: int = 0, **kwargs: Any) -> LRScheduler:
    """Build schedule ``name`` on ``optimizer``.

    Args:
        name: a key of :data:`SCHEDULES` (``lrlab schedules`` lists them), or a saved preset
            (:mod:`lrlab.schedulers.presets`: its schedule with its arguments, which ``kwargs``
            override; its ``lr_scale`` is *not* applied: the optimizer's rate is yours to set,
            e.g. ``lr = your_rate * load_preset(name).lr_scale``).
        optimizer: the optimizer to drive (for a self-tuning entry, one built by
            :func:`~lrlab.schedulers.optimizers.make_optimizer` with the same name).
        total_steps: optimizer steps in the run; required by step, cosine, linear and onecycle.
        warmup_steps: linear warm-up steps, >= 0.
        **kwargs: the schedule's own arguments; unknown ones raise ``ValueError``.

    Example:
        >>> import torch
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> sched = make_scheduler("cosine", opt, total_steps=100, warmup_steps=10)
        >>> sched = make_scheduler("entropy", opt, threshold=0.6)
    """
    if name not in SCHEDULES:  # a saved preset: its schedule, its arguments under yours
        preset = _preset(name)
        args, warmup = preset_arguments(preset, kwargs, warmup_steps)
        return make_scheduler(preset.schedule, optimizer, total_steps=total_steps, warmup_steps=warmup, **args)
    info = get_schedule(name)
    if not isinstance(warmup_steps, int) or warmup_steps < 0:
        raise ValueError(f"warmup_steps must be an integer >= 0, got {warmup_steps!r}")
    allowed = schedule_arguments(name)
    unknown = set(kwargs) - allowed
    if unknown:
        raise ValueError(f"schedule {name!r} does not take {sorted(unknown)}; allowed: {sorted(allowed) or 'none'}")
    return info.factory(optimizer, total_steps=total_steps, warmup_steps=warmup_steps, **kwargs)


def schedule_arguments(name: str) -> set[str]:
    """The keyword arguments schedule ``name`` takes (besides total_steps and warmup_steps).

    For a self-tuning optimizer entry these are the optimizer's own arguments (a plan's schedule
    ``args`` configure the optimizer there).
    """
    info = get_schedule(name)
    if info.kind == "optimizer":
        return optimizer_arguments(name)
    factory = info.factory
    return set(inspect.signature(factory).parameters) - {"optimizer", "total_steps", "warmup_steps", "last_epoch"}


def schedule_defaults(name: str) -> dict[str, Any]:
    """The default value of each argument of schedule ``name`` that has one."""
    info = get_schedule(name)
    if info.kind == "optimizer":
        signature = inspect.signature(optimizer_class(name).__init__)
    else:
        signature = inspect.signature(info.factory)
    return {p.name: p.default for p in signature.parameters.values()
            if p.default is not inspect.Parameter.empty and p.name in schedule_arguments(name)}


def describe_spaces(kind: Kind | None = None) -> str:
    """A plain-text table of every schedule's default tuning search space (``lrlab schedules --space``)."""
    rows = [("name", "kind", "tuned besides the rate")]
    for info in sorted(SCHEDULES.values(), key=lambda i: (["adaptive", "baseline", "optimizer"].index(i.kind), i.name)):
        if kind is None or info.kind == kind:
            tuned = ("not tuned: self-tuning (the as-given track's kind)" if info.kind == "optimizer"
                     else describe_space(info.space) if info.space else "- (the rate only)")
            rows.append((info.name, info.kind, tuned))
    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r[:2], widths, strict=True)) + "  " + r[2] for r in rows)


def needs_of(scheduler: LRScheduler) -> frozenset[str]:
    """The signals a scheduler wants from the loop (empty for torch's own schedulers)."""
    return frozenset(getattr(scheduler, "needs", frozenset()))


def describe_schedules(kind: Kind | Literal["preset"] | None = None) -> str:
    """A plain-text table of the registry: name, kind, what it needs from the loop, summary; then
    the saved presets (kind ``preset``; a preset that cannot be read says why)."""
    rows = [("name", "kind", "needs", "what it does")]
    for info in sorted(SCHEDULES.values(), key=lambda i: (["adaptive", "baseline", "optimizer"].index(i.kind), i.name)):
        if kind is None or info.kind == kind:
            rows.append((info.name, info.kind, ",".join(sorted(info.needs)) or "-", info.summary))
    for name in list_presets() if kind in (None, "preset") else []:
        try:
            preset = _preset(name)
            rows.append((name, "preset", ",".join(sorted(_preset_needs(name))) or "-",
                         f"{preset.schedule}: {preset.summary}"))
        except (TypeError, ValueError) as error:
            rows.append((name, "preset", "-", f"unreadable: {error}"))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r[:3], widths, strict=True)) + "  " + r[3] for r in rows)


def _preset_needs(name: str) -> frozenset[str]:
    """What preset ``name`` asks the loop for: its instance knows (the composite's follow its signals)."""
    import torch

    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1e-3)
    return needs_of(make_scheduler(name, optimizer, total_steps=1000))
