"""The inference loop every path shares: batches in, class probabilities out.

`predict`, `evaluate`, the API and validation during training all call these, so the model is
always run the same way (on its device, under the precision's autocast, in inference mode).
"""

from collections.abc import Iterable, Iterator, Sequence

import torch
from torch import nn

from ..data.dataset import Batch
from ..utils.device import autocast, to_device


def iter_probabilities(
    model: nn.Module, loader: Iterable[Batch], device: torch.device, precision: str
) -> Iterator[tuple[Batch, torch.Tensor]]:
    """Yield each batch with its class probabilities (float32, on the device)."""
    model.eval()
    for batch in loader:
        if batch.images is None:
            yield batch, torch.empty(0, device=device)
            continue
        yield batch, class_probabilities(model, batch.images, device, precision)


def class_probabilities(model: nn.Module, images: torch.Tensor, device: torch.device, precision: str) -> torch.Tensor:
    """float32 probabilities, on the device, for a uint8 NxCxHxW batch on any device."""
    with torch.inference_mode(), autocast(device, precision):
        logits = model(to_device(images, device))
    return logits.float().softmax(dim=1)


def top_k(probabilities: torch.Tensor, class_names: Sequence[str], k: int) -> list[list[dict]]:
    values, indices = probabilities.topk(min(k, len(class_names)), dim=1)
    return [
        [{"label": class_names[i], "probability": round(float(p), 6)} for p, i in zip(row_p, row_i, strict=True)]
        for row_p, row_i in zip(values.tolist(), indices.tolist(), strict=True)
    ]
