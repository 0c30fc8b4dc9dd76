"""One trial: the training loop, checkpoints, and what it records. Imports tasks and schedulers; never writes the store."""

from lrlab.train.spec import Target, TrialResult, TrialSpec
from lrlab.train.trial import run_trial

__all__ = ["Target", "TrialResult", "TrialSpec", "run_trial"]
