"""The backup tier's part of the seam: the `backup` command. Imports nothing heavy."""

from ..extensions import Extension
from .commands import add_commands

EXTENSION = Extension(name="backup", add_commands=add_commands)
