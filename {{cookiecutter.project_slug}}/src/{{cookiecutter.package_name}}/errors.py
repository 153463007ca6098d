"""The one base class of failures that a message explains, so the command line needs no traceback.

Every module raises its own subclass (a bad config, an unreadable checkpoint, a failed export, a
registry lookup); `cli.main` prints the message on one line and exits with code 2. Kept free of
imports so that the command line can name it without loading anything heavy.
"""


class ProjectError(Exception):
    """A failure whose message says what went wrong and what to do; reported without a traceback."""
