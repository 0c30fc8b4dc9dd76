"""Reading experiment reports (the format of the seed reports) into plans, and reproducing them.

``markdown`` reads a report's structure (markdown-it-py: headings, lists, tables, code) with the
line of everything; ``parse`` sorts it into a :class:`ParsedReport` (``items``: data sets and
models, ``settings``: hyperparameters, ``rules``: the proposed rule's own settings, with
``quantities`` for numbers, ranges and changes of the rate); ``mapping`` turns it into a plan
whose every value carries a comment saying where it came from (its line), with a ``[tuning]``
section (``tuning_map``), and refuses what is no experiment report; ``decisions`` keeps the
record, so that nothing is both mapped and reported unmapped; ``reproduce`` writes the plan,
runs it and reports, with the report's claimed results kept in the plan's ``[source]``.
"""

from lrlab.ingest.mapping import MappedPlan, map_report
from lrlab.ingest.parse import IngestError, ParsedReport, parse_report, read_report
from lrlab.ingest.reproduce import plan_from_report, plan_from_text, reproduce, write_plan

__all__ = ["IngestError", "MappedPlan", "ParsedReport", "map_report", "parse_report", "plan_from_report",
           "plan_from_text", "read_report", "reproduce", "write_plan"]
