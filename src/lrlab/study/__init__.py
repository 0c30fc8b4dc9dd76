"""Studies: plans, trials, executors and the results store. Imports train; only the driver writes the store."""

from lrlab.study.plan import Plan, PlanError, load_plan, parse_plan
from lrlab.study.runner import StudyOutcome, run_plan_file, run_study
from lrlab.study.store import Store

__all__ = ["Plan", "PlanError", "Store", "StudyOutcome", "load_plan", "parse_plan", "run_plan_file", "run_study"]
