import numpy as np
import torch

from {{ cookiecutter.package_name }}.data.transforms import augment, resize, to_tensor


def test_resize_keeps_aspect_and_center_crops_to_a_square():
    image = np.zeros((100, 200, 3), np.uint8)
    image[:, 90:110] = 255  # a bright stripe in the middle survives the centre crop
    out = resize(image, 32)
    assert out.shape == (32, 32, 3)
    assert out[:, 16].mean() > 200 and out[:, 0].mean() < 10


def test_augment_returns_the_training_size_and_is_reproducible_under_a_seed():
    image = np.random.default_rng(1).integers(0, 255, (50, 70, 3), dtype=np.uint8)
    torch.manual_seed(3)
    first = augment(image, 24)
    torch.manual_seed(3)
    second = augment(image, 24)
    assert first.shape == (24, 24, 3) and first.dtype == np.uint8
    assert np.array_equal(first, second)


def test_augment_draws_differ_between_calls():
    image = np.random.default_rng(1).integers(0, 255, (50, 70, 3), dtype=np.uint8)
    torch.manual_seed(0)
    assert not np.array_equal(augment(image, 24), augment(image, 24))


def test_to_tensor_is_channels_first_uint8():
    tensor = to_tensor(np.zeros((5, 6, 3), np.uint8))
    assert tensor.shape == (3, 5, 6) and tensor.dtype == torch.uint8
