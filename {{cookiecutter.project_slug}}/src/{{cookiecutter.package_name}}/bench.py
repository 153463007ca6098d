"""Throughput in images per second: the project's own paths next to their ceilings and a naive loop.

Four figures, measured in one process on one synthetic JPEG corpus:
    model_only   the model on a batch already on the device (the compute ceiling)
    decode_only  the project's loader alone: OpenCV decode + resize in all workers (the CPU ceiling),
                 or with the nvjpeg decoder file reads in the workers and decode + resize on the GPU
    naive        PIL + torchvision transforms, no workers, fp32, batch 64 (the tutorial loop)
    project      `predict_files` end to end, or with `train=True` the training step and its loader

For inference, `model_only` and `project` run the backend `predict` would pick (ONNX Runtime on a
CPU, PyTorch on a GPU) unless one is named.
"""

import math
import os
import platform
import time
from pathlib import Path

import cv2
import numpy as np
import onnxruntime
import torch
import torch.nn.functional as F
import torchvision
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms as T

from .data.dataset import ImageDataset
from .data.loader import eval_batches, make_loader, resolve_decoder
from .data.preprocessing import IMAGENET_MEAN, IMAGENET_STD, Preprocessing
from .inference.predict import Predictor, predict_files
from .models.classifier import Classifier
from .settings import BenchSettings
from .training.distributed import Distributed
from .training.train import train_epoch
from .utils.device import autocast, resolve_precision, select_device, to_device

NUM_CLASSES = 10
NAIVE_BATCH = 64


def make_corpus(root: Path, count: int, seed: int = 0) -> Path:
    """`count` photo-sized JPEGs (about 500x375, quality 90) in `root/corpus-<count>`.

    Made once: existing files are kept and only missing ones are written, each through a
    temporary name, so an interrupted run leaves a folder the next run simply completes.
    """
    folder = Path(root) / f"corpus-{count}"
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        path = folder / f"{i:05d}.jpg"
        if path.exists():
            continue
        rng = np.random.default_rng(seed + i)
        width, height = int(rng.integers(450, 551)), int(rng.integers(340, 411))
        # Smooth colour fields plus grain compress like photographs, unlike flat colour or pure noise.
        image = cv2.resize(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8), (width, height), cv2.INTER_CUBIC)
        image = np.clip(image + rng.normal(0, 12, image.shape), 0, 255).astype(np.uint8)
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
        if not ok:
            raise RuntimeError(f"OpenCV could not encode {path}")
        partial = path.with_suffix(".tmp")
        partial.write_bytes(encoded.tobytes())
        partial.replace(path)
    return folder


