"""What is measured during training: small, pure, cheap. Imports nothing else of lrlab."""

from lrlab.signals.curvature import (
    HessianProbe,
    SecantCurvature,
    hessian_vector_product,
    secant_curvature_reference,
)
from lrlab.signals.entropy import entropy_and_confidence, mean_confidence, predictive_entropy
from lrlab.signals.gradients import (
    GradientNoiseScale,
    GradientStats,
    grad_norm,
    optimizer_params,
    register_gradient_hook,
)
from lrlab.signals.validation import ValidationTrend, generalization_gap
from lrlab.signals.window import EMA, Window

__all__ = [
    "EMA",
    "GradientNoiseScale",
    "GradientStats",
    "HessianProbe",
    "SecantCurvature",
    "ValidationTrend",
    "Window",
    "entropy_and_confidence",
    "generalization_gap",
    "grad_norm",
    "hessian_vector_product",
    "mean_confidence",
    "optimizer_params",
    "predictive_entropy",
    "register_gradient_hook",
    "secant_curvature_reference",
]
