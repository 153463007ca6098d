"""Decode any image file or upload into the one array layout the project uses: HxWx3 uint8 RGB."""

from pathlib import Path

import cv2
import numpy as np

IMAGE_SUFFIXES = frozenset({".bmp", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp"})


class ImageDecodeError(ValueError):
    """The bytes are not an image OpenCV can decode into 8-bit RGB."""


def load_image(source: str | Path | bytes) -> np.ndarray:
    """Decode a file path or raw bytes to RGB uint8.

    EXIF orientation is ignored (pixels as stored), so a file gives the same array in training,
    batch inference and the API. Grayscale is repeated to three channels, alpha is dropped and
    16-bit images are scaled to 8 bits.
    """
    name = "<bytes>" if isinstance(source, bytes) else str(source)
    try:
        raw = np.frombuffer(source, np.uint8) if isinstance(source, bytes) else np.fromfile(source, np.uint8)
    except OSError as error:
        raise ImageDecodeError(f"{name}: cannot read file ({error.strerror or error})") from error
    image = cv2.imdecode(raw, cv2.IMREAD_UNCHANGED) if raw.size else None
    if image is None or image.size == 0:
        raise ImageDecodeError(f"{name}: not a decodable image")
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype != np.uint8:
        raise ImageDecodeError(f"{name}: unsupported pixel type {image.dtype}")
    channels = 1 if image.ndim == 2 else image.shape[2]
    conversions = {1: cv2.COLOR_GRAY2RGB, 3: cv2.COLOR_BGR2RGB, 4: cv2.COLOR_BGRA2RGB}
    if channels not in conversions:
        raise ImageDecodeError(f"{name}: unsupported channel count {channels}")
    return cv2.cvtColor(image, conversions[channels])
