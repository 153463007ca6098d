"""The CUDA paths (bf16 autocast, channels_last, pinned memory): run on a machine with a GPU."""

import pytest
import torch

from {{ cookiecutter.package_name }}.inference.predict import Predictor, predict_files
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
    on_cpu = predict_files(Predictor.from_checkpoint(trained_checkpoint, "cpu"), images, num_workers=0)
    gpu = Predictor.from_checkpoint(trained_checkpoint, "cuda")
    first_conv = next(p for p in gpu.model.parameters() if p.dim() == 4)
    assert first_conv.is_contiguous(memory_format=torch.channels_last)
    on_gpu = predict_files(gpu, images, num_workers=2)
    assert on_gpu.results.keys() == on_cpu.results.keys()
    agree = sum(on_gpu.results[p][0]["label"] == on_cpu.results[p][0]["label"] for p in on_cpu.results)
    assert agree / len(on_cpu.results) >= 0.9
