"""Resizing (on the CPU with OpenCV, or on the model's device with torch) and train-time augmentation.

Both resizes follow `Preprocessing.resize`: the shorter side scaled to the model's size, then the
centre square, with the geometry computed once in `crop_box`. Normalisation is not done here: the
model normalises uint8 batches on its own device, which keeps host-to-device copies four times
smaller and the CPU free for decoding.
"""

import math
from typing import NamedTuple

import cv2
import numpy as np
import torch
from torchvision.transforms.v2 import functional as TF


class CropBox(NamedTuple):
    height: int  # the image scaled so that its shorter side is `size`
    width: int
    top: int  # then the centre `size` x `size` square of it
    left: int


def crop_box(height: int, width: int, size: int) -> CropBox:
    scale = size / min(height, width)
    new_h, new_w = max(size, round(height * scale)), max(size, round(width * scale))
    return CropBox(new_h, new_w, (new_h - size) // 2, (new_w - size) // 2)


def resize(image: np.ndarray, size: int) -> np.ndarray:
    """HxWx3 array -> size x size x 3, with OpenCV (area filter when shrinking)."""
    box = crop_box(*image.shape[:2], size)
    interpolation = cv2.INTER_AREA if box.height < image.shape[0] else cv2.INTER_LINEAR
    image = cv2.resize(image, (box.width, box.height), interpolation=interpolation)
    return image[box.top : box.top + size, box.left : box.left + size]


def resize_on_device(image: torch.Tensor, size: int) -> torch.Tensor:
    """3xHxW tensor -> 3 x size x size on its own device, antialiased bilinear (OpenCV's area
    filter has no GPU twin); the same box as `resize`."""
    box = crop_box(*image.shape[-2:], size)
    image = TF.resize(image, [box.height, box.width], antialias=True)
    return image[..., box.top : box.top + size, box.left : box.left + size]


def augment(image: np.ndarray, size: int) -> np.ndarray:
    """Random resized crop, horizontal flip and brightness/contrast jitter.

    Randomness comes from torch's generator, which the training loop seeds per epoch and the
    DataLoader seeds per worker, so a resumed run draws the same augmentations.
    """
    height, width = image.shape[:2]
    area = height * width
    for _ in range(10):
        target = area * _uniform(0.5, 1.0)
        ratio = math.exp(_uniform(math.log(3 / 4), math.log(4 / 3)))
        crop_w, crop_h = round(math.sqrt(target * ratio)), round(math.sqrt(target / ratio))
        if 0 < crop_w <= width and 0 < crop_h <= height:
            top = int(torch.randint(0, height - crop_h + 1, ()))
            left = int(torch.randint(0, width - crop_w + 1, ()))
            image = image[top : top + crop_h, left : left + crop_w]
            break
    image = cv2.resize(image, (size, size), interpolation=cv2.INTER_LINEAR)
    if _uniform(0, 1) < 0.5:
        image = image[:, ::-1]
    contrast, brightness = _uniform(0.8, 1.2), _uniform(-20, 20)
    return cv2.convertScaleAbs(np.ascontiguousarray(image), alpha=contrast, beta=brightness)


def to_tensor(image: np.ndarray) -> torch.Tensor:
    """HxWx3 uint8 array -> 3xHxW uint8 tensor (a view: no copy, no float conversion)."""
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)


def _uniform(low: float, high: float) -> float:
    return low + (high - low) * float(torch.rand(()))
