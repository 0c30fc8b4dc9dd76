"""The structure pass: markdown-it-py's headings, lists, tables and code, with the report's lines."""

from __future__ import annotations

from lrlab.ingest.markdown import parse_blocks, parse_list, scan_lines


def test_lines_classified_with_the_parsers_headings_and_code():
    text = "# Title\nIdea: text\n**Datasets**\n- **Models**: CNN\n\n```\n# not a heading\n```\nSetext\n---\n    code\n"
    lines = scan_lines(text)
    assert [(x.number, x.heading_level) for x in lines if x.heading_level] == [(1, 1), (9, 2)]
    assert [x.number for x in lines if x.code] == [6, 7, 8, 11]  # a fence, and an indented block
    assert lines[1].label_title == "Idea" and lines[1].rest == "text"
    assert lines[2].bold_title == "Datasets" and lines[3].bold_title == "Models" and lines[3].bullet_indent == 0
    assert lines[8].rest == "Setext" and lines[9].continued


def test_nested_lists_keep_their_lines_and_loose_items_join():
    items = parse_list("- a\n  - b\n\n    more of b\n- c\n1. d\n", first_line=10)
    assert [(i.text, i.line, [(c.text, c.line) for c in i.children]) for i in items] == [
        ("a", 10, [("b more of b", 11)]), ("c", 14, []), ("d", 15, [])]


def test_a_line_ending_with_a_colon_holds_the_list_or_table_below():
    items = parse_blocks([(3, "Image data:"), (4, "- CIFAR-10"), (5, ""), (6, "| A | B |"), (7, "|---|---|"),
                          (8, "| 1 | 2 |")])
    assert [(i.kind, i.text) for i in items] == [("line", "Image data:"), ("table", "A | B")]
    assert [c.text for c in items[0].children] == ["CIFAR-10"]
    assert [(r.cells, r.header, r.line) for r in items[1].children] == [(("1", "2"), ("A", "B"), 8)]


def test_sub_headings_hold_what_follows_them():
    items = parse_list("#### Images\n- CIFAR-10\n#### Text\n- IMDB\n", first_line=1)
    assert [(i.kind, i.text, [c.text for c in i.children]) for i in items] == [
        ("heading", "Images", ["CIFAR-10"]), ("heading", "Text", ["IMDB"])]


def test_runs_of_lines_are_read_apart():
    items = parse_blocks([(3, "- a"), (4, "- b"), (9, "c")])
    assert [(i.text, i.line) for i in items] == [("a", 3), ("b", 4), ("c", 9)]
