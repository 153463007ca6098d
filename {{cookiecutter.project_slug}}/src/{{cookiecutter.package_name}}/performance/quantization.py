"""Post-training INT8 quantization of the exported ONNX graph, kept only behind an accuracy gate.

The fp32 graph is the one the ONNX Runtime backend runs (exported and checked against PyTorch);
ONNX Runtime's static quantizer inserts QuantizeLinear/DequantizeLinear pairs (QDQ) around every
convolution and matrix product, with activation ranges calibrated on training images read through
the project's own loader. Both graphs are then scored on the validation set and timed on the same
batches. The INT8 graph is kept only if its top-1 accuracy is at most `max_accuracy_drop` points
below the fp32 graph's: it is written into a copy of the checkpoint, which `predict`, `evaluate`
and `serve` load like any other (on a CPU they run the INT8 graph, on a GPU the fp32 weights).
"""

import logging
import random
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from ..data.dataset import scan_image_folder
from ..data.loader import eval_batches
from ..data.preprocessing import Preprocessing
from ..inference.onnx_runtime import OnnxRuntimeModel
from ..models.checkpoint import load_classifier, save_checkpoint
from ..utils.atomic import atomic_write_json
from . import GRAPH_KEY, PerformanceError
from .settings import QuantizeSettings

log = logging.getLogger(__name__)
CPU = torch.device("cpu")
ROUNDS = 3


def _batches(samples: list, image_size: int, batch_size: int):
    """uint8 NCHW batches with their labels, decoded and resized as `predict` does on a CPU."""
    for batch in eval_batches(samples, image_size, batch_size, 0, CPU, "opencv"):
        if batch.images is not None:
            yield batch.images, batch.labels


def calibration_sample(samples: list, count: int, seed: int = 0) -> list:
    """`count` training samples drawn at random (all of them when there are fewer), same seed, same draw."""
    if len(samples) <= count:
        return list(samples)
    return random.Random(seed).sample(samples, count)


def quantize_graph(fp32: bytes, calibration, s: QuantizeSettings) -> bytes:
    """The INT8 (QDQ) graph of `fp32`, with activation ranges from `calibration`'s batches."""
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quant_pre_process,
        quantize_static,
    )

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.batches = iter(calibration)

        def get_next(self):
            images = next(self.batches, None)
            return None if images is None else {"images": np.ascontiguousarray(images.numpy())}

    methods = {
        "minmax": CalibrationMethod.MinMax,
        "percentile": CalibrationMethod.Percentile,
        "entropy": CalibrationMethod.Entropy,
    }
    with tempfile.TemporaryDirectory(prefix="quantize-") as folder:
        source, prepared, quantized = (Path(folder) / name for name in ("fp32.onnx", "pre.onnx", "int8.onnx"))
        source.write_bytes(fp32)
        # Shape inference and graph optimisation first, as ONNX Runtime's quantization guide advises.
        quant_pre_process(str(source), str(prepared))
        quantize_static(
            str(prepared),
            str(quantized),
            Reader(),
            quant_format=QuantFormat.QDQ,
            per_channel=s.per_channel,
            reduce_range=s.reduce_range,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=methods[s.calibration_method],
        )
        return quantized.read_bytes()


def top1_accuracy(runtime: OnnxRuntimeModel, batches) -> float:
    correct = total = 0
    for images, labels in batches:
        correct += int((runtime(images).argmax(1) == labels).sum())
        total += len(labels)
    if total == 0:
        raise PerformanceError("no readable validation image to score the graphs on")
    return correct / total


def images_per_second(runtimes: dict[str, OnnxRuntimeModel], images: torch.Tensor, repeats: int) -> dict[str, float]:
    """Throughput of each runtime on one batch, run `repeats` times per round after a warm-up.

    The runtimes take turns over three rounds and each keeps its median: on a shared machine a
    neighbour's burst then slows both alike instead of whichever happened to run during it.
    """
    for runtime in runtimes.values():
        runtime(images)
    rounds: dict[str, list[float]] = {name: [] for name in runtimes}
    for _ in range(ROUNDS):
        for name, runtime in runtimes.items():
            started = time.perf_counter()
            for _ in range(repeats):
                runtime(images)
            rounds[name].append(repeats * len(images) / (time.perf_counter() - started))
    return {name: float(np.median(values)) for name, values in rounds.items()}


