"""A user's code named by a plan: read and hashed without running, run from the hashed text."""

from __future__ import annotations

import hashlib
import sys
import textwrap

import pytest

from lrlab.source import Source, SourceError, load, resolve

#: Importing this file leaves a mark, so a test can tell whether it ran.
MARKED = textwrap.dedent('''
    from pathlib import Path

    Path(__file__).with_suffix(".ran").write_text("ran")


    def answer():
        return 42


    class Box:
        def value(self):
            return 7
''')


def test_resolve_reads_and_hashes_a_file_relative_to_the_base_without_running_it(tmp_path):
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "mine.py"
    path.write_text(MARKED)
    source = resolve("sub/mine.py:answer", tmp_path)
    assert (source.kind, source.path, source.attribute) == ("file", str(path.resolve()), "answer")
    assert source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert source.text == MARKED
    assert not path.with_suffix(".ran").exists()  # reading and hashing ran nothing
    assert load(source)() == 42
    assert path.with_suffix(".ran").exists()
    assert load(resolve(f"{path}:Box.value", tmp_path))(None) == 7  # an absolute path, a dotted name


def test_load_runs_the_text_that_was_hashed_not_the_file_as_it_is_now(tmp_path):
    path = tmp_path / "changing.py"
    path.write_text("def version():\n    return 1\n")
    source = resolve("changing.py:version", tmp_path)
    path.write_text("def version():\n    return 2\n")  # edited while the study runs
    assert load(source)() == 1
    path.unlink()  # or gone, as on a worker that never had it
    assert load(Source.from_dict(source.to_dict()))() == 1
    with pytest.raises(SourceError, match="does not match its sha256"):
        load(Source.from_dict({**source.to_dict(), "text": "def version():\n    return 3\n"}))


def test_a_file_may_import_its_neighbours(tmp_path):
    (tmp_path / "helper_for_lrlab_test.py").write_text("VALUE = 5\n")
    (tmp_path / "main.py").write_text("from helper_for_lrlab_test import VALUE\n\ndef value():\n    return VALUE\n")
    assert load(resolve("main.py:value", tmp_path))() == 5


def test_a_module_is_imported_by_name_and_must_be_the_file_that_was_hashed(tmp_path, monkeypatch):
    package = tmp_path / "lrlab_test_package"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "tasks.py").write_text("from . import helper\n\ndef make():\n    return helper.X\n")
    (package / "helper.py").write_text("X = 'relative imports work'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    source = resolve("lrlab_test_package.tasks:make")
    assert (source.kind, source.module, source.text) == ("module", "lrlab_test_package.tasks", "")
    assert load(source)() == "relative imports work"
    other = Source.from_dict({**source.to_dict(), "sha256": "0" * 64})
    with pytest.raises(SourceError, match="is not the one the study was planned with"):
        load(other)
    for name in [m for m in sys.modules if m.startswith("lrlab_test_package")]:
        del sys.modules[name]


@pytest.mark.parametrize(("ref", "message"), [
    ("nothing_here.py:f", r"no such file .*nothing_here\.py$"),
    ("mine.py", r"expected 'path/to/file\.py:name' or 'package\.module:name'"),
    ("mine.py:not-a-name", r"the name after the colon is a Python identifier"),
    ("no_such_module_lrlab:f", r"no module named 'no_such_module_lrlab'"),
])
def test_what_cannot_be_resolved_is_one_line_naming_it(tmp_path, ref, message):
    (tmp_path / "mine.py").write_text(MARKED)
    with pytest.raises(SourceError, match=message) as error:
        resolve(ref, tmp_path)
    assert "\n" not in str(error.value)


def test_what_cannot_be_loaded_is_one_line_naming_the_file_and_line(tmp_path):
    (tmp_path / "broken.py").write_text("x = 1\nraise RuntimeError('cannot open data.csv')\n")
    (tmp_path / "syntax.py").write_text("def f(:\n    pass\n")
    (tmp_path / "mine.py").write_text(MARKED)
    with pytest.raises(SourceError) as error:
        load(resolve("broken.py:x", tmp_path))
    assert str(error.value) == (f"{tmp_path / 'broken.py'}:2: running it raised RuntimeError: cannot open data.csv")
    with pytest.raises(SourceError, match=r"syntax\.py:1: running it raised SyntaxError"):
        load(resolve("syntax.py:f", tmp_path))
    with pytest.raises(SourceError, match=r"mine\.py: has no 'missing' \(names there: Box, Path, answer\)"):
        load(resolve("mine.py:missing", tmp_path))
