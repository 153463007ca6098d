"""The performance tier's part of the seam: its commands, and the INT8 graph a quantized checkpoint
carries (the core's ONNX Runtime backend runs it instead of exporting the fp32 one). Imports
nothing heavy: torch and ONNX Runtime load only when a command runs."""

from collections.abc import Mapping
from typing import Any

from ..extensions import Extension
from . import GRAPH_KEY
from .commands import add_commands


def carried_graph(state: Mapping[str, Any]) -> bytes | None:
    """The INT8 graph `quantize` stored in a checkpoint, or None for any other checkpoint."""
    graph = state.get(GRAPH_KEY)
    return None if graph is None else graph.numpy().tobytes()


EXTENSION = Extension(name="performance", add_commands=add_commands, onnx_graph=carried_graph)
