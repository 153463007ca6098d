"""`evaluate`: score a trained model on a labelled folder and write the report (JSON and a PNG)."""

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from ..data.dataset import scan_image_folder
from ..data.loader import eval_batches
from ..settings import LoaderSettings
from ..training.metrics import confusion_matrix, summarize
from ..utils.atomic import atomic_write, atomic_write_json
from .predict import Predictor


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
    checkpoint: str | Path, data_dir: Path, out_dir: Path, loader: LoaderSettings | None = None
) -> dict:
    """Score a trained model on `data_dir/<class>/*` and write the report to `out_dir`."""
    loader = loader or LoaderSettings()
    predictor = Predictor.from_checkpoint(checkpoint, loader.device, backend=loader.backend)
    samples, names = scan_image_folder(data_dir, predictor.class_names)
    batches = eval_batches(
        samples, predictor.image_size, loader.batch_size, loader.workers, predictor.device, loader.decode
    )
    failed: list[tuple[int, str]] = []
    matrix = confusion_matrix(predictor.model, batches, len(names), predictor.device, predictor.precision, failed)
    metrics = summarize(matrix, names)
    # The images scored are `samples`; these were listed but could not be read, and are not in it.
    metrics["unreadable"] = {"count": len(failed), "files": {str(samples[i][0]): reason for i, reason in failed}}
    write_report(metrics, out_dir)
    return metrics
