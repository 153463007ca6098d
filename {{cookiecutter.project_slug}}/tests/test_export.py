import json

import numpy as np
import pytest
import torch

from {{ cookiecutter.package_name }}.inference import export as export_module
from {{ cookiecutter.package_name }}.inference.export import ExportError, export


def test_torchscript_export_matches_pytorch_and_records_the_input_contract(trained_checkpoint, tmp_path):
    info = export(trained_checkpoint, tmp_path, ("torchscript",))
    assert info["max_probability_gap"]["torchscript"] < 1e-4
    meta = json.loads((tmp_path / "export.json").read_text())
    assert meta["input"] == {"dtype": "uint8", "layout": "NCHW RGB", "height": 32, "width": 32}
    scripted = torch.jit.load(str(tmp_path / "model.ts"))
    assert scripted(torch.zeros(3, 3, 32, 32, dtype=torch.uint8)).shape == (3, 4)


def test_onnx_export_runs_in_onnxruntime_with_any_batch_size(trained_checkpoint, tmp_path):
    import onnxruntime

    info = export(trained_checkpoint, tmp_path, ("onnx",))
    assert info["max_probability_gap"]["onnx"] < 1e-4
    session = onnxruntime.InferenceSession(str(tmp_path / "model.onnx"), providers=["CPUExecutionProvider"])
    logits = session.run(None, {"images": np.zeros((5, 3, 32, 32), np.uint8)})[0]
    assert logits.shape == (5, 4)


def test_an_export_that_disagrees_with_pytorch_is_rejected(trained_checkpoint, tmp_path, monkeypatch):
    real = export_module._check_parity
    monkeypatch.setattr(
        export_module, "_check_parity", lambda name, ref, out, tol: real(name, ref, out + 5.0 * np.eye(*out.shape), tol)
    )
    with pytest.raises(ExportError, match="differs from PyTorch"):
        export(trained_checkpoint, tmp_path, ("torchscript",))


def test_unknown_format_is_an_error(trained_checkpoint, tmp_path):
    with pytest.raises(ExportError, match="unknown export formats"):
        export(trained_checkpoint, tmp_path, ("tflite",))
