"""Analysis: statistics and tables computed from a study's stored records (no rendering here)."""

from lrlab.analysis.study import analyze

__all__ = ["analyze"]
