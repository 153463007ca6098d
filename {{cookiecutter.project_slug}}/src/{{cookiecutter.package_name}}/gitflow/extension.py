"""The git-flow tier's part of the seam: the `check-commit-message` command. Imports nothing heavy."""

from ..extensions import Extension
from .commands import add_commands

EXTENSION = Extension(name="gitflow", add_commands=add_commands)
