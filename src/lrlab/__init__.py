"""lrlab: adaptive learning-rate schedulers for PyTorch, and an honest harness around them.

``lrlab.compare(task, schedules=[...], ...)`` runs a study from Python (see :mod:`lrlab.api`); it is
imported on first use, so that ``import lrlab`` (and the ``lrlab`` command) stays light.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["Comparison", "__version__", "compare"]


def __getattr__(name: str) -> Any:
    if name in ("compare", "Comparison"):
        from lrlab import api

        return getattr(api, name)
    raise AttributeError(f"module 'lrlab' has no attribute {name!r}")
