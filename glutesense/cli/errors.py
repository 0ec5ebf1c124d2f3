"""Errors the CLI reports as one line with exit status 2."""


class UsageError(Exception):
    """Bad usage or unreadable input; the message names the file and the problem."""
