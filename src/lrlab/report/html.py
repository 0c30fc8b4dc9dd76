"""Write the report's blocks as one self-contained HTML file.

Self-contained: the CSS is inline, every plot is a ``data:image/png;base64`` URI, and there is
no script, font, stylesheet or link to anything outside the file, so it opens offline and the
same blocks give the same bytes.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping

from lrlab.report.document import (
    Block,
    Bullets,
    Code,
    Details,
    Heading,
    Image,
    Paragraph,
    Plain,
    Table,
)

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  max-width: 1180px; margin: 2rem auto; padding: 0 1.5rem; color: #1d232a; line-height: 1.5;
  font-size: 15px; background: #fff; }
h1 { font-size: 1.7rem; border-bottom: 2px solid #d0d7de; padding-bottom: .3rem; }
h2 { font-size: 1.35rem; border-bottom: 1px solid #d0d7de; padding-bottom: .2rem; margin-top: 2.2rem; }
h3 { font-size: 1.1rem; margin-top: 1.6rem; }
h4 { font-size: 1rem; margin-top: 1.2rem; }
code, pre, .plain { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace;
  font-size: 12.5px; }
code { background: #f2f4f7; padding: 0 .25em; border-radius: 3px; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: .7rem .9rem;
  overflow-x: auto; line-height: 1.4; }
pre code { background: none; padding: 0; }
.diff-add { color: #116329; background: #e6ffec; display: inline-block; width: 100%; }
.diff-del { color: #82071e; background: #ffebe9; display: inline-block; width: 100%; }
.diff-hunk { color: #0550ae; }
.diff-file { font-weight: 600; }
.plain { background: #f6f8fa; border-left: 3px solid #8c959f; padding: .4rem .7rem;
  white-space: pre-wrap; word-break: break-word; }
.table-wrap { overflow-x: auto; margin: .6rem 0 1rem; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #d0d7de; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f2f4f7; }
th, td { white-space: nowrap; }
tr:nth-child(even) td { background: #fafbfc; }
figure { margin: 1rem 0 1.4rem; }
figure img { max-width: 100%; height: auto; border: 1px solid #e4e7eb; }
figcaption { font-size: 13px; color: #57606a; margin-top: .3rem; }
details { margin: .8rem 0; border: 1px solid #d0d7de; border-radius: 6px; padding: .4rem .8rem; }
summary { cursor: pointer; font-weight: 600; }
nav.toc { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: .5rem 1rem;
  font-size: 14px; }
nav.toc ol { margin: .2rem 0; padding-left: 1.4rem; columns: 2; }
"""

_CODE_SPAN = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def inline(text: str) -> str:
    """Escape ``text`` and turn its ```code``` and ``**bold**`` marks into tags.

    Example:
        >>> inline("**a** < `b*c`")
        '<strong>a</strong> &lt; <code>b*c</code>'
    """
    parts = _CODE_SPAN.split(text)
    out = []
    for index, part in enumerate(parts):
        if index % 2:
            out.append(f"<code>{html.escape(part, quote=False)}</code>")
        else:
            out.append(_BOLD.sub(r"<strong>\1</strong>", html.escape(part, quote=False)))
    return "".join(out)


def _diff_line(line: str) -> str:
    if line.startswith(("+++", "---")):
        return f'<span class="diff-file">{line}</span>'
    if line.startswith("+"):
        return f'<span class="diff-add">{line}</span>'
    if line.startswith("-"):
        return f'<span class="diff-del">{line}</span>'
    if line.startswith("@@"):
        return f'<span class="diff-hunk">{line}</span>'
    return line


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


class _Writer:
    def __init__(self, pngs: Mapping[str, bytes]) -> None:
        self.pngs = pngs
        self.ids: dict[str, int] = {}

    def anchor(self, text: str) -> str:
        base = slug(text)
        self.ids[base] = self.ids.get(base, 0) + 1
        return base if self.ids[base] == 1 else f"{base}-{self.ids[base]}"

    def block(self, block: Block) -> str:
        if isinstance(block, Heading):
            level = min(block.level, 6)
            return f'<h{level} id="{self.anchor(block.text)}">{inline(block.text)}</h{level}>'
        if isinstance(block, Paragraph):
            return f"<p>{inline(block.text)}</p>"
        if isinstance(block, Plain):
            return f'<p class="plain">{html.escape(block.text, quote=False)}</p>'
        if isinstance(block, Bullets):
            return "<ul>\n" + "\n".join(f"<li>{inline(i)}</li>" for i in block.items) + "\n</ul>"
        if isinstance(block, Table):
            head = "".join(f"<th>{inline(h)}</th>" for h in block.header)
            body = "\n".join("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in row) + "</tr>"
                             for row in block.rows)
            return (f'<div class="table-wrap"><table>\n<thead><tr>{head}</tr></thead>\n'
                    f"<tbody>\n{body}\n</tbody>\n</table></div>")
        if isinstance(block, Code):
            lang = f' class="language-{html.escape(block.language)}"' if block.language else ""
            text = html.escape(block.text.rstrip(), quote=False)
            if block.language == "diff":
                text = "\n".join(_diff_line(line) for line in text.split("\n"))
            return f"<pre><code{lang}>{text}</code></pre>"
        if isinstance(block, Image):
            data = base64.b64encode(self.pngs[block.path]).decode("ascii")
            caption = f"<figcaption>{inline(block.caption)}</figcaption>" if block.caption else ""
            return (f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(block.alt)}">'
                    f"{caption}</figure>")
        if isinstance(block, Details):
            inner = "\n".join(self.block(b) for b in block.blocks)
            return f"<details>\n<summary>{inline(block.summary)}</summary>\n{inner}\n</details>"
        raise TypeError(f"not a report block: {block!r}")


def render_html(blocks: list[Block], pngs: Mapping[str, bytes]) -> str:
    """The whole report as one HTML page; ``pngs`` maps each :class:`Image` path to its bytes.

    The first heading is the page title; a table of contents of the ``##`` sections follows it.
    """
    writer = _Writer(pngs)
    title = next((b.text for b in blocks if isinstance(b, Heading)), "Experiment Report")
    body: list[str] = []
    toc_written = False
    for block in blocks:
        if isinstance(block, Heading) and block.level == 2 and not toc_written:
            body.append(_toc(blocks))
            toc_written = True
        body.append(writer.block(block))
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


def _toc(blocks: list[Block]) -> str:
    # Anchors are assigned in document order, so a fresh writer over the headings gives the same ids.
    ids = _Writer({})
    items = []
    for heading in _headings(blocks):
        anchor = ids.anchor(heading.text)
        if heading.level == 2:
            items.append(f'<li><a href="#{anchor}">{inline(heading.text)}</a></li>')
    return '<nav class="toc"><strong>Contents</strong>\n<ol>\n' + "\n".join(items) + "\n</ol>\n</nav>"


def _headings(blocks: list[Block] | tuple[Block, ...]) -> list[Heading]:
    out: list[Heading] = []
    for block in blocks:
        if isinstance(block, Heading):
            out.append(block)
        elif isinstance(block, Details):
            out += _headings(block.blocks)
    return out
