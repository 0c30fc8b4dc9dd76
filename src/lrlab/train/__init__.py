"""One trial: the training loop, checkpoints, and what it records. Imports tasks and schedulers; never writes the store."""
