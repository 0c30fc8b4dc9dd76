"""The experiment report: markdown, self-contained HTML, JSON and PNG plots, rendered from the analysis.

The report computes no statistic: it writes what :func:`lrlab.analysis.analyze` returned, in the
format of the seed reports (Idea, Experiment Plan, Results, Benchmark Results, Code Changes,
Conclusion), with the statistics, convergence, cost and plots in between.
"""

from lrlab.report.write import write_report

__all__ = ["write_report"]
