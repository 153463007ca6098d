"""The model run by ONNX Runtime: on a CPU about 1.4x the images per second of eager PyTorch.

The graph is exported from the PyTorch model when a predictor starts, checked against it, and
cached on disk under a hash of everything that shapes it, so only the first start of a given model
pays the export's few seconds.
"""

import hashlib
import importlib.metadata
import logging
import os
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .. import __version__
from ..utils.atomic import atomic_write
from .export import ExportError, onnx_model_bytes

log = logging.getLogger(__name__)
CACHE_ENV = "ONNX_CACHE_DIR"
TOLERANCE = 1e-4  # largest probability gap accepted between the graph and the PyTorch model


def cache_dir() -> Path:
    """`$ONNX_CACHE_DIR`, else `~/.cache/<package>/onnx` (under `$XDG_CACHE_HOME` where set)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / __package__.partition(".")[0] / "onnx"


def model_fingerprint(model: nn.Module, image_size: int) -> str:
    """Changes with any weight, buffer or layer, the input size, this package or the exporter."""
    versions = [__version__, torch.__version__, *(importlib.metadata.version(p) for p in ("onnx", "onnxscript"))]
    digest = hashlib.sha256(f"{type(model).__qualname__}:{image_size}:{versions}".encode())
    hash_weights(digest, model)
    return digest.hexdigest()


def hash_weights(digest, model: nn.Module) -> None:
    """Feed every weight and buffer, with its name, dtype and shape, into `digest`."""
    for name, tensor in model.state_dict().items():
        digest.update(f"{name}:{tensor.dtype}:{tuple(tensor.shape)}".encode())
        digest.update(tensor.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())


class OnnxRuntimeModel:
    """Takes and returns what the PyTorch classifier does: uint8 NCHW images in, logits out."""

    def __init__(self, graph: bytes, threads: int | None = None):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        self.graph = graph
        try:
            self.session = onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own exception types
            raise ExportError(f"ONNX Runtime cannot load the graph: {error}") from error

    @classmethod
    def from_module(cls, model: nn.Module, image_size: int) -> "OnnxRuntimeModel":
        """The model's graph from the cache, or freshly exported; either way checked against `model`."""
        model = model.cpu().float().eval()
        path = cache_dir() / f"{model_fingerprint(model, image_size)}.onnx"
        if path.exists():
            try:
                return cls._checked(path.read_bytes(), model, image_size)
            except ExportError as error:
                log.warning("discarding the cached ONNX graph %s: %s", path, error)
        runtime = cls._checked(
            onnx_model_bytes(model, torch.zeros(2, 3, image_size, image_size, dtype=torch.uint8)), model, image_size
        )
        try:
            atomic_write(path, lambda handle: handle.write(runtime.graph))
        except OSError as error:  # a read-only home still serves; it only exports again next start
            log.warning("could not cache the ONNX graph in %s: %s", path.parent, error)
        return runtime

    @classmethod
    def _checked(cls, graph: bytes, model: nn.Module, image_size: int) -> "OnnxRuntimeModel":
        runtime = cls(graph)
        check = torch.randint(
            0, 256, (3, 3, image_size, image_size), dtype=torch.uint8, generator=torch.Generator().manual_seed(0)
        )
        with torch.inference_mode():
            expected = model(check).softmax(1)
        gap = float((runtime(check).softmax(1) - expected).abs().max())
        if not gap <= TOLERANCE:  # also catches NaN
            raise ExportError(f"ONNX graph differs from PyTorch: max probability gap {gap:.1e} > {TOLERANCE:.0e}")
        return runtime

    def eval(self) -> "OnnxRuntimeModel":
        return self  # a graph has no training mode; here so inference loops treat both backends alike

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        [logits] = self.session.run(None, {"images": np.ascontiguousarray(images.cpu().numpy())})
        return torch.from_numpy(logits)
