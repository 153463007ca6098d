"""Batch inference on the fastest path each machine has, chosen without flags.

uint8 batches from parallel workers (or JPEGs decoded on the GPU) are normalised on the device. On
a GPU the PyTorch model runs in bf16 and channels_last; on a CPU ONNX Runtime runs the exported
graph. `Predictor` is what `predict`, `evaluate` and the API run a trained model through.
"""

import csv
import hashlib
import importlib.util
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .. import extensions
from ..data.dataset import list_images
from ..data.loader import eval_batches
from ..data.preprocessing import Preprocessing
from ..data.transforms import resize, to_tensor
from ..errors import ProjectError
from ..models.checkpoint import load_classifier
from ..settings import BACKENDS, TOP_K, LoaderSettings
from ..utils.atomic import atomic_write_json, atomic_write_text
from ..utils.device import resolve_precision, select_device
from .batching import MicroBatcher
from .export import ExportError
from .onnx_runtime import OnnxRuntimeModel, hash_weights
from .probabilities import class_probabilities, iter_probabilities, top_k

log = logging.getLogger(__name__)


def resolve_backend(backend: str, device: torch.device, precision: str = "auto") -> str:
    """`auto` is ONNX Runtime on a CPU (about 1.4x eager PyTorch there), PyTorch elsewhere or when
    a reduced precision (which only PyTorch's autocast provides) is asked for."""
    if backend not in BACKENDS:
        raise ValueError(f"backend={backend!r} must be one of {', '.join(BACKENDS)}")
    fp32 = precision in ("auto", "fp32")
    if backend == "auto":
        runtime = device.type == "cpu" and fp32 and importlib.util.find_spec("onnxruntime")
        return "onnxruntime" if runtime else "torch"
    if backend == "onnxruntime" and device.type != "cpu":
        raise ValueError(f"backend=onnxruntime runs on the CPU, not {device}: use --backend torch")
    if backend == "onnxruntime" and not fp32:
        raise ValueError(f"backend=onnxruntime runs in fp32, not {precision}: use --backend torch")
    return backend


def weights_version(model: nn.Module, graph: bytes | None = None) -> str:
    """The first 12 hex digits of a SHA-256 of what the model computes with (the graph when one is
    run as it is), so that the API, logs and metrics can say which weights answered."""
    digest = hashlib.sha256()
    if graph:
        digest.update(graph)
    else:
        hash_weights(digest, model)
    return digest.hexdigest()[:12]


class Predictor:
    """A trained model on its device, ready for batches of files or in-memory images."""

    def __init__(
        self,
        model: nn.Module,
        class_names: list[str],
        preprocessing: Preprocessing,
        device: torch.device,
        precision: str = "auto",
        backend: str = "auto",
        graph: bytes | None = None,
        source: str = "in memory",
    ):
        """`graph`: an ONNX graph to run on ONNX Runtime as it is, instead of exporting the model's;
        `source`: where the model came from (a checkpoint file or reference), as the API reports it."""
        self.source = source
        self.version = weights_version(model, graph)
        self.device = device
        self.class_names = list(class_names)
        self.preprocessing = preprocessing
        self.image_size = preprocessing.image_size
        self.backend = resolve_backend(backend, device, precision)
        self.precision = "fp32" if self.backend == "onnxruntime" else resolve_precision(precision, device)
        self.batcher: MicroBatcher | None = None
        if self.backend == "onnxruntime":
            try:
                self.model = OnnxRuntimeModel(graph) if graph else OnnxRuntimeModel.from_module(model, self.image_size)
                return
            except ExportError as error:
                if backend != "auto":
                    raise
                log.warning("ONNX Runtime unavailable (%s); running the model in PyTorch", error)
                self.backend = "torch"
        memory_format = torch.channels_last if device.type in ("cuda", "cpu") else torch.preserve_format
        self.model = model.to(device, memory_format=memory_format).eval()

    @classmethod
    def from_checkpoint(
        cls, reference: str | Path, device: str = "auto", precision: str = "auto", backend: str = "auto"
    ) -> "Predictor":
        """The model of a checkpoint file or reference, with the preprocessing it was trained with."""
        model, state = load_classifier(reference)
        spec = Preprocessing.from_checkpoint(state)
        graph = extensions.onnx_graph(state)  # e.g. the INT8 graph a quantized checkpoint carries
        return cls(
            model,
            state["class_names"],
            spec,
            select_device(device),
            precision,
            backend,
            graph=graph,
            source=str(reference),
        )

    def probabilities(self, images: torch.Tensor) -> torch.Tensor:
        """Class probabilities (float32, on the CPU) for a uint8 NxCxHxW batch."""
        return class_probabilities(self.model, images, self.device, self.precision).cpu()

    def predict_arrays(self, images: Sequence[np.ndarray], k: int = TOP_K) -> list[list[dict]]:
        """Top-k for decoded RGB uint8 arrays (the API path); shares a batch with other threads'
        calls while `start_batching` is in effect."""
        batch = torch.stack([to_tensor(resize(image, self.image_size)) for image in images])
        run = self.batcher or self.probabilities
        return top_k(run(batch), self.class_names, k)

    def start_batching(self, max_batch_size: int, max_wait_ms: float = 0.0) -> None:
        """Merge concurrent `predict_arrays` calls into shared forward passes (see batching.py)."""
        self.stop_batching()
        self.batcher = MicroBatcher(self.probabilities, max_batch_size, max_wait_ms)

    def stop_batching(self) -> None:
        if self.batcher is not None:
            self.batcher.close()
            self.batcher = None


