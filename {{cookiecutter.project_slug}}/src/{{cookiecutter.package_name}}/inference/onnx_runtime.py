"""The model run by ONNX Runtime: on a CPU about twice the images per second of eager PyTorch.

The graph is exported from the PyTorch model when a predictor starts and cached on disk under a
hash of the weights, so only the first start of a given model pays the export's few seconds.
"""

import hashlib
import logging
import os
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..utils.atomic import atomic_write
from .export import onnx_model_bytes

log = logging.getLogger(__name__)
CACHE_ENV = "ONNX_CACHE_DIR"


def cache_dir() -> Path:
    """`$ONNX_CACHE_DIR`, else `~/.cache/<package>/onnx` (under `$XDG_CACHE_HOME` where set)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / __package__.partition(".")[0] / "onnx"


def model_fingerprint(model: nn.Module, image_size: int) -> str:
    """Changes with any weight, buffer, layer name, the input size or the torch version."""
    digest = hashlib.sha256(f"{torch.__version__}:{image_size}".encode())
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def cached_onnx_graph(model: nn.Module, image_size: int) -> bytes:
    path = cache_dir() / f"{model_fingerprint(model, image_size)}.onnx"
    if path.exists():
        return path.read_bytes()
    example = torch.zeros(2, 3, image_size, image_size, dtype=torch.uint8)
    graph = onnx_model_bytes(model.cpu().float(), example)
    try:
        atomic_write(path, lambda handle: handle.write(graph))
    except OSError as error:  # a read-only home still serves, it just exports again next start
        log.warning("could not cache the ONNX graph in %s: %s", path.parent, error)
    return graph


class OnnxRuntimeModel:
    """Takes and returns what the PyTorch classifier does: uint8 NCHW images in, logits out."""

    def __init__(self, graph: bytes, threads: int | None = None):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        self.session = onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])

    @classmethod
    def from_module(cls, model: nn.Module, image_size: int) -> "OnnxRuntimeModel":
        return cls(cached_onnx_graph(model, image_size))

    def eval(self) -> "OnnxRuntimeModel":
        return self  # a graph has no training mode; here so inference loops treat both backends alike

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        [logits] = self.session.run(None, {"images": np.ascontiguousarray(images.cpu().numpy())})
        return torch.from_numpy(logits)
