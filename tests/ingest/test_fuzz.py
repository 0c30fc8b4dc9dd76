"""Fuzzing: arbitrary text, and the real seeds mutated line by line, never crash the parser (only
:class:`IngestError`), and whatever parses maps onto a plan that validates, with nothing both
mapped and left out; any number a report states is a finite plan value or a one-line error."""

from __future__ import annotations

import math
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrlab.ingest import IngestError, parse_report, plan_from_text
from lrlab.study.plan import parse_plan

from .seed_reports import SEED_001, SEED_004

SEED_LINES = [SEED_001.read_text(encoding="utf-8").splitlines(), SEED_004.read_text(encoding="utf-8").splitlines()]
FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _parse_or_ingest_error(text: str) -> None:
    try:
        parse_report(text, source="fuzz.txt")
    except IngestError as error:
        assert "\n" not in str(error) and str(error).startswith("fuzz.txt: ")


@settings(FAST, max_examples=300)
@given(st.text(max_size=2000))
def test_any_text(text: str):
    _parse_or_ingest_error(text)


_MARKUP = st.sampled_from(["#", "##", "### 1.", "**", "- ", "  - ", "1. ", ":", "`", "```", "{", "}", "'", "\n",
                           "Idea", "Objective:", "Datasets", "Hyperparameters", "Batch Size", "for", "Results",
                           "CIFAR-10", "0.001", "3 runs", "entropy", "\t", " "])


@settings(FAST, max_examples=200)
@given(st.lists(st.one_of(_MARKUP, st.text(max_size=12)), max_size=80))
def test_markup_soup(pieces: list[str]):
    _parse_or_ingest_error("".join(pieces))


@st.composite
def mutated_seed(draw: st.DrawFn) -> str:
    lines = list(draw(st.sampled_from(SEED_LINES)))
    for _ in range(draw(st.integers(0, 12))):
        if not lines:
            break
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "relevel", "bold", "swap", "garble"]))
        line = lines[index]
        if action == "delete":
            del lines[index]
        elif action == "duplicate":
            lines.insert(index, line)
        elif action == "relevel":
            lines[index] = "#" * draw(st.integers(0, 7)) + " " + line.lstrip("# ")
        elif action == "bold":
            lines[index] = f"**{line.lstrip('#- ').strip()}**"
        elif action == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[index], lines[other] = lines[other], line
        else:
            lines[index] = line[: draw(st.integers(0, len(line)))] + draw(st.text(max_size=8))
    return "\n".join(lines)


@settings(FAST, max_examples=120)
@given(mutated_seed(), st.sampled_from(["quick", "full"]))
def test_mutated_seeds_parse_and_map_to_valid_plans(text: str, budget: str):
    try:
        mapped = plan_from_text(text, source="fuzz.txt", budget=budget)  # type: ignore[arg-type]
    except IngestError as error:
        assert "\n" not in str(error)
        return
    plan = parse_plan(mapped.toml)
    assert plan.tasks and len(plan.trials()) == len(plan.tasks) * len(plan.schedules) * len(plan.seeds)
    assert plan.tuning is not None and not set(plan.tuning.seeds) & set(plan.seeds)
    assert mapped.both == []


_NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**500), max_value=10**500).map(str),
    st.from_regex(r"-?[0-9]{1,3}(\.[0-9]{1,4})?[eE][-+]?[0-9]{1,7}", fullmatch=True),
    st.from_regex(r"[0-9]{1,3} ?(x|×) ?10\^-?[0-9]{1,4}", fullmatch=True),
)


@settings(FAST, max_examples=150)
@given(st.sampled_from(["Learning rate", "Batch size", "Epochs", "Weight decay", "Dropout", "Entropy threshold"]),
       _NUMBERS)
def test_any_number_is_a_finite_plan_value_or_a_one_line_error(key: str, number: str):
    text = f"## Idea\nLower the rate while entropy is high.\n### Datasets\n- MNIST\n### Hyperparameters\n- {key}: {number}\n"
    try:
        mapped = plan_from_text(text, source="fuzz.txt")
    except IngestError as error:
        assert "\n" not in str(error) and str(error).startswith("fuzz.txt: ")
        return
    plan = parse_plan(mapped.toml)  # a plan that loads holds no inf or nan
    values = [plan.defaults.lr, plan.defaults.weight_decay, plan.defaults.dropout, *plan.schedules[0].args.values()]
    assert all(math.isfinite(v) for v in values if isinstance(v, float))
    assert not re.search(r"=\s*-?(?:inf|nan)\b", mapped.toml)
