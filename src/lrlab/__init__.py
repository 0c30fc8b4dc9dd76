"""lrlab: adaptive learning-rate schedulers for PyTorch, and an honest harness around them."""
