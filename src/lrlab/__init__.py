"""lrlab: adaptive learning-rate schedulers for PyTorch, and an honest harness around them."""

__version__ = "0.1.0"
