"""Meta-training of MetaLR's policy across tasks (harness side: imports train, tasks, study.plan)."""

from lrlab.meta.train import meta_train, meta_train_cli

__all__ = ["meta_train", "meta_train_cli"]
