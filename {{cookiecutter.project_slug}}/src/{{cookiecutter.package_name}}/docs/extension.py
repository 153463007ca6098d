"""The documentation tier's part of the seam: the `docs` command. Imports nothing heavy: mkdocs
loads only when the site is built."""

from ..extensions import Extension
from .commands import add_commands

EXTENSION = Extension(name="docs", add_commands=add_commands)
