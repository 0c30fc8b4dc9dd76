"""Errors whose message is written for the user: the command line prints them as one line."""


class LrlabError(Exception):
    """Base of lrlab's user-facing errors that are not bad arguments (those are ``ValueError``)."""


class WorkerDied(LrlabError):
    """A worker process was killed from outside (out of memory, a signal) while running trials."""
