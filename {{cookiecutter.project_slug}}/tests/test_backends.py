import logging

import numpy as np
import pytest
import torch

from {{ cookiecutter.package_name }}.data.image import load_image
from {{ cookiecutter.package_name }}.data.preprocessing import Preprocessing
from {{ cookiecutter.package_name }}.inference import onnx_runtime
from {{ cookiecutter.package_name }}.inference.export import ExportError
from {{ cookiecutter.package_name }}.inference.predict import Predictor, predict_files, resolve_backend
from {{ cookiecutter.package_name }}.models.checkpoint import load_classifier
from {{ cookiecutter.package_name }}.settings import LoaderSettings


@pytest.fixture(scope="module")
def val_images(demo_data):
    return sorted((demo_data / "val").rglob("*.jpg"))[:12]


def test_auto_picks_onnxruntime_on_a_cpu_and_pytorch_on_a_gpu():
    assert resolve_backend("auto", torch.device("cpu")) == "onnxruntime"
    assert resolve_backend("auto", torch.device("cuda")) == "torch"
    assert resolve_backend("torch", torch.device("cpu")) == "torch"


def test_onnxruntime_is_refused_on_a_gpu_and_unknown_backends_are_named():
    with pytest.raises(ValueError, match="runs on the CPU"):
        resolve_backend("onnxruntime", torch.device("cuda"))
    with pytest.raises(ValueError, match="auto, torch, onnxruntime"):
        resolve_backend("tensorrt", torch.device("cpu"))


def test_a_reduced_precision_on_a_cpu_means_pytorch_autocast():
    assert resolve_backend("auto", torch.device("cpu"), "bf16") == "torch"
    with pytest.raises(ValueError, match="runs in fp32, not bf16"):
        resolve_backend("onnxruntime", torch.device("cpu"), "bf16")


def test_both_backends_give_the_same_predictions(trained_checkpoint, val_images):
    runtime = Predictor.from_checkpoint(trained_checkpoint, "cpu")
    eager = Predictor.from_checkpoint(trained_checkpoint, "cpu", backend="torch")
    assert (runtime.backend, eager.backend) == ("onnxruntime", "torch")
    fast = predict_files(runtime, val_images, LoaderSettings(batch_size=5, workers=0), k=4).results
    slow = predict_files(eager, val_images, LoaderSettings(batch_size=5, workers=0), k=4).results
    assert fast.keys() == slow.keys() and len(fast) == len(val_images)
    for path in fast:
        assert [r["label"] for r in fast[path]] == [r["label"] for r in slow[path]]
        np.testing.assert_allclose(
            [r["probability"] for r in fast[path]], [r["probability"] for r in slow[path]], atol=1e-4
        )
    arrays = [load_image(path) for path in val_images[:3]]
    assert [row[0]["label"] for row in runtime.predict_arrays(arrays)] == [
        row[0]["label"] for row in eager.predict_arrays(arrays)
    ]


def test_the_exported_graph_is_cached_per_model_and_reused(trained_checkpoint, tmp_path, monkeypatch):
    monkeypatch.setenv("ONNX_CACHE_DIR", str(tmp_path))
    model, state = load_classifier(trained_checkpoint)
    Predictor(model, state["class_names"], Preprocessing(32), torch.device("cpu"))
    [cached] = tmp_path.glob("*.onnx")

    def no_export(*args):
        raise AssertionError("exported again although the graph is cached")

    monkeypatch.setattr(onnx_runtime, "onnx_model_bytes", no_export)
    Predictor(model, state["class_names"], Preprocessing(32), torch.device("cpu"))
    assert list(tmp_path.glob("*.onnx")) == [cached]

    with torch.no_grad():
        next(model.parameters()).add_(1.0)  # other weights: another graph
    monkeypatch.undo()
    monkeypatch.setenv("ONNX_CACHE_DIR", str(tmp_path))
    Predictor(model, state["class_names"], Preprocessing(32), torch.device("cpu"))
    assert len(list(tmp_path.glob("*.onnx"))) == 2


def test_auto_falls_back_to_pytorch_when_export_fails_and_an_explicit_choice_does_not(
    trained_checkpoint, tmp_path, monkeypatch, caplog
):
    monkeypatch.setenv("ONNX_CACHE_DIR", str(tmp_path))

    def broken_export(*args):
        raise ExportError("ONNX export failed: unsupported operator")

    monkeypatch.setattr(onnx_runtime, "onnx_model_bytes", broken_export)
    with caplog.at_level(logging.WARNING):
        predictor = Predictor.from_checkpoint(trained_checkpoint, "cpu")
    assert predictor.backend == "torch" and "unsupported operator" in caplog.text
    assert isinstance(predictor.model, torch.nn.Module)
    with pytest.raises(ExportError, match="unsupported operator"):
        Predictor.from_checkpoint(trained_checkpoint, "cpu", backend="onnxruntime")


def test_a_corrupt_cached_graph_is_replaced_not_served(trained_checkpoint, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("ONNX_CACHE_DIR", str(tmp_path))
    model, state = load_classifier(trained_checkpoint)
    Predictor(model, state["class_names"], Preprocessing(32), torch.device("cpu"))
    [cached] = tmp_path.glob("*.onnx")
    cached.write_bytes(b"half a graph")
    with caplog.at_level(logging.WARNING):
        predictor = Predictor(model, state["class_names"], Preprocessing(32), torch.device("cpu"))
    assert predictor.backend == "onnxruntime" and "discarding the cached ONNX graph" in caplog.text
    assert cached.read_bytes() != b"half a graph"


def test_a_graph_that_disagrees_with_pytorch_is_not_used(trained_checkpoint, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("ONNX_CACHE_DIR", str(tmp_path))
    model, state = load_classifier(trained_checkpoint)
    other, _ = load_classifier(trained_checkpoint)
    with torch.no_grad():
        for parameter in other.parameters():
            parameter.mul_(-1.0)
    wrong_graph = onnx_runtime.onnx_model_bytes(other, torch.zeros(2, 3, 32, 32, dtype=torch.uint8))
    monkeypatch.setattr(onnx_runtime, "onnx_model_bytes", lambda *args: wrong_graph)
    with caplog.at_level(logging.WARNING):
        predictor = Predictor(model, state["class_names"], Preprocessing(32), torch.device("cpu"))
    assert predictor.backend == "torch" and "differs from PyTorch" in caplog.text
    assert not list(tmp_path.glob("*.onnx"))
