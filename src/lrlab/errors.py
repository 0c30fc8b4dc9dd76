"""Errors whose message is written for the user: the command line prints them as one line, and
exits with the status that says what happened (``exit_code``; listed in README's command line)."""

#: Exit statuses of the ``lrlab`` command.
OK = 0
TRIALS_FAILED = 1  # the study ended and was reported, but some trials failed (their own code raised)
BAD_INPUT = 2  # a plan, an argument, a folder or a store that cannot be used; nothing ran
FOLDER_IN_USE = 3  # another lrlab process holds the study folder
ENVIRONMENT = 75  # the machine failed (disk full, I/O, a corrupt file): fix it and run again (EX_TEMPFAIL)
INTERRUPTED = 130  # Ctrl-C
TERMINATED = 143  # SIGTERM


class LrlabError(Exception):
    """Base of lrlab's user-facing errors that are not bad arguments (those are ``ValueError``)."""

    exit_code = BAD_INPUT


class EnvironmentFailure(LrlabError):
    """The environment, not the code, failed: a full disk, an I/O error, a corrupt checkpoint, a
    worker killed from outside. What it stopped is retried when the same command runs again."""

    exit_code = ENVIRONMENT


class WorkerDied(EnvironmentFailure):
    """A worker process was killed from outside (out of memory, a signal) while running trials."""


class FolderInUse(LrlabError):
    """Another lrlab process holds the study folder (its lock); the message names it."""

    exit_code = FOLDER_IN_USE


class Terminated(KeyboardInterrupt):
    """SIGTERM, turned into an interruption so that it stops as cleanly as Ctrl-C does."""
