"""GPU-aware batch inference: uint8 batches from parallel workers, normalised on the device.

The same `iter_probabilities` loop serves `predict`, `evaluate` and validation during training.
"""

import csv
import io
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from ..data.dataset import Batch, ImageDataset, list_images, make_loader
from ..data.transforms import resize, to_tensor
from ..models.checkpoint import load_classifier
from ..utils.atomic import atomic_write_json, atomic_write_text
from ..utils.device import autocast, resolve_precision, select_device, to_device

log = logging.getLogger(__name__)


def iter_probabilities(
    model: nn.Module, loader: DataLoader, device: torch.device, precision: str
) -> Iterator[tuple[Batch, torch.Tensor]]:
    """Yield each batch with its class probabilities (float32, on the device)."""
    model.eval()
    with torch.inference_mode():
        for batch in loader:
            if batch.images is None:
                yield batch, torch.empty(0, device=device)
                continue
            with autocast(device, precision):
                logits = model(to_device(batch.images, device))
            yield batch, logits.float().softmax(dim=1)


def top_k(probabilities: torch.Tensor, class_names: Sequence[str], k: int) -> list[list[dict]]:
    values, indices = probabilities.topk(min(k, len(class_names)), dim=1)
    return [
        [{"label": class_names[i], "probability": round(float(p), 6)} for p, i in zip(row_p, row_i, strict=True)]
        for row_p, row_i in zip(values.tolist(), indices.tolist(), strict=True)
    ]


class Predictor:
    """A trained model on its device, ready for batches of files or in-memory images."""

    def __init__(self, model: nn.Module, class_names: list[str], image_size: int, device: torch.device, precision: str):
        self.device = device
        self.precision = resolve_precision(precision, device)
        memory_format = torch.channels_last if device.type == "cuda" else torch.preserve_format
        self.model = model.to(device, memory_format=memory_format).eval()
        self.class_names = list(class_names)
        self.image_size = image_size

    @classmethod
    def from_checkpoint(cls, path: Path, device: str = "auto", precision: str = "auto") -> "Predictor":
        model, state = load_classifier(path)
        image_size = state["config"]["data"]["image_size"]
        return cls(model, state["class_names"], image_size, select_device(device), precision)

    def predict_arrays(self, images: Sequence[np.ndarray], k: int = 3) -> list[list[dict]]:
        """Top-k for decoded RGB uint8 arrays (the API path)."""
        batch = torch.stack([to_tensor(resize(image, self.image_size)) for image in images])
        with torch.inference_mode(), autocast(self.device, self.precision):
            logits = self.model(to_device(batch, self.device))
        return top_k(logits.float().softmax(dim=1).cpu(), self.class_names, k)


@dataclass
class Predictions:
    """Top-k per readable file, and the reason for every file that could not be read."""

    results: dict[str, list[dict]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def predict_files(
    predictor: Predictor, inputs: Sequence[str | Path], batch_size: int = 64, num_workers: int = 2, k: int = 3
) -> Predictions:
    paths = list_images(inputs)
    dataset = ImageDataset([(path, -1) for path in paths], predictor.image_size)
    loader = make_loader(dataset, batch_size, num_workers, predictor.device)
    out = Predictions()
    for batch, probabilities in iter_probabilities(predictor.model, loader, predictor.device, predictor.precision):
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