@dataclass
class Predictions:
    """Top-k per readable file, and the reason for every file that could not be read."""

    results: dict[str, list[dict]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


class NoImagesError(ProjectError):
    """`predict` was given folders with no image files in them."""


def predict_files(
    predictor: Predictor,
    inputs: Sequence[str | Path],
    loader: LoaderSettings | None = None,
    k: int = TOP_K,
    allow_empty: bool = False,
) -> Predictions:
    """Top-k for every image file in `inputs`, read with `loader`'s batch size, workers and decoder
    (`auto`: nvJPEG when the model is on CUDA, OpenCV workers elsewhere); the defaults without one.
    Inputs without a single image file are an error unless `allow_empty`: an empty result is more
    often a wrong path than an answer."""
    loader = loader or LoaderSettings()
    paths = list_images(inputs)
    if not paths and not allow_empty:
        shown = ", ".join(map(str, inputs))
        raise NoImagesError(f"no image files in {shown}; pass --allow-empty if an empty result is what you expect")
    samples = [(path, -1) for path in paths]
    device = predictor.device
    batches = eval_batches(samples, predictor.image_size, loader.batch_size, loader.workers, device, loader.decode)
    out = Predictions()
    for batch, probabilities in iter_probabilities(predictor.model, batches, device, predictor.precision):
        for index, error in batch.failed:
            out.errors[str(paths[index])] = error
        if batch.images is not None:
            rows = top_k(probabilities.cpu(), predictor.class_names, k)
            for index, row in zip(batch.indices.tolist(), rows, strict=True):
                out.results[str(paths[index])] = row
    log.info("predicted %d images, %d unreadable", len(out.results), len(out.errors))
    return out


def write_predictions(predictions: Predictions, path: Path) -> Path:
    """JSON (`.json`) or CSV (anything else), written atomically; unreadable files included."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        return atomic_write_json(path, {"predictions": predictions.results, "errors": predictions.errors})
    k = max((len(row) for row in predictions.results.values()), default=1)
    header = ["path"] + [f"{name}_{i}" for i in range(1, k + 1) for name in ("label", "probability")]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*header, "error"])
    for file, row in predictions.results.items():
        cells = [value for item in row for value in (item["label"], item["probability"])]
        writer.writerow([file, *cells, *[""] * (2 * k - len(cells)), ""])
    for file, error in predictions.errors.items():
        writer.writerow([file, *[""] * (2 * k), error])
    return atomic_write_text(path, buffer.getvalue())
