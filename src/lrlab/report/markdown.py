"""Write the report's blocks as markdown (GitHub-flavoured: pipe tables, fenced code)."""

from __future__ import annotations

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


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(block: Table) -> str:
    lines = ["| " + " | ".join(_cell(h) for h in block.header) + " |",
             "|" + "|".join("---" for _ in block.header) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in block.rows]
    return "\n".join(lines)


def _fence(text: str) -> str:
    """A fence longer than any run of backticks inside the text."""
    longest, run = 0, 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return "`" * max(3, longest + 1)


def render_block(block: Block) -> str:
    if isinstance(block, Heading):
        return f"{'#' * block.level} {block.text}"
    if isinstance(block, Paragraph | Plain):
        return block.text
    if isinstance(block, Bullets):
        return "\n".join(f"- {item}" for item in block.items)
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Code):
        fence = _fence(block.text)
        return f"{fence}{block.language}\n{block.text.rstrip()}\n{fence}"
    if isinstance(block, Image):
        text = f"![{block.alt}]({block.path})"
        return f"{text}\n\n*{block.caption}*" if block.caption else text
    if isinstance(block, Details):
        return "\n\n".join([f"**{block.summary}**", *(render_block(b) for b in block.blocks)])
    raise TypeError(f"not a report block: {block!r}")


def render_markdown(blocks: list[Block]) -> str:
    """The whole report; blocks are separated by one blank line, and the file ends with a newline."""
    return "\n\n".join(render_block(b) for b in blocks) + "\n"
