"""A small offline dataset of drawn shapes, so the demo and the tests need no download."""

from pathlib import Path

import cv2
import numpy as np

SHAPES = ("circle", "square", "triangle", "cross")


def _draw(shape: str, size: int, rng: np.random.Generator) -> np.ndarray:
    background = rng.integers(0, 90, 3)
    image = np.clip(rng.normal(background, 12, (size, size, 3)), 0, 255).astype(np.uint8)
    color = tuple(int(c) for c in rng.integers(150, 256, 3))
    radius = int(size * rng.uniform(0.22, 0.38))
    cx, cy = (int(v) for v in rng.integers(radius + 2, size - radius - 2, 2))
    if shape == "circle":
        cv2.circle(image, (cx, cy), radius, color, -1, cv2.LINE_AA)
    elif shape == "square":
        cv2.rectangle(image, (cx - radius, cy - radius), (cx + radius, cy + radius), color, -1)
    elif shape == "triangle":
        points = np.array([(cx, cy - radius), (cx - radius, cy + radius), (cx + radius, cy + radius)])
        cv2.fillPoly(image, [points.astype(np.int32)], color, cv2.LINE_AA)
    else:
        thickness = max(2, radius // 3)
        cv2.line(image, (cx - radius, cy - radius), (cx + radius, cy + radius), color, thickness)
        cv2.line(image, (cx - radius, cy + radius), (cx + radius, cy - radius), color, thickness)
    return image


def make_demo_data(
    root: Path, per_class_train: int = 60, per_class_val: int = 20, size: int = 64, seed: int = 0
) -> Path:
    """Write `root/{train,val}/<shape>/NNNN.jpg`; the same seed always gives the same files."""
    rng = np.random.default_rng(seed)
    root = Path(root)
    for split, count in (("train", per_class_train), ("val", per_class_val)):
        for shape in SHAPES:
            folder = root / split / shape
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(count):
                rgb = _draw(shape, size, rng)
                cv2.imwrite(str(folder / f"{i:04d}.jpg"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return root
