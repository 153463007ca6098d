"""Accuracy, per-class precision and recall from a confusion matrix: what validation and `evaluate` score."""

from collections.abc import Iterable, Sequence

import numpy as np
import torch
from torch import nn

from ..data.dataset import Batch
from ..inference.probabilities import iter_probabilities


def confusion_matrix(
    model: nn.Module,
    loader: Iterable[Batch],
    num_classes: int,
    device: torch.device,
    precision: str,
    failed: list[tuple[int, str]] | None = None,
) -> torch.Tensor:
    """Rows are true classes, columns predicted classes (int64, on the device). Unreadable samples
    are left out of it and, given a `failed` list, appended to it as (index, reason)."""
    matrix = torch.zeros(num_classes * num_classes, dtype=torch.int64, device=device)
    for batch, probabilities in iter_probabilities(model, loader, device, precision):
        if failed is not None:
            failed.extend(batch.failed)
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
