"""The names the task registry is made of agree with the code behind them, and listing tasks or
reading a store imports no torch (that is what keeps `lrlab tasks`, `ls` and `status` quick)."""

from __future__ import annotations

import subprocess
import sys

from lrlab.tasks import names
from lrlab.tasks.metrics import METRICS
from lrlab.tasks.models import MODELS


def test_names_are_the_registries_own():
    assert tuple(MODELS) == names.MODEL_NAMES
    assert tuple(METRICS) == names.METRIC_NAMES


def heavy_imports(code: str) -> list[str]:
    """The heavy packages a fresh interpreter has imported after ``code``."""
    probe = ("import contextlib, io, sys\nwith contextlib.redirect_stdout(io.StringIO()):\n"
             + "".join(f"    {line}\n" for line in code.splitlines())
             + "print(' '.join(m for m in ('torch', 'sklearn', 'pandas', 'scipy', 'transformers', 'matplotlib') "
               "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_the_commands_that_list_or_read_import_nothing_heavy(tmp_path):
    assert heavy_imports("from lrlab.cli import main\nmain(['tasks'])") == []
    assert heavy_imports(f"from lrlab.cli import main\nmain(['ls', '--root', {str(tmp_path)!r}])") == []
    assert heavy_imports("from lrlab.cli import build_parser\nbuild_parser()") == []
    assert heavy_imports("import lrlab, lrlab.study, lrlab.train, lrlab.tasks") == []
    assert "torch" in heavy_imports("from lrlab.tasks import get_task\nget_task('wine').load()")
