"""The nvJPEG decode path, run on the CPU: torchvision decodes JPEGs on whichever device it is given."""

import shutil

import cv2
import numpy as np
import pytest
import torch

from {{ cookiecutter.package_name }}.data import loader
from {{ cookiecutter.package_name }}.data.dataset import ImageDataset, collate
from {{ cookiecutter.package_name }}.data.loader import resolve_decoder
from {{ cookiecutter.package_name }}.data.nvjpeg import EncodedDataset, collate_encoded, decode_batch
from {{ cookiecutter.package_name }}.inference.evaluate import evaluate_checkpoint
from {{ cookiecutter.package_name }}.inference.predict import Predictor, predict_files
from {{ cookiecutter.package_name }}.settings import LoaderSettings

CPU = torch.device("cpu")


@pytest.fixture
def mixed_folder(demo_data, tmp_path):
    """Demo JPEGs plus a PNG, a corrupt JPEG and an empty file."""
    folder = shutil.copytree(demo_data / "val" / "square", tmp_path / "mixed")
    cv2.imwrite(str(folder / "drawing.png"), np.full((40, 60, 3), 200, np.uint8))
    (folder / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    (folder / "empty.jpg").write_bytes(b"")
    return folder


def both_ways(folder, size=32):
    samples = [(path, 0) for path in sorted(folder.iterdir())]
    on_device = decode_batch(
        collate_encoded([EncodedDataset(samples, size)[i] for i in range(len(samples))]), size, CPU
    )
    opencv = collate([ImageDataset(samples, size)[i] for i in range(len(samples))])
    return samples, on_device, opencv


def test_auto_decodes_on_the_gpu_only_when_the_model_is_there():
    assert resolve_decoder("auto", torch.device("cuda")) == "nvjpeg"
    assert resolve_decoder("auto", CPU) == "opencv"
    with pytest.raises(ValueError, match="needs a CUDA device"):
        resolve_decoder("nvjpeg", CPU)
    with pytest.raises(ValueError, match="auto, opencv, nvjpeg"):
        resolve_decoder("pillow", CPU)


def test_workers_pass_jpeg_bytes_on_and_decode_other_formats_themselves(mixed_folder):
    samples = [(path, 0) for path in sorted(mixed_folder.iterdir())]
    loaded = {path.name: EncodedDataset(samples, 32)[i] for i, (path, _) in enumerate(samples)}
    assert loaded["drawing.png"].data is None and loaded["drawing.png"].image.shape == (3, 32, 32)
    jpeg = next(sample for name, sample in loaded.items() if name.startswith("0"))
    assert jpeg.image is None and bytes(jpeg.data[:3].tolist()) == b"\xff\xd8\xff"
    assert loaded["empty.jpg"].error.endswith("empty file (0 bytes), not an image")


def test_device_decoding_keeps_the_same_images_and_reports_the_same_failures(mixed_folder):
    samples, on_device, opencv = both_ways(mixed_folder)
    assert on_device.indices.tolist() == opencv.indices.tolist()
    assert sorted(on_device.failed) == sorted(opencv.failed)
    failed = {samples[i][0].name for i, _ in on_device.failed}
    assert failed == {"corrupt.jpg", "empty.jpg"}
    assert on_device.images.dtype == torch.uint8 and on_device.images.shape == opencv.images.shape


def test_device_resizing_matches_opencv_to_within_a_few_grey_levels(mixed_folder):
    _, on_device, opencv = both_ways(mixed_folder, size=24)
    difference = (on_device.images.float() - opencv.images.float()).abs().mean(dim=(1, 2, 3))
    assert difference.max() < 4, difference  # same sizes and crop; other JPEG decoder and filter


def test_predict_files_through_the_device_decoder_agrees_with_opencv(trained_checkpoint, mixed_folder, monkeypatch):
    predictor = Predictor.from_checkpoint(trained_checkpoint, "cpu")
    opencv = predict_files(predictor, [mixed_folder], LoaderSettings(batch_size=4, workers=0))
    monkeypatch.setattr(loader, "resolve_decoder", lambda decode, device: "nvjpeg")
    on_device = predict_files(predictor, [mixed_folder], LoaderSettings(batch_size=4, workers=2))
    assert on_device.results.keys() == opencv.results.keys()
    assert on_device.errors.keys() == opencv.errors.keys() and len(on_device.errors) == 2
    agree = sum(on_device.results[p][0]["label"] == opencv.results[p][0]["label"] for p in opencv.results)
    assert agree >= len(opencv.results) - 1


def test_evaluate_through_the_device_decoder_scores_like_opencv(trained_checkpoint, demo_data, tmp_path, monkeypatch):
    opencv = evaluate_checkpoint(
        trained_checkpoint, demo_data / "val", tmp_path / "opencv", LoaderSettings(16, 0, "cpu")
    )
    monkeypatch.setattr(loader, "resolve_decoder", lambda decode, device: "nvjpeg")
    on_device = evaluate_checkpoint(
        trained_checkpoint, demo_data / "val", tmp_path / "device", LoaderSettings(16, 2, "cpu")
    )
    assert on_device["samples"] == opencv["samples"] > 0
    assert abs(on_device["accuracy"] - opencv["accuracy"]) <= 2 / opencv["samples"]
