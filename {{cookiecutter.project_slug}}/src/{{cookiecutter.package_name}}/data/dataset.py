"""Finding images and the dataset: (path, label) pairs in, uint8 CHW tensors out, failures named.

A file that fails to decode is logged by name and dropped from its batch; it is never replaced by
another sample, so every image is seen at most once per epoch and predictions keep their paths.
"""

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import torch
from torch.utils.data import Dataset

from .image import IMAGE_SUFFIXES, UNSUPPORTED_SUFFIXES, ImageDecodeError, load_image
from .transforms import augment, resize, to_tensor

log = logging.getLogger(__name__)


class Sample(NamedTuple):
    index: int
    image: torch.Tensor | None
    label: int
    error: str | None = None


class Batch(NamedTuple):
    indices: torch.Tensor
    images: torch.Tensor | None
    labels: torch.Tensor
    failed: list[tuple[int, str]]


def list_images(inputs: Sequence[str | Path]) -> list[Path]:
    """Files as given, folders searched recursively for image suffixes; sorted, no duplicates.

    Files of image formats the project does not read (GIF, SVG, HEIC) are listed too, so that they
    are reported as unreadable rather than silently left out.
    """
    found: set[Path] = set()
    for item in map(Path, inputs):
        if item.is_dir():
            found.update(p for p in item.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES | UNSUPPORTED_SUFFIXES)
        elif item.exists():
            found.add(item)
        else:
            raise FileNotFoundError(f"{item}: no such file or folder")
    return sorted(found)


def scan_image_folder(root: Path, class_names: Sequence[str] | None = None) -> tuple[list[tuple[Path, int]], list[str]]:
    """Read `root/<class>/<image>`; class indices follow sorted folder names unless given."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: dataset folder not found (expected {root}/<class>/<image>)")
    folders = sorted(p.name for p in root.iterdir() if p.is_dir())
    names = list(class_names) if class_names is not None else folders
    if not names:
        raise ValueError(f"{root}: no class folders found (expected {root}/<class>/<image>)")
    unknown = sorted(set(folders) - set(names))
    if unknown:
        raise ValueError(f"{root}: class folders {unknown} are not among the model's classes {names}")
    samples = [
        (path, label)
        for label, name in enumerate(names)
        for path in list_images([root / name] if (root / name).is_dir() else [])
    ]
    if not samples:
        loose = [path for path in root.iterdir() if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES]
        if loose:
            raise ValueError(
                f"{root}: {len(loose)} images lie directly in it, but it needs one subfolder per class: "
                f"{root}/<class>/<image>, with classes {names}"
            )
        raise ValueError(f"{root}: no images with suffixes {sorted(IMAGE_SUFFIXES)} in its class folders")
    return samples, names


class ImageDataset(Dataset):
    """Decodes, resizes (or augments) and returns uint8 tensors; failures come back as errors."""

    def __init__(self, samples: Sequence[tuple[Path, int]], image_size: int, train: bool = False):
        self.samples = list(samples)
        self.image_size = image_size
        self.train = train

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> Sample:
        path, label = self.samples[index]
        try:
            image = load_image(path)
        except ImageDecodeError as error:
            log.warning("skipping unreadable image: %s", error)
            return Sample(index, None, label, str(error))
        image = augment(image, self.image_size) if self.train else resize(image, self.image_size)
        return Sample(index, to_tensor(image), label)


def collate(samples: list[Sample]) -> Batch:
    good = [s for s in samples if s.image is not None]
    return Batch(
        indices=torch.tensor([s.index for s in good], dtype=torch.long),
        images=torch.stack([s.image for s in good]) if good else None,
        labels=torch.tensor([s.label for s in good], dtype=torch.long),
        failed=[(s.index, s.error) for s in samples if s.image is None],
    )
