import cv2
import numpy as np
import pytest

from {{ cookiecutter.package_name }}.data.image import ImageDecodeError, load_image


def encode(image: np.ndarray, suffix: str = ".png") -> bytes:
    ok, data = cv2.imencode(suffix, image)
    assert ok
    return data.tobytes()


def test_color_image_comes_back_as_rgb_not_bgr():
    bgr = np.zeros((4, 5, 3), np.uint8)
    bgr[..., 0] = 200  # blue in OpenCV's BGR order
    rgb = load_image(encode(bgr))
    assert rgb.shape == (4, 5, 3) and rgb.dtype == np.uint8
    assert rgb[0, 0].tolist() == [0, 0, 200]


def test_grayscale_is_repeated_to_three_channels():
    gray = np.full((6, 7), 77, np.uint8)
    assert load_image(encode(gray)).shape == (6, 7, 3)
    assert (load_image(encode(gray)) == 77).all()


def test_alpha_channel_is_dropped():
    bgra = np.zeros((3, 3, 4), np.uint8)
    bgra[..., 2], bgra[..., 3] = 255, 10
    assert load_image(encode(bgra))[0, 0].tolist() == [255, 0, 0]


def test_sixteen_bit_images_are_scaled_to_eight_bits():
    deep = np.full((2, 2, 3), 65535, np.uint16)
    image = load_image(encode(deep))
    assert image.dtype == np.uint8 and (image == 255).all()


def test_files_and_bytes_decode_identically(tmp_path):
    image = np.random.default_rng(0).integers(0, 255, (8, 8, 3), dtype=np.uint8)
    path = tmp_path / "a.png"
    path.write_bytes(encode(image))
    assert np.array_equal(load_image(path), load_image(path.read_bytes()))


@pytest.mark.parametrize("payload", [b"", b"not an image", encode(np.zeros((9, 9, 3), np.uint8), ".jpg")[:40]])
def test_corrupt_bytes_raise_a_decode_error(payload):
    with pytest.raises(ImageDecodeError):
        load_image(payload)


def test_missing_file_raises_a_decode_error_naming_it(tmp_path):
    with pytest.raises(ImageDecodeError, match="nope.jpg"):
        load_image(tmp_path / "nope.jpg")
