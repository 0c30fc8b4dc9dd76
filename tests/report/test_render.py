"""Markdown and HTML writers and the number formats, on hand-made blocks."""

from __future__ import annotations

import math

from lrlab.report.document import (
    Code,
    Details,
    Heading,
    Image,
    Paragraph,
    Plain,
    Table,
    section_titles,
)
from lrlab.report.formatting import (
    interval,
    json_safe,
    mean_with_ci,
    num,
    plus_minus,
    signed,
    time_or_never,
)
from lrlab.report.html import render_html
from lrlab.report.markdown import render_markdown

BLOCKS = [
    Heading(1, "Experiment Report: a <b> & c"),
    Heading(2, "Results"),
    Paragraph("**bold** and `a|b <c>`"),
    Plain("{'eval_loss': 0.5 ± 0.1}"),
    Table(("a", "b|c"), (("1", "x\ny"),)),
    Heading(2, "Results"),
    Details("more", (Table(("k",), (("v",),)),)),
    Code("x = '```'\n", "python"),
    Image("plots/p.png", "alt", "a caption"),
]


def test_markdown():
    text = render_markdown(BLOCKS)
    assert text.startswith("# Experiment Report: a <b> & c\n\n## Results\n")
    assert "| a | b\\|c |\n|---|---|\n| 1 | x y |" in text
    assert "**more**\n\n| k |" in text
    assert "````python\nx = '```'\n````" in text
    assert "![alt](plots/p.png)\n\n*a caption*" in text
    assert text.endswith("*a caption*\n")
    assert section_titles(BLOCKS) == ["Experiment Report: a <b> & c", "Results", "Results"]


def test_html_escapes_and_embeds():
    page = render_html(BLOCKS, {"plots/p.png": b"\x89PNG"})
    assert "<title>Experiment Report: a &lt;b&gt; &amp; c</title>" in page
    assert "<p><strong>bold</strong> and <code>a|b &lt;c&gt;</code></p>" in page
    assert '<p class="plain">{&#x27;eval_loss&#x27;' not in page and "<p class=\"plain\">{'eval_loss'" in page
    assert '<h2 id="results">' in page and '<h2 id="results-2">' in page
    assert '<a href="#results">' in page and '<a href="#results-2">' in page
    assert "<details>\n<summary>more</summary>" in page
    assert '<img src="data:image/png;base64,iVBORw==" alt="alt">' in page


def test_number_formats():
    assert num(0.123456) == "0.1235" and num(3.0) == "3" and num(None) == "n/a" and num(math.inf) == "inf"
    assert signed(0.5) == "+0.5" and signed(-0.5) == "-0.5" and signed(0.0) == "0"
    assert interval(0.1, 0.2) == "[0.1, 0.2]" and interval(math.nan, 0.2) == "n/a"
    entry = {"mean": 0.9, "ci_low": 0.8, "ci_high": 1.0, "n": 3}
    assert mean_with_ci(entry) == "0.9 [0.8, 1]" and plus_minus(entry) == "0.9 ± 0.1"
    assert plus_minus({"mean": math.nan, "ci_low": math.nan, "ci_high": math.nan, "n": 0}) == "n/a"
    assert time_or_never(None) == "never" and time_or_never(math.inf) == "never" and time_or_never(2) == "2"
    assert json_safe({"x": [math.nan, -math.inf]}) == {"x": [None, "-inf"]}
