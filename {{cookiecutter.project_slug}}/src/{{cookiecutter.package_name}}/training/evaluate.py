"""Accuracy, per-class precision and recall, and a confusion matrix as JSON and PNG."""

from collections.abc import Iterable, Sequence
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from ..data.dataset import Batch, scan_image_folder
from ..data.device_decode import eval_batches
from ..inference.predict import Predictor, iter_probabilities
from ..utils.atomic import atomic_write, atomic_write_json


def confusion_matrix(
    model: nn.Module, loader: Iterable[Batch], num_classes: int, device: torch.device, precision: str
) -> torch.Tensor:
    """Rows are true classes, columns predicted classes (int64, on the device)."""
    matrix = torch.zeros(num_classes * num_classes, dtype=torch.int64, device=device)
    for batch, probabilities in iter_probabilities(model, loader, device, precision):
        if batch.images is None:
            continue
        labels = batch.labels.to(device, non_blocking=True)
        cells = labels * num_classes + probabilities.argmax(dim=1)
        matrix += torch.bincount(cells, minlength=num_classes * num_classes)
    return matrix.view(num_classes, num_classes)


def summarize(matrix: torch.Tensor | np.ndarray, class_names: Sequence[str]) -> dict:
    m = np.asarray(matrix.cpu() if isinstance(matrix, torch.Tensor) else matrix, dtype=np.int64)
    total, correct = int(m.sum()), int(np.trace(m))
    per_class = {}
    for i, name in enumerate(class_names):
        predicted, actual = int(m[:, i].sum()), int(m[i].sum())
        per_class[name] = {
            "precision": float(m[i, i] / predicted) if predicted else 0.0,
            "recall": float(m[i, i] / actual) if actual else 0.0,
            "support": actual,
        }
    return {
        "accuracy": correct / total if total else 0.0,
        "samples": total,
        "per_class": per_class,
        "confusion_matrix": {"labels": list(class_names), "matrix": m.tolist()},
    }


def render_confusion_matrix(matrix: np.ndarray, class_names: Sequence[str], cell: int = 64) -> np.ndarray:
    """A BGR heat map with counts in the cells and class names along the left and top."""
    m = np.asarray(matrix, dtype=np.int64)
    n, margin = len(class_names), 120
    rates = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
    heat = cv2.applyColorMap((rates * 255).astype(np.uint8), cv2.COLORMAP_VIRIDIS)
    canvas = np.full((margin + n * cell, margin + n * cell, 3), 255, np.uint8)
    canvas[margin:, margin:] = cv2.resize(heat, (n * cell, n * cell), interpolation=cv2.INTER_NEAREST)
    font = cv2.FONT_HERSHEY_SIMPLEX
    for i, name in enumerate(class_names):
        cv2.putText(canvas, name[:12], (4, margin + i * cell + cell // 2), font, 0.45, (0, 0, 0), 1)
        cv2.putText(canvas, name[:12], (margin + i * cell + 2, margin - 8), font, 0.45, (0, 0, 0), 1)
        for j in range(n):
            color = (0, 0, 0) if rates[i, j] > 0.6 else (255, 255, 255)
            position = (margin + j * cell + 6, margin + i * cell + cell // 2 + 5)
            cv2.putText(canvas, str(m[i, j]), position, font, 0.5, color, 1)
    cv2.putText(canvas, "true \\ predicted", (4, 20), font, 0.45, (0, 0, 0), 1)
    return canvas


def write_report(metrics: dict, out_dir: Path) -> None:
    """metrics.json, confusion_matrix.json and confusion_matrix.png in `out_dir`, each atomic."""
    out_dir = Path(out_dir)
    confusion = metrics["confusion_matrix"]
    atomic_write_json(out_dir / "metrics.json", metrics)
    atomic_write_json(out_dir / "confusion_matrix.json", confusion)
    ok, png = cv2.imencode(".png", render_confusion_matrix(np.array(confusion["matrix"]), confusion["labels"]))
    if not ok:
        raise RuntimeError("OpenCV could not encode the confusion matrix PNG")
    atomic_write(out_dir / "confusion_matrix.png", lambda handle: handle.write(png.tobytes()))


def evaluate_checkpoint(
    checkpoint: Path,
    data_dir: Path,
    out_dir: Path,
    batch_size: int = 64,
    num_workers: int = 2,
    device: str = "auto",
    backend: str = "auto",
    decode: str = "auto",
) -> dict:
    """Score a trained model on `data_dir/<class>/*` and write the report to `out_dir`."""
    predictor = Predictor.from_checkpoint(checkpoint, device, backend=backend)
    samples, names = scan_image_folder(data_dir, predictor.class_names)
    loader = eval_batches(samples, predictor.image_size, batch_size, num_workers, predictor.device, decode)
    matrix = confusion_matrix(predictor.model, loader, len(names), predictor.device, predictor.precision)
    metrics = summarize(matrix, names)
    write_report(metrics, out_dir)
    return metrics
