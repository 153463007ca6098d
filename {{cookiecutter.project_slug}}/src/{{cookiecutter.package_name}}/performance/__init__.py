"""The performance tier: INT8 quantization behind an accuracy gate, profiling, capacity planning,
and the summaries of Locust load tests (the scenarios live in `performance/load_testing/`).

The core never imports this package: `extension.py` plugs its commands, and the graph a quantized
checkpoint carries, into the seam (`extensions.py`).
"""

from ..errors import ProjectError

# The checkpoint key of the INT8 graph `quantize` keeps: a uint8 tensor holding the serialised ONNX model.
GRAPH_KEY = "onnx_int8_graph"


class PerformanceError(ProjectError, RuntimeError):
    """A quantization, profiling or planning step failed for a reason the message explains."""
