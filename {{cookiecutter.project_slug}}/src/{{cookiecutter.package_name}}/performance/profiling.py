"""Where the time goes in `predict` and in a training step: torch.profiler traces under reports/.

Each run writes `<name>.trace.json`, a Chrome trace to open in a browser (https://ui.perfetto.dev or
chrome://tracing), and `<name>.ops.txt`, the operators sorted by their own CPU time. The model's
forward pass is labelled in the trace, so that a backend that is not PyTorch (ONNX Runtime on a
CPU) still shows as one block beside the decoding and the top-k around it. For a flame graph of the
Python code itself, see `performance/profiling/flamegraph.sh` (py-spy).
"""

from collections.abc import Sequence
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile, record_function

from ..config import Config
from ..data.dataset import ImageDataset, list_images, scan_image_folder
from ..data.loader import make_loader
from ..inference.predict import Predictor, predict_files
from ..models.classifier import Classifier
from ..settings import LoaderSettings
from ..training.distributed import Distributed
from ..training.train import train_epoch
from ..utils.device import resolve_precision, select_device
from . import PerformanceError

TOP_OPERATORS = 25


class Labelled:
    """Runs a model inside a named `record_function`, so its forward pass is one labelled block."""

    def __init__(self, model, label: str):
        self.model, self.label = model, label

    def eval(self) -> "Labelled":
        self.model.eval()
        return self

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        with record_function(self.label):
            return self.model(images)


def _activities(device: torch.device) -> list:
    return [ProfilerActivity.CPU, *([ProfilerActivity.CUDA] if device.type == "cuda" else [])]


def _write(prof, out_dir: Path, name: str, device: torch.device) -> dict:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    trace, table = out_dir / f"{name}.trace.json", out_dir / f"{name}.ops.txt"
    prof.export_chrome_trace(str(trace))
    averages = prof.key_averages()
    sort = "self_cuda_time_total" if device.type == "cuda" else "self_cpu_time_total"
    table.write_text(averages.table(sort_by=sort, row_limit=TOP_OPERATORS) + "\n")
    top = sorted(averages, key=lambda event: event.self_cpu_time_total, reverse=True)[:5]
    return {
        "trace": str(trace),
        "operators": str(table),
        "top_self_cpu_ms": {event.key: round(event.self_cpu_time_total / 1000, 2) for event in top},
    }


def profile_predict(
    checkpoint: str | Path, inputs: Sequence[Path], out_dir: Path, loader: LoaderSettings, batches: int
) -> dict:
    """Profile `predict` on the first `batches` batches of `inputs`, after one warm-up batch."""
    predictor = Predictor.from_checkpoint(checkpoint, loader.device, backend=loader.backend)
    paths = list_images(inputs)[: batches * loader.batch_size]
    if not paths:
        raise PerformanceError(f"no images found in {', '.join(map(str, inputs))}")
    predictor.model = Labelled(predictor.model, f"model forward ({predictor.backend})")
    predict_files(predictor, paths[: loader.batch_size], loader)  # warm-up: first-call costs stay out
    with profile(activities=_activities(predictor.device), record_shapes=True) as prof, record_function("predict"):
        predict_files(predictor, paths, loader)
    return {
        "target": "predict",
        "images": len(paths),
        "backend": predictor.backend,
        **_write(prof, out_dir, "predict", predictor.device),
    }


def profile_training(cfg: Config, out_dir: Path, steps: int) -> dict:
    """Profile `steps` optimizer steps of the configured model on the configured data, after one warm-up step."""
    device = select_device(cfg.train.device)
    precision = resolve_precision(cfg.train.precision, device)
    samples, names = scan_image_folder(Path(cfg.data.root) / "train")
    model = Classifier(cfg.model.backbone, len(names)).to(device).train()
    if device.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.train.lr, weight_decay=cfg.train.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    scaler = torch.amp.GradScaler(device.type, enabled=precision == "fp16")
    context = Distributed(0, 1, device)
    dataset = ImageDataset(samples, cfg.data.image_size, train=cfg.data.augment)
    drop_last = len(samples) > cfg.data.batch_size

    def run(count: int) -> None:
        loader = make_loader(dataset, cfg.data.batch_size, cfg.data.num_workers, device, drop_last=drop_last)
        train_epoch(model, loader, optimizer, scheduler, scaler, precision, context, count, "profile")

    run(1)
    with profile(activities=_activities(device), record_shapes=True) as prof, record_function("training steps"):
        run(steps)
    return {
        "target": "train",
        "steps": steps,
        "batch_size": cfg.data.batch_size,
        "precision": precision,
        **_write(prof, out_dir, "train_step", device),
    }
