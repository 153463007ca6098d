"""OpenCV resizing and train-time augmentation on uint8 RGB arrays.

Normalisation is not done here: the model normalises uint8 batches on its own device, which keeps
host-to-device copies four times smaller and the CPU free for decoding.
"""

import math

import cv2
import numpy as np
import torch


def resize(image: np.ndarray, size: int) -> np.ndarray:
    """Scale the shorter side to `size`, then take the centre `size` x `size` square."""
    height, width = image.shape[:2]
    scale = size / min(height, width)
    new_w, new_h = max(size, round(width * scale)), max(size, round(height * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    image = cv2.resize(image, (new_w, new_h), interpolation=interpolation)
    top, left = (new_h - size) // 2, (new_w - size) // 2
    return image[top : top + size, left : left + size]


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
