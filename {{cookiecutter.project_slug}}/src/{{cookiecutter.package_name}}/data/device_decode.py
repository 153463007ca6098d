"""JPEG decoding on the GPU (nvJPEG through torchvision), past the ceiling of the CPU decoders.

Loader workers only read files; the main process decodes each batch of JPEG bytes on the device and
resizes it there. Files that are not JPEGs, or that nvJPEG rejects, are decoded by OpenCV on the
CPU instead, and files nobody can decode are reported like everywhere else in the project.
The code runs on any device torchvision decodes on, which is how it is tested without a GPU.
"""

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

import torch
from torch.utils.data import Dataset
from torchvision.io import ImageReadMode, decode_jpeg
from torchvision.transforms.v2 import functional as TF

from .dataset import Batch
from .image import ImageDecodeError, load_image
from .transforms import resize, to_tensor

log = logging.getLogger(__name__)
DECODERS = ("auto", "opencv", "nvjpeg")
JPEG_MAGIC = b"\xff\xd8\xff"


def resolve_decoder(decoder: str, device: torch.device) -> str:
    """`auto` decodes on the GPU when the model runs on CUDA, with OpenCV workers elsewhere."""
    if decoder not in DECODERS:
        raise ValueError(f"decode={decoder!r} must be one of {', '.join(DECODERS)}")
    if decoder == "auto":
        return "nvjpeg" if device.type == "cuda" else "opencv"
    if decoder == "nvjpeg" and device.type != "cuda":
        raise ValueError(f"decode=nvjpeg needs a CUDA device, not {device}: use --decode opencv")
    return decoder


class EncodedSample(NamedTuple):
    index: int
    path: Path
    data: torch.Tensor | None  # the file's bytes as a 1-D uint8 tensor
    label: int
    error: str | None = None


class EncodedBatch(NamedTuple):
    indices: list[int]
    paths: list[Path]
    datas: list[torch.Tensor]
    labels: list[int]
    failed: list[tuple[int, str]]


class EncodedDataset(Dataset):
    """(path, label) pairs in, raw file bytes out: the cheap part of loading, left to the workers."""

    def __init__(self, samples: list[tuple[Path, int]]):
        self.samples = list(samples)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> EncodedSample:
        path, label = self.samples[index]
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            message = f"{path}: cannot read file ({error.strerror or error})"
            log.warning("skipping unreadable image: %s", message)
            return EncodedSample(index, path, None, label, message)
        encoded = torch.frombuffer(bytearray(data), dtype=torch.uint8) if data else torch.empty(0, dtype=torch.uint8)
        return EncodedSample(index, path, encoded, label)


def collate_encoded(samples: list[EncodedSample]) -> EncodedBatch:
    good = [s for s in samples if s.data is not None]
    return EncodedBatch(
        indices=[s.index for s in good],
        paths=[s.path for s in good],
        datas=[s.data for s in good],
        labels=[s.label for s in good],
        failed=[(s.index, s.error) for s in samples if s.data is None],
    )


def resize_on_device(image: torch.Tensor, size: int) -> torch.Tensor:
    """As `transforms.resize` does on the CPU: shorter side to `size` (antialiased), centre square."""
    return TF.center_crop(TF.resize(image, [size], antialias=True), [size, size])


def _gpu_decoded(batch: EncodedBatch, device: torch.device) -> dict[int, torch.Tensor]:
    """Position in the batch -> decoded image, for every JPEG the device decoder accepts."""
    jpegs = [i for i, data in enumerate(batch.datas) if bytes(data[:3].tolist()) == JPEG_MAGIC]
    if not jpegs:
        return {}
    try:
        decoded = decode_jpeg([batch.datas[i] for i in jpegs], mode=ImageReadMode.RGB, device=device)
        return dict(zip(jpegs, decoded, strict=True))
    except RuntimeError:  # one bad file fails the whole call: find it by decoding one at a time
        pass
    images = {}
    for i in jpegs:
        try:
            images[i] = decode_jpeg(batch.datas[i], mode=ImageReadMode.RGB, device=device)
        except RuntimeError:
            log.debug("%s: left to OpenCV, the device decoder rejected it", batch.paths[i])
    return images


def decode_batch(batch: EncodedBatch, size: int, device: torch.device) -> Batch:
    """Decode and resize one batch; every image lands on `device` as uint8 3 x size x size."""
    decoded = _gpu_decoded(batch, device)
    indices, images, labels, failed = [], [], [], list(batch.failed)
    for i, (index, path, label) in enumerate(zip(batch.indices, batch.paths, batch.labels, strict=True)):
        if i in decoded:
            image = resize_on_device(decoded[i], size)
        else:
            try:
                image = to_tensor(resize(load_image(path), size)).to(device)
            except ImageDecodeError as error:
                log.warning("skipping unreadable image: %s", error)
                failed.append((index, str(error)))
                continue
        indices.append(index)
        images.append(image)
        labels.append(label)
    return Batch(
        indices=torch.tensor(indices, dtype=torch.long),
        images=torch.stack(images) if images else None,
        labels=torch.tensor(labels, dtype=torch.long),
        failed=failed,
    )


def decoded_batches(batches: Iterable[EncodedBatch], size: int, device: torch.device) -> Iterator[Batch]:
    for batch in batches:
        yield decode_batch(batch, size, device)