class _PilDataset(Dataset):
    """The tutorial's dataset: PIL decode, torchvision transforms, float tensors normalised on the CPU."""

    def __init__(self, paths: list[Path], image_size: int, train: bool):
        self.paths = paths
        normalise = [T.ToTensor(), T.Normalize(IMAGENET_MEAN, IMAGENET_STD)]
        if train:
            self.transform = T.Compose([T.RandomResizedCrop(image_size), T.RandomHorizontalFlip(), *normalise])
        else:
            self.transform = T.Compose([T.Resize(image_size * 8 // 7), T.CenterCrop(image_size), *normalise])

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        with Image.open(self.paths[index]) as image:
            return self.transform(image.convert("RGB")), index % NUM_CLASSES


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timed(run, count: int, device: torch.device) -> float:
    """Images per second for `run()`, which processes `count` images; called after its warm-up."""
    _sync(device)
    started = time.perf_counter()
    run()
    _sync(device)
    return count / (time.perf_counter() - started)


def _scaler(device, precision) -> torch.amp.GradScaler:
    """Loss scaling for fp16 only, as in `train` (a disabled scaler passes everything through)."""
    return torch.amp.GradScaler(device.type, enabled=precision == "fp16")


def _step(model, images, labels, optimizer, scaler, device, precision) -> None:
    """One inference batch, or with an optimizer one training step (forward, backward, update)."""
    if optimizer is None:
        with torch.inference_mode(), autocast(device, precision):
            model(images)
        return
    with autocast(device, precision):
        loss = F.cross_entropy(model(images), labels)
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()


def _model_only(model, s: BenchSettings, device, precision, optimizer) -> float:
    images = torch.randint(0, 256, (s.batch_size, 3, s.image_size, s.image_size), dtype=torch.uint8)
    images, labels = to_device(images, device), torch.arange(s.batch_size, device=device) % NUM_CLASSES
    steps = max(1, math.ceil(s.images / s.batch_size))
    scaler = _scaler(device, precision)
    for _ in range(2):
        _step(model, images, labels, optimizer, scaler, device, precision)

    def run():
        for _ in range(steps):
            _step(model, images, labels, optimizer, scaler, device, precision)

    return _timed(run, steps * s.batch_size, device)


def _decode_only(samples, s: BenchSettings, device, decoder: str) -> float:
    if s.train:
        loader = make_loader(ImageDataset(samples, s.image_size, train=True), s.batch_size, s.workers, device)
    else:
        loader = eval_batches(samples, s.image_size, s.batch_size, s.workers, device, decoder)
    return _timed(lambda: sum(len(batch.indices) for batch in loader), len(samples), device)


def _naive(paths, s: BenchSettings, device, train: bool) -> float:
    net = Classifier(s.backbone, NUM_CLASSES).backbone.to(device)  # takes pre-normalised floats
    net.train(train)
    optimizer = torch.optim.AdamW(net.parameters(), lr=1e-4) if train else None
    loader = DataLoader(_PilDataset(paths, s.image_size, train), batch_size=NAIVE_BATCH, num_workers=0)
    warm = torch.randn(2, 3, s.image_size, s.image_size, device=device)
    scaler = _scaler(device, "fp32")
    _step(net, warm, torch.zeros(2, dtype=torch.long, device=device), optimizer, scaler, device, "fp32")

    def run():
        for images, labels in loader:
            _step(net, images.to(device), labels.to(device), optimizer, scaler, device, "fp32")

    return _timed(run, len(paths), device)


def _predict(predictor: Predictor, paths, s: BenchSettings) -> float:
    def run(subset):
        predict_files(predictor, subset, s)

    # Warm up on one full batch and one of the last batch's size: torch.compile meets both shapes.
    run(paths[: s.batch_size + len(paths) % s.batch_size])
    return _timed(lambda: run(paths), len(paths), predictor.device)


def _train(model, samples, s: BenchSettings, device, precision, optimizer) -> float:
    context = Distributed(0, 1, device)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    scaler = _scaler(device, precision)

    drop_last = len(samples) > s.batch_size  # as `train` does: every step sees a full batch

    def epoch(subset):
        dataset = ImageDataset(subset, s.image_size, train=True)
        loader = make_loader(dataset, s.batch_size, s.workers, device, drop_last=drop_last)
        train_epoch(model, loader, optimizer, scheduler, scaler, precision, context, len(loader), "bench")

    epoch(samples[: s.batch_size])  # warm-up
    trained = len(samples) // s.batch_size * s.batch_size if drop_last else len(samples)
    return _timed(lambda: epoch(samples), trained, device)


def machine(device: torch.device) -> dict:
    return {
        "cpu_count": os.cpu_count(),
        "device": str(device),
        "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "opencv": cv2.__version__,
        "onnxruntime": onnxruntime.__version__,
        "platform": platform.platform(),
    }


def run_bench(s: BenchSettings) -> dict:
    """Measure the four figures and return them with their ratios, the settings and the machine."""
    device = select_device(s.device)
    precision = resolve_precision(s.precision, device)
    decoder = "opencv" if s.train else resolve_decoder(s.decode, device)
    paths = sorted(make_corpus(s.corpus_root, s.images).glob("*.jpg"))
    samples = [(path, i % NUM_CLASSES) for i, path in enumerate(paths)]
    torch.manual_seed(0)
    model = Classifier(s.backbone, NUM_CLASSES)
    backend = "torch"
    if s.train:
        model = model.to(device).train()
        if device.type == "cuda":  # as `train` does
            model = model.to(memory_format=torch.channels_last)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
        model = torch.compile(model) if s.compile else model
    else:
        optimizer = None
        if s.compile and s.backend == "onnxruntime":
            raise ValueError("--compile compiles the PyTorch model: use it with --backend torch or auto")
        names = [f"class_{i}" for i in range(NUM_CLASSES)]
        backend = "torch" if s.compile else s.backend
        predictor = Predictor(model, names, Preprocessing(s.image_size), device, precision, backend)
        if s.compile:
            predictor.model = torch.compile(predictor.model)
        model, backend, precision = predictor.model, predictor.backend, predictor.precision

    figures = {
        "model_only": _model_only(model, s, device, precision, optimizer),
        "decode_only": _decode_only(samples, s, device, decoder),
        "naive": _naive(paths, s, device, s.train),
        "project": _train(model, samples, s, device, precision, optimizer)
        if s.train
        else _predict(predictor, paths, s),
    }
    ceiling = min(figures["model_only"], figures["decode_only"])
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in vars(s).items()}
    return {
        "mode": "train" if s.train else "predict",
        "images_per_second": {name: round(value, 2) for name, value in figures.items()},
        "ratios": {
            "project_vs_naive": round(figures["project"] / figures["naive"], 3),
            "project_vs_ceiling": round(figures["project"] / ceiling, 3),
        },
        "settings": {**settings, "precision": precision, "backend": backend, "decode": decoder},
        "machine": machine(device),
    }
