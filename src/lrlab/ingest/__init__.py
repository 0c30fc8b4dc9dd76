"""Reading experiment reports (the format of the seed reports) into plans, and reproducing them.

``parse`` reads a report's structure into a :class:`ParsedReport`; ``mapping`` turns it into a
plan whose every value carries a comment saying where it came from; ``reproduce`` writes the
plan, runs it and reports, with the report's claimed results kept in the plan's ``[source]``.
"""

from lrlab.ingest.mapping import MappedPlan, map_report
from lrlab.ingest.parse import IngestError, ParsedReport, parse_report, read_report
from lrlab.ingest.reproduce import plan_from_report, plan_from_text, reproduce, write_plan

__all__ = ["IngestError", "MappedPlan", "ParsedReport", "map_report", "parse_report", "plan_from_report",
           "plan_from_text", "read_report", "reproduce", "write_plan"]
