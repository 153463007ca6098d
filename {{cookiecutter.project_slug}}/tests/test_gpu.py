"""The CUDA paths (bf16 autocast, channels_last, pinned memory, nvJPEG decode, micro-batching):
run on a machine with a GPU."""

import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch

from {{ cookiecutter.package_name }}.bench import run_bench
from {{ cookiecutter.package_name }}.data.image import load_image
from {{ cookiecutter.package_name }}.inference.predict import Predictor, predict_files
from {{ cookiecutter.package_name }}.settings import BenchSettings, LoaderSettings
from {{ cookiecutter.package_name }}.training.train import train
from {{ cookiecutter.package_name }}.utils.device import resolve_precision

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def test_training_on_the_gpu_uses_auto_precision_and_lowers_the_loss(make_config):
    cfg = make_config("train.device=cuda", "train.precision=auto", "train.epochs=3", "data.augment=false")
    result = train(cfg)
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]


def test_auto_precision_is_bf16_exactly_where_the_gpu_runs_it_natively():
    native = torch.cuda.is_bf16_supported(including_emulation=False)
    assert resolve_precision("auto", torch.device("cuda")) == ("bf16" if native else "fp32")


def test_gpu_predictions_match_the_cpu_within_mixed_precision_noise(trained_checkpoint, demo_data):
    images = [demo_data / "val"]
    on_cpu = predict_files(Predictor.from_checkpoint(trained_checkpoint, "cpu"), images, LoaderSettings(workers=0))
    gpu = Predictor.from_checkpoint(trained_checkpoint, "cuda")
    first_conv = next(p for p in gpu.model.parameters() if p.dim() == 4)
    assert first_conv.is_contiguous(memory_format=torch.channels_last)
    on_gpu = predict_files(gpu, images, LoaderSettings(workers=2))
    assert on_gpu.results.keys() == on_cpu.results.keys()
    agree = sum(on_gpu.results[p][0]["label"] == on_cpu.results[p][0]["label"] for p in on_cpu.results)
    assert agree / len(on_cpu.results) >= 0.9


def test_nvjpeg_decoding_agrees_with_opencv_and_reports_corrupt_files(trained_checkpoint, demo_data, tmp_path):
    folder = shutil.copytree(demo_data / "val", tmp_path / "val")
    (folder / "circle" / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    gpu = Predictor.from_checkpoint(trained_checkpoint, "cuda")
    assert gpu.backend == "torch"
    nvjpeg = predict_files(gpu, [folder], LoaderSettings(batch_size=16, workers=2, decode="nvjpeg"))
    opencv = predict_files(gpu, [folder], LoaderSettings(batch_size=16, workers=2, decode="opencv"))
    assert nvjpeg.results.keys() == opencv.results.keys()
    assert list(nvjpeg.errors) == list(opencv.errors) == [str(folder / "circle" / "corrupt.jpg")]
    agree = sum(nvjpeg.results[p][0]["label"] == opencv.results[p][0]["label"] for p in opencv.results)
    assert agree / len(opencv.results) >= 0.9


def test_micro_batched_gpu_predictions_match_one_request_at_a_time(trained_checkpoint, demo_data):
    images = [load_image(p) for p in sorted((demo_data / "val").rglob("*.jpg"))[:16]]
    gpu = Predictor.from_checkpoint(trained_checkpoint, "cuda")
    alone = [gpu.predict_arrays([image], k=1)[0][0]["label"] for image in images]
    gpu.start_batching(max_batch_size=16, max_wait_ms=20)
    try:
        with ThreadPoolExecutor(16) as pool:
            together = list(pool.map(lambda image: gpu.predict_arrays([image], k=1)[0][0]["label"], images))
    finally:
        gpu.stop_batching()
    assert sum(a == b for a, b in zip(alone, together, strict=True)) >= 15  # bf16 may flip a near tie


def test_bench_on_the_gpu_uses_the_nvjpeg_decoder_and_the_pytorch_backend(tmp_path):
    settings = BenchSettings(image_size=64, batch_size=8, workers=2, device="cuda", images=16, corpus_root=tmp_path)
    report = run_bench(settings)
    assert (report["settings"]["backend"], report["settings"]["decode"]) == ("torch", "nvjpeg")
    assert report["machine"]["gpu"] and all(v > 0 for v in report["images_per_second"].values())
