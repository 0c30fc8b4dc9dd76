"""A user's own schedule in a plan: ``[[schedules]] source = "my_schedule.py:MyScheduler"``.

Any ``torch.optim.lr_scheduler.LRScheduler`` subclass whose constructor takes the optimizer
first and its own arguments by keyword (the plan's ``args``): ``MyScheduler(optimizer, **args)``.
If it also takes ``total_steps`` (the trial's optimizer steps) or ``warmup_steps`` (the plan's),
it is given them; a plan that sets ``warmup_steps`` for a class that does not take it is refused.
If it takes ``seed`` and the plan gives none, it gets the trial's seed.

The training loop steps it after every optimizer step. If it declares ``needs`` (a set of the
signals of :data:`~lrlab.schedulers.base.SIGNALS`, ``"grads"`` aside) and has ``observe(**signals)``,
the loop feeds it those, as it feeds lrlab's own schedulers; subclassing
:class:`~lrlab.schedulers.base.AdaptiveLR` gives all of that (bounds, warm-up, the adjustment log,
exact resume). Its ``state_dict()`` must hold what a resumed run needs.

Tuning: the tuned track always tunes its rate; its own arguments only where the class declares
``search_space`` (``{name: Dimension(...)}``, as lrlab's schedulers do) or the plan's
``[tuning] space`` gives one for its label.

Example ``my_schedule.py``::

    import math
    from torch.optim.lr_scheduler import LRScheduler

    class HalfCosine(LRScheduler):
        '''Cosine from the initial rate down to half of it over the run.'''

        def __init__(self, optimizer, total_steps=1000, floor=0.5, last_epoch=-1):
            self.total_steps, self.floor = total_steps, floor
            super().__init__(optimizer, last_epoch)

        def get_lr(self):
            progress = min(1.0, self.last_epoch / max(1, self.total_steps))
            factor = self.floor + (1 - self.floor) * 0.5 * (1 + math.cos(math.pi * progress))
            return [base * factor for base in self.base_lrs]
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

from lrlab.schedulers.base import SIGNALS
from lrlab.schedulers.space import Dimension
from lrlab.source import Source, SourceError, load

#: Constructor parameters the loop fills in itself, not the plan's ``args``.
LOOP_ARGUMENTS = ("optimizer", "total_steps", "warmup_steps", "last_epoch", "verbose")


@dataclass(frozen=True)
class SourceSchedule:
    """A user's scheduler class, checked: what the plan, the tuner and the trial need of it.

    ``kind`` is ``"user"``; ``space`` is the class's ``search_space`` (empty: the rate only).
    """

    name: str
    source: Source
    cls: type[LRScheduler]
    summary: str
    needs: frozenset[str]
    space: dict[str, Dimension]
    kind: str = "user"
    optimizer: str | None = None

    @property
    def parameters(self) -> dict[str, inspect.Parameter]:
        return dict(inspect.signature(self.cls).parameters)

    def arguments(self) -> set[str]:
        """The keyword arguments a plan may give (the constructor's, less the loop's own)."""
        return {n for n, p in self.parameters.items() if n not in LOOP_ARGUMENTS
                and p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)}

    def defaults(self) -> dict[str, Any]:
        return {n: p.default for n, p in self.parameters.items()
                if n in self.arguments() and p.default is not inspect.Parameter.empty}

    def takes(self, name: str) -> bool:
        return name in self.parameters

    def build(self, optimizer: Optimizer, *, total_steps: int | None = None, warmup_steps: int = 0,
              **kwargs: Any) -> LRScheduler:
        """``cls(optimizer, **kwargs)``, with ``total_steps`` and ``warmup_steps`` where it takes them."""
        unknown = set(kwargs) - self.arguments()
        if unknown:
            raise ValueError(f"{self.source.where} does not take {sorted(unknown)}; "
                             f"allowed: {sorted(self.arguments()) or 'none'}")
        if warmup_steps and not self.takes("warmup_steps"):
            raise ValueError(f"{self.source.where} takes no warmup_steps, but the plan sets warmup_steps = "
                             f"{warmup_steps}; give the class a warmup_steps argument, or set it to 0")
        if self.takes("warmup_steps"):
            kwargs["warmup_steps"] = warmup_steps
        if self.takes("total_steps") and total_steps is not None:
            kwargs["total_steps"] = total_steps
        scheduler = self.cls(optimizer, **kwargs)
        if not isinstance(scheduler, LRScheduler):  # a __new__ that returns something else
            raise ValueError(f"{self.source.where} built a {type(scheduler).__name__}, not an LRScheduler")
        return scheduler


def load_source_schedule(source: Source) -> SourceSchedule:
    """Load and check a user's scheduler class; ``SourceError`` in one line naming the file and
    what is wrong (not a class, not an LRScheduler, a constructor that cannot take
    ``(optimizer, **args)``, ``needs`` that are not signals, a ``search_space`` that is not one)."""
    cls = load(source)
    where = source.where
    if not isinstance(cls, type):
        raise SourceError(f"{where}: is a {type(cls).__name__}, not a class; a schedule source names a "
                          "torch.optim.lr_scheduler.LRScheduler subclass")
    if not issubclass(cls, LRScheduler):
        raise SourceError(f"{where}: {cls.__name__} is not a torch.optim.lr_scheduler.LRScheduler subclass")
    try:
        parameters = list(inspect.signature(cls).parameters.values())
    except (TypeError, ValueError) as error:
        raise SourceError(f"{where}: the constructor's signature cannot be read ({error})") from None
    positional = [p for p in parameters if p.kind in (inspect.Parameter.POSITIONAL_ONLY,
                                                      inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    if not positional or positional[0].kind is inspect.Parameter.KEYWORD_ONLY:
        raise SourceError(f"{where}: the constructor must take the optimizer first: "
                          f"{cls.__name__}(optimizer, **args)")
    required = [p.name for p in parameters[1:] if p.default is inspect.Parameter.empty
                and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)]
    if required:
        raise SourceError(f"{where}: the constructor's arguments besides the optimizer need defaults "
                          f"(the plan's args override them); {required} have none")
    needs = getattr(cls, "needs", frozenset())
    if isinstance(needs, property):
        needs = frozenset()  # decided per instance; the loop reads the instance's
    if not isinstance(needs, set | frozenset | tuple | list) or not set(needs) <= set(SIGNALS) | {"grads"}:
        raise SourceError(f"{where}: needs must be a set of {sorted(set(SIGNALS) | {'grads'})}, got {needs!r}")
    if set(needs) - {"grads"} and not callable(getattr(cls, "observe", None)):
        raise SourceError(f"{where}: needs {sorted(set(needs) - {'grads'})} but has no observe(**signals) "
                          "method to receive them")
    space = getattr(cls, "search_space", {})
    if not isinstance(space, dict) or not all(isinstance(d, Dimension) for d in space.values()):
        raise SourceError(f"{where}: search_space must be a dict of argument name to "
                          "lrlab.schedulers.space.Dimension")
    doc = (inspect.getdoc(cls) or "").strip().splitlines()
    summary = doc[0] if doc and cls.__doc__ else f"a user schedule ({source.ref})"
    return SourceSchedule(source.ref, source, cls, summary, frozenset(needs), dict(space))