def lone_image_ms(runtime: OnnxRuntimeModel, image: torch.Tensor, repeats: int = 20) -> float:
    """Median latency of one image alone, the API's case when requests do not overlap."""
    runtime(image)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        runtime(image)
        times.append(time.perf_counter() - started)
    return float(np.median(times)) * 1000


def passes_gate(fp32_accuracy: float, int8_accuracy: float, max_drop_points: float) -> bool:
    """True when INT8 top-1 is at most `max_drop_points` points below fp32's (rounded to 1e-6 point)."""
    return round((fp32_accuracy - int8_accuracy) * 100, 6) <= max_drop_points


def default_output(checkpoint: str | Path) -> Path:
    """`models/run/best.pt` -> `models/run/best.int8.pt` (a reference such as `models:/...` -> `models/int8.pt`)."""
    path = Path(str(checkpoint))
    if path.suffix == ".pt" and ":" not in str(checkpoint):
        return path.with_suffix(".int8.pt")
    return Path("models") / "int8.pt"


def quantize_checkpoint(checkpoint: str | Path, data_root: Path, out: Path, s: QuantizeSettings) -> dict:
    """Quantize, score and time; write the INT8 checkpoint if the gate passes, the report either way.

    The report (JSON) goes beside `out` with the suffix `.json`. A rejected graph raises
    `PerformanceError` after the report is written, so that a pipeline stops there.
    """
    model, state = load_classifier(checkpoint)
    size = Preprocessing.from_checkpoint(state).image_size
    names = state["class_names"]
    train, _ = scan_image_folder(Path(data_root) / "train", names)
    val, _ = scan_image_folder(Path(data_root) / "val", names)
    fp32 = OnnxRuntimeModel.from_module(model, size)
    calibration = calibration_sample(train, s.calibration_images)
    log.info("calibrating on %d training images", len(calibration))
    started = time.perf_counter()
    int8_graph = quantize_graph(fp32.graph, (images for images, _ in _batches(calibration, size, s.batch_size)), s)
    quantize_seconds = time.perf_counter() - started
    int8 = OnnxRuntimeModel(int8_graph)

    accuracy = {
        name: top1_accuracy(runtime, _batches(val, size, s.batch_size))
        for name, runtime in (("fp32", fp32), ("int8", int8))
    }
    timing_batch = next(_batches(val, size, s.batch_size))[0]
    throughput = images_per_second({"fp32": fp32, "int8": int8}, timing_batch, s.timing_batches)
    lone = {name: lone_image_ms(runtime, timing_batch[:1]) for name, runtime in (("fp32", fp32), ("int8", int8))}
    drop = (accuracy["fp32"] - accuracy["int8"]) * 100
    kept = passes_gate(accuracy["fp32"], accuracy["int8"], s.max_accuracy_drop)
    report = {
        "checkpoint": str(checkpoint),
        "output": str(out) if kept else None,
        "kept": kept,
        "validation_images": len(val),
        "calibration_images": len(calibration),
        "top1_accuracy": {name: round(value, 4) for name, value in accuracy.items()},
        "accuracy_drop_points": round(drop, 2),
        "max_accuracy_drop_points": s.max_accuracy_drop,
        "images_per_second": {name: round(value, 2) for name, value in throughput.items()},
        "speedup": round(throughput["int8"] / throughput["fp32"], 3),
        "lone_image_ms": {name: round(value, 2) for name, value in lone.items()},
        "graph_bytes": {"fp32": len(fp32.graph), "int8": len(int8_graph)},
        "quantize_seconds": round(quantize_seconds, 1),
        "settings": {**vars(s), "image_size": size, "threads": torch.get_num_threads()},
    }
    report_path = Path(out).with_suffix(".json")
    if kept:
        graph = torch.frombuffer(bytearray(int8_graph), dtype=torch.uint8)
        save_checkpoint({**state, GRAPH_KEY: graph, "quantization": report}, Path(out))
    atomic_write_json(report_path, report)
    if not kept:
        raise PerformanceError(
            f"INT8 graph rejected: top-1 accuracy {accuracy['int8']:.4f} is {drop:.2f} points below fp32's "
            f"{accuracy['fp32']:.4f} (allowed: {s.max_accuracy_drop}); nothing written but the report {report_path}"
        )
    return report
