"""Export a trained model to TorchScript and ONNX, and prove each export matches PyTorch.

Both exports take the same input as the model: NxCxHxW uint8 RGB, normalised inside the graph.
"""

import importlib.util
import logging
from pathlib import Path

import numpy as np
import torch

from ..data.preprocessing import Preprocessing
from ..errors import ProjectError
from ..models.checkpoint import load_classifier
from ..utils.atomic import atomic_write, atomic_write_json

log = logging.getLogger(__name__)
FORMATS = ("torchscript", "onnx")
# The ONNX exporter logs every graph pass at INFO; under the CLI's INFO logging that buries the output.
for _name in ("onnxscript", "onnx_ir"):
    logging.getLogger(_name).setLevel(logging.WARNING)


class ExportError(ProjectError, RuntimeError):
    """An export failed or its outputs differ from the PyTorch model's."""


def _check_parity(name: str, reference: torch.Tensor, exported: np.ndarray, tolerance: float) -> float:
    difference = float(np.abs(reference.softmax(1).numpy() - torch.from_numpy(exported).softmax(1).numpy()).max())
    if difference > tolerance:
        raise ExportError(f"{name} export differs from PyTorch: max probability gap {difference:.2e} > {tolerance:.0e}")
    return difference


def export_torchscript(model: torch.nn.Module, example: torch.Tensor, path: Path, tolerance: float) -> float:
    with torch.no_grad():
        traced = torch.jit.trace(model, example)
        atomic_write(path, lambda handle: torch.jit.save(traced, handle))
        check = example.flip(0)  # another batch than the one traced
        return _check_parity("TorchScript", model(check), torch.jit.load(str(path))(check).numpy(), tolerance)


def onnx_model_bytes(model: torch.nn.Module, example: torch.Tensor) -> bytes:
    """The model as a serialised ONNX graph with a dynamic batch dimension (opset chosen by torch)."""
    missing = [m for m in ("onnx", "onnxscript") if importlib.util.find_spec(m) is None]
    if missing:
        raise ExportError(f"ONNX export needs {', '.join(missing)}: pip install onnx onnxscript")
    try:
        program = torch.onnx.export(
            model.eval(),
            (example,),
            dynamo=True,
            verbose=False,
            input_names=["images"],
            output_names=["logits"],
            dynamic_shapes={"images": {0: torch.export.Dim("batch", min=1, max=4096)}},
        )
    except Exception as error:  # the exporter raises many types; callers need one
        raise ExportError(f"ONNX export failed: {error}") from error
    return program.model_proto.SerializeToString()


def export_onnx(model: torch.nn.Module, example: torch.Tensor, path: Path, tolerance: float) -> float:
    import onnxruntime

    graph = onnx_model_bytes(model, example)
    atomic_write(path, lambda handle: handle.write(graph))
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    check = example[:1]  # a batch size other than the one exported
    with torch.no_grad():
        expected = model(check)
    return _check_parity("ONNX", expected, session.run(None, {"images": check.numpy()})[0], tolerance)


def export(checkpoint: Path, out_dir: Path, formats: tuple[str, ...] = FORMATS, tolerance: float = 1e-4) -> dict:
    """Write model.ts / model.onnx plus export.json (classes, input size, parity gaps)."""
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ExportError(f"unknown export formats {unknown}; choose from {', '.join(FORMATS)}")
    model, state = load_classifier(checkpoint)
    size = Preprocessing.from_checkpoint(state).image_size
    example = torch.randint(0, 256, (2, 3, size, size), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    out_dir = Path(out_dir)
    exporters = {"torchscript": (export_torchscript, "model.ts"), "onnx": (export_onnx, "model.onnx")}
    gaps = {}
    for name in formats:
        function, filename = exporters[name]
        gaps[name] = function(model, example, out_dir / filename, tolerance)
        log.info("%s export written to %s (max probability gap %.1e)", name, out_dir / filename, gaps[name])
    info = {
        "class_names": state["class_names"],
        "input": {"dtype": "uint8", "layout": "NCHW RGB", "height": size, "width": size},
        "max_probability_gap": gaps,
    }
    atomic_write_json(out_dir / "export.json", info)
    return info
