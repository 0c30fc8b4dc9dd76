"""Adaptive learning-rate schedulers (policies: signals -> learning rate) and the registry.

Usable with torch alone: the adaptive schedulers import nothing but :mod:`lrlab.signals`.
"""

from lrlab.schedulers.base import SIGNALS, AdaptiveLR, Decision
from lrlab.schedulers.baselines import PlateauLR
from lrlab.schedulers.composite import CompositeLR, CompositeRule, describe_idea
from lrlab.schedulers.curvature import CurvatureLR, CurvatureRule
from lrlab.schedulers.entropy import EntropyLR, EntropyRule
from lrlab.schedulers.gradvar import GradVarLR, GradVarRule
from lrlab.schedulers.meta import MetaFeatures, MetaLR
from lrlab.schedulers.optimizers import OPTIMIZERS, make_optimizer
from lrlab.schedulers.performance import PerformanceLR, PerformanceRule
from lrlab.schedulers.registry import SCHEDULES, get_schedule, make_scheduler, needs_of, register

__all__ = [
    "OPTIMIZERS",
    "SCHEDULES",
    "SIGNALS",
    "AdaptiveLR",
    "CompositeLR",
    "CompositeRule",
    "CurvatureLR",
    "CurvatureRule",
    "Decision",
    "EntropyLR",
    "EntropyRule",
    "GradVarLR",
    "GradVarRule",
    "MetaFeatures",
    "MetaLR",
    "PerformanceLR",
    "PerformanceRule",
    "PlateauLR",
    "describe_idea",
    "get_schedule",
    "make_optimizer",
    "make_scheduler",
    "needs_of",
    "register",
]
