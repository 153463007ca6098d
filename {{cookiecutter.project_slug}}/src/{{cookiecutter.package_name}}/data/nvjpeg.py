"""JPEG decoding on the GPU (nvJPEG, through torchvision): only that path, which `loader.py` picks.

Loader workers read JPEGs as bytes (other formats they decode with OpenCV themselves); the main
process decodes each batch of JPEG bytes on the device and resizes it there. JPEGs that nvJPEG
rejects are decoded by OpenCV instead, and files nobody can decode are reported like everywhere
else in the project. The code runs on any device torchvision decodes on, which is how it is tested
without a GPU.
"""

import logging
from pathlib import Path
from typing import NamedTuple

import torch
from torch.utils.data import Dataset
from torchvision.io import ImageReadMode, decode_jpeg

from .dataset import Batch
from .image import ImageDecodeError, check_image, load_image
from .transforms import resize, resize_on_device, to_tensor

log = logging.getLogger(__name__)
JPEG_MAGIC = b"\xff\xd8\xff"


class EncodedSample(NamedTuple):
    index: int
    path: Path
    data: torch.Tensor | None  # a JPEG's bytes as a 1-D uint8 tensor, or
    image: torch.Tensor | None  # any other format, decoded and resized by OpenCV in the worker
    label: int
    error: str | None = None


class EncodedBatch(NamedTuple):
    indices: list[int]
    paths: list[Path]
    datas: list[torch.Tensor | None]
    images: list[torch.Tensor | None]
    labels: list[int]
    failed: list[tuple[int, str]]


class EncodedDataset(Dataset):
    """(path, label) pairs in; JPEG bytes out for the GPU, other formats decoded right here.

    Reading files is the cheap part of loading JPEGs, left to the workers; the few PNGs or TIFFs
    in a folder are decoded by the workers as well, rather than one by one in the main process.
    """

    def __init__(self, samples: list[tuple[Path, int]], image_size: int):
        self.samples = list(samples)
        self.image_size = image_size

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> EncodedSample:
        path, label = self.samples[index]
        try:
            data = Path(path).read_bytes()
            if data.startswith(JPEG_MAGIC):
                check_image(data, str(path))  # a decompression bomb never reaches the GPU either
                return EncodedSample(index, path, torch.frombuffer(bytearray(data), dtype=torch.uint8), None, label)
            image = to_tensor(resize(load_image(path), self.image_size))  # its errors name the file
        except OSError as error:
            message = f"{path}: cannot read file ({error.strerror or error})"
        except ImageDecodeError as error:
            message = str(error)
        else:
            return EncodedSample(index, path, None, image, label)
        log.warning("skipping unreadable image: %s", message)
        return EncodedSample(index, path, None, None, label, message)


def collate_encoded(samples: list[EncodedSample]) -> EncodedBatch:
    good = [s for s in samples if s.error is None]
    return EncodedBatch(
        indices=[s.index for s in good],
        paths=[s.path for s in good],
        datas=[s.data for s in good],
        images=[s.image for s in good],
        labels=[s.label for s in good],
        failed=[(s.index, s.error) for s in samples if s.error is not None],
    )


def _decode_on_device(batch: EncodedBatch, device: torch.device) -> dict[int, torch.Tensor]:
    """Position in the batch -> decoded image, for every JPEG the device decoder accepts."""
    jpegs = [i for i, data in enumerate(batch.datas) if data is not None]
    if not jpegs:
        return {}
    try:
        decoded = decode_jpeg([batch.datas[i] for i in jpegs], mode=ImageReadMode.RGB, device=device)
        return dict(zip(jpegs, decoded, strict=True))
    except torch.OutOfMemoryError:
        raise
    except RuntimeError as error:  # one bad file fails the whole call: find it by decoding one at a time
        log.warning("batched JPEG decode failed (%s); decoding this batch's JPEGs one by one", error)
    images = {}
    for i in jpegs:
        try:
            images[i] = decode_jpeg(batch.datas[i], mode=ImageReadMode.RGB, device=device)
        except torch.OutOfMemoryError:
            raise
        except RuntimeError:
            log.info("%s: left to OpenCV, the device decoder rejected it", batch.paths[i])
    return images


def decode_batch(batch: EncodedBatch, size: int, device: torch.device) -> Batch:
    """Decode and resize one batch; every image lands on `device` as uint8 3 x size x size."""
    decoded = _decode_on_device(batch, device)
    indices, images, labels, failed = [], [], [], list(batch.failed)
    for i, (index, path, label) in enumerate(zip(batch.indices, batch.paths, batch.labels, strict=True)):
        if i in decoded:
            image = resize_on_device(decoded[i], size)
        elif batch.images[i] is not None:
            image = batch.images[i].to(device, non_blocking=True)
        else:  # a JPEG the device decoder rejected: OpenCV has the last word, as on every other path
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
