"""Decode any image file or upload into the one array layout the project uses: HxWx3 uint8 RGB.

Every failure, of any kind, becomes an `ImageDecodeError` that names the file, so a batch can
report it and carry on. The format is decided from the bytes (magic numbers), never from a file
name or a client's content type, and the size is read from the header and checked against
`DecodeLimits` before a single pixel is decoded: a few-kilobyte "decompression bomb" that claims
40000 x 40000 pixels costs neither memory nor time.
"""

import io
import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from ..errors import ProjectError
from ..settings import DecodeLimits, load

# Files with these suffixes are listed from folders; anything else in a folder is not an image.
IMAGE_SUFFIXES = frozenset({".bmp", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp"})
# Image files listed anyway, so that they are reported as unsupported instead of silently left out.
UNSUPPORTED_SUFFIXES = frozenset({".gif", ".heic", ".svg"})
SUPPORTED_FORMATS = "JPEG, PNG, BMP, WebP or TIFF"


class ImageDecodeError(ProjectError, ValueError):
    """The bytes are not an image this project decodes into 8-bit RGB; the message names the file."""


class UnsupportedImageError(ImageDecodeError):
    """The bytes are not one of the supported formats at all (an upload answered with 415)."""


class ImageTooLargeError(ImageDecodeError):
    """The header claims more pixels than `DecodeLimits` allows."""


def sniff_format(data: bytes) -> str | None:
    """The supported format the first bytes announce, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"BM"):
        return "BMP"
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "TIFF"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _header_size(data: bytes, name: str) -> tuple[int, int] | None:
    """(width, height) as the header states them, without decoding the pixels; None when the header
    claims more than twice PIL's own limit (about 179 megapixels), which PIL refuses to open."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                return image.size
    except Image.DecompressionBombError:
        return None
    except Exception as error:  # PIL raises many types for a damaged header
        raise ImageDecodeError(f"{name}: damaged image header ({type(error).__name__})") from None


def _read(source: str | Path | bytes, name: str) -> bytes:
    if isinstance(source, bytes):
        return source
    try:
        return Path(source).read_bytes()
    except OSError as error:
        raise ImageDecodeError(f"{name}: cannot read file ({error.strerror or error})") from None


def check_image(data: bytes, name: str, limits: DecodeLimits | None = None) -> str:
    """The format of `data` once its header is known to be sound and within `limits`; else the error.

    Reads only the header: what every decoder (OpenCV here, nvJPEG on the GPU) must pass first.
    """
    if not data:
        raise UnsupportedImageError(f"{name}: empty file (0 bytes), not an image")
    kind = sniff_format(data)
    if kind is None:
        raise UnsupportedImageError(f"{name}: not an image in a supported format ({SUPPORTED_FORMATS})")
    size = _header_size(data, name)
    limits = limits or load(DecodeLimits)
    over = (
        f"over the limit ({limits.max_image_pixels} pixels, {limits.max_image_side} per side; "
        "MAX_IMAGE_PIXELS and MAX_IMAGE_SIDE raise it)"
    )
    if size is None:
        raise ImageTooLargeError(
            f"{name}: the {kind} header claims more than {2 * Image.MAX_IMAGE_PIXELS} pixels, {over}"
        )
    width, height = size
    if width < 1 or height < 1:
        raise ImageDecodeError(f"{name}: the {kind} header says {width}x{height}: no pixels")
    if width * height > limits.max_image_pixels or max(width, height) > limits.max_image_side:
        raise ImageTooLargeError(f"{name}: {width}x{height} pixels is {over}")
    return kind


def load_image(source: str | Path | bytes, limits: DecodeLimits | None = None) -> np.ndarray:
    """Decode a file path or raw bytes to RGB uint8, within `limits` (default: the environment's).

    EXIF orientation is ignored (pixels as stored), so a file gives the same array in training,
    batch inference and the API. Grayscale is repeated to three channels, alpha is dropped,
    palettes are expanded and 16-bit images are scaled to 8 bits.
    """
    name = "<bytes>" if isinstance(source, bytes) else str(source)
    data = _read(source, name)
    kind = check_image(data, name, limits)
    try:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    except cv2.error as error:
        raise ImageDecodeError(f"{name}: OpenCV cannot decode this {kind} ({error.err or error})") from None
    if image is None or image.size == 0:
        raise ImageDecodeError(f"{name}: truncated or damaged {kind}, not decodable")
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype != np.uint8:
        raise ImageDecodeError(f"{name}: unsupported pixel type {image.dtype}")
    channels = 1 if image.ndim == 2 else image.shape[2]
    conversions = {1: cv2.COLOR_GRAY2RGB, 3: cv2.COLOR_BGR2RGB, 4: cv2.COLOR_BGRA2RGB}
    if channels not in conversions:
        raise ImageDecodeError(f"{name}: unsupported channel count {channels}")
    return cv2.cvtColor(image, conversions[channels])
