"""Doctest collection over src/: integration modules whose framework is not installed are skipped
(their own tests skip too); everything else is collected."""

import importlib.util

collect_ignore = [
    f"src/lrlab/integrations/{module}"
    for module, needs in (("hf.py", "transformers"), ("lightning.py", "lightning"))
    if importlib.util.find_spec(needs) is None
]
