"""The scale-out tier's part of the seam: the `batch-predict` command. Imports nothing heavy:
Ray, PyArrow and PyTorch load only when a batch job runs."""

from ..extensions import Extension
from .commands import add_commands

EXTENSION = Extension(name="scale_out", add_commands=add_commands)
