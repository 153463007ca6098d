"""Loaders: the one place that turns (path, label) pairs into batches, and picks the decoder.

`make_loader` holds the DataLoader settings every path shares (workers, pinned memory, seeding);
`eval_batches` is what `predict`, `evaluate` and `bench` read resized images with, decoded by
OpenCV in the workers or, with the model on CUDA, by nvJPEG on the GPU (`nvjpeg.py`).
"""

from collections.abc import Callable, Iterable
from pathlib import Path

import cv2
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from ..settings import DECODERS
from .dataset import Batch, ImageDataset, collate


def _worker_init(_worker_id: int) -> None:
    # OpenCV runs single-threaded in each worker: the workers already use every core between them.
    cv2.setNumThreads(0)


def make_loader(
    dataset: Dataset,
    batch_size: int,
    num_workers: int,
    device: torch.device,
    sampler: Sampler | None = None,
    drop_last: bool = False,
    collate_fn: Callable = collate,
) -> DataLoader:
    # Workers are not persistent: each epoch starts them afresh, seeded from the generator the
    # training loop reseeds per epoch, which is what makes `--resume` draw the same augmentations.
    return DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=sampler,
        num_workers=num_workers,
        collate_fn=collate_fn,
        pin_memory=device.type == "cuda",
        worker_init_fn=_worker_init,
        drop_last=drop_last,
        prefetch_factor=4 if num_workers > 0 else None,
    )


def resolve_decoder(decoder: str, device: torch.device) -> str:
    """`auto` decodes on the GPU when the model runs on CUDA, with OpenCV workers elsewhere."""
    if decoder not in DECODERS:
        raise ValueError(f"decode={decoder!r} must be one of {', '.join(DECODERS)}")
    if decoder == "auto":
        return "nvjpeg" if device.type == "cuda" else "opencv"
    if decoder == "nvjpeg" and device.type != "cuda":
        raise ValueError(f"decode=nvjpeg needs a CUDA device, not {device}: use --decode opencv")
    return decoder


def eval_batches(
    samples: list[tuple[Path, int]], size: int, batch_size: int, num_workers: int, device: torch.device, decode: str
) -> Iterable[Batch]:
    """Resized (not augmented) batches, decoded where `decode` resolves to."""
    if resolve_decoder(decode, device) == "nvjpeg":
        from .nvjpeg import EncodedDataset, collate_encoded, decode_batch

        loader = make_loader(EncodedDataset(samples, size), batch_size, num_workers, device, collate_fn=collate_encoded)
        return (decode_batch(batch, size, device) for batch in loader)
    return make_loader(ImageDataset(samples, size), batch_size, num_workers, device)
