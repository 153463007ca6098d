"""The data-engineering tier's part of the seam: its commands (`ingest`, `validate`, `split`,
`retrain`). Imports nothing heavy: each command loads what it needs when it runs."""

from ..extensions import Extension
from .commands import add_commands

EXTENSION = Extension(name="data_engineering", add_commands=add_commands)
