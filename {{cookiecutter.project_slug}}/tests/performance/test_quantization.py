"""INT8 quantization: a real ONNX Runtime quantization of the tiny model, the accuracy gate that
keeps or rejects it, and the quantized checkpoint loaded by predict, evaluate and serve."""

import json
import shutil

import cv2
import numpy as np
import onnx
import pytest
import torch
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }} import extensions
from {{ cookiecutter.package_name }}.api.app import create_app
from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.data.dataset import list_images
from {{ cookiecutter.package_name }}.inference.evaluate import evaluate_checkpoint
from {{ cookiecutter.package_name }}.inference.predict import Predictor, predict_files
from {{ cookiecutter.package_name }}.models.checkpoint import load_checkpoint, load_classifier, save_checkpoint
from {{ cookiecutter.package_name }}.performance import GRAPH_KEY, quantization
from {{ cookiecutter.package_name }}.settings import LoaderSettings

FAST = ["--calibration-images", "16", "--timing-batches", "1", "--batch-size", "8"]


@pytest.fixture(scope="module")
def agreed_data(trained_checkpoint, demo_data, tmp_path_factory):
    """The demo images, with each validation image filed under the label the fp32 model gives it:
    fp32 top-1 is exactly 1.0 there, so any loss of the INT8 graph shows as a drop."""
    root = tmp_path_factory.mktemp("agreed")
    shutil.copytree(demo_data / "train", root / "train")
    predictor = Predictor.from_checkpoint(trained_checkpoint, "cpu")
    answers = predict_files(predictor, [demo_data / "val"], LoaderSettings(workers=0), k=1).results
    for path, [top] in answers.items():
        target = root / "val" / top["label"] / f"{len(list(root.rglob('*.jpg')))}.jpg"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    for name in predictor.class_names:  # every class folder exists, even one no image was given
        (root / "val" / name).mkdir(parents=True, exist_ok=True)
    return root


@pytest.fixture(scope="module")
def quantized(trained_checkpoint, agreed_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("int8") / "best.int8.pt"
    # The gate's threshold is tested on its own below; here the graph must be kept whatever it scores.
    main(["quantize", "--checkpoint", str(trained_checkpoint), "--data", str(agreed_data), "--out", str(out),
          "--max-accuracy-drop", "100", *FAST])  # fmt: skip
    return out


def test_the_int8_graph_is_kept_in_a_checkpoint_with_its_report_beside_it(quantized):
    report = json.loads(quantized.with_suffix(".json").read_text())
    assert report["kept"] is True and report["output"] == str(quantized)
    assert report["top1_accuracy"]["fp32"] == 1.0  # by construction of the data
    assert report["accuracy_drop_points"] == pytest.approx((1.0 - report["top1_accuracy"]["int8"]) * 100, abs=0.01)
    assert report["speedup"] == pytest.approx(
        report["images_per_second"]["int8"] / report["images_per_second"]["fp32"], rel=0.01
    )
    assert report["calibration_images"] == 16
    state = load_checkpoint(quantized)
    assert state["quantization"]["kept"] is True and state[GRAPH_KEY].dtype == torch.uint8


def test_the_carried_graph_is_quantized_with_per_channel_qdq_nodes(quantized):
    graph = onnx.load_from_string(load_checkpoint(quantized)[GRAPH_KEY].numpy().tobytes())
    operators = {node.op_type for node in graph.graph.node}
    assert {"QuantizeLinear", "DequantizeLinear", "Conv"} <= operators
    int8_weights = [t for t in graph.graph.initializer if t.data_type == onnx.TensorProto.INT8]
    assert int8_weights, "the convolution weights are stored as int8"


def test_predict_on_a_cpu_runs_the_int8_graph_the_checkpoint_carries(quantized, trained_checkpoint, demo_data):
    predictor = Predictor.from_checkpoint(quantized, "cpu")
    assert predictor.backend == "onnxruntime"
    assert predictor.model.graph == load_checkpoint(quantized)[GRAPH_KEY].numpy().tobytes()
    plain = Predictor.from_checkpoint(trained_checkpoint, "cpu")
    assert plain.model.graph != predictor.model.graph
    results = predict_files(predictor, [demo_data / "val"], LoaderSettings(workers=0)).results
    assert len(results) == len(list_images([demo_data / "val"]))


def test_evaluate_scores_the_int8_checkpoint_as_the_gate_measured_it(quantized, agreed_data, tmp_path):
    report = json.loads(quantized.with_suffix(".json").read_text())
    metrics = evaluate_checkpoint(quantized, agreed_data / "val", tmp_path, LoaderSettings(workers=0, device="cpu"))
    assert metrics["accuracy"] == pytest.approx(report["top1_accuracy"]["int8"], abs=1e-4)


def test_the_pytorch_backend_runs_the_float_weights_of_a_quantized_checkpoint(quantized):
    predictor = Predictor.from_checkpoint(quantized, "cpu", backend="torch")
    assert isinstance(predictor.model, torch.nn.Module)
    image = np.random.default_rng(0).integers(0, 256, (40, 40, 3), dtype=np.uint8)
    assert len(predictor.predict_arrays([image], k=2)[0]) == 2


def test_serve_answers_with_the_int8_graph(quantized):
    image = np.random.default_rng(1).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    upload = {"file": ("x.png", cv2.imencode(".png", image)[1].tobytes(), "image/png")}
    with TestClient(create_app(quantized, device="cpu")) as client:
        response = client.post("/v1/predict", files=upload)
    assert response.status_code == 200, response.text
    assert len(response.json()["predictions"]) == 3


def test_checkpoints_without_an_int8_graph_are_exported_as_before(trained_checkpoint):
    _, state = load_classifier(trained_checkpoint)
    assert extensions.onnx_graph(state) is None


def test_a_graph_that_loses_accuracy_is_rejected_and_only_its_report_is_written(
    trained_checkpoint, agreed_data, tmp_path, monkeypatch
):
    """The quantizer is handed the fp32 graph of the model with its head negated: that graph picks the
    least likely class, so it is wrong on every image the fp32 model gets right (all of them here)."""
    model, _ = load_classifier(trained_checkpoint)
    head = [module for module in model.modules() if isinstance(module, torch.nn.Linear)][-1]
    with torch.no_grad():
        head.weight.neg_()
        head.bias.neg_()
    from {{ cookiecutter.package_name }}.inference.onnx_runtime import OnnxRuntimeModel

    inverted = OnnxRuntimeModel.from_module(model, 32).graph
    real = quantization.quantize_graph
    monkeypatch.setattr(quantization, "quantize_graph", lambda fp32, batches, s: real(inverted, batches, s))
    out = tmp_path / "rejected.int8.pt"
    with pytest.raises(SystemExit) as stopped:
        main(
            ["quantize", "--checkpoint", str(trained_checkpoint), "--data", str(agreed_data), "--out", str(out), *FAST]
        )
    assert stopped.value.code == 2
    assert not out.exists()
    report = json.loads(out.with_suffix(".json").read_text())
    assert report["kept"] is False and report["output"] is None
    assert report["accuracy_drop_points"] > 1.0 and report["max_accuracy_drop_points"] == 1.0


@pytest.mark.parametrize(
    ("fp32", "int8", "allowed", "kept"),
    [(0.90, 0.89, 1.0, True), (0.90, 0.8899, 1.0, False), (0.90, 0.95, 0.0, True), (0.5, 0.5, 0.0, True)],
)
def test_the_gate_keeps_a_graph_only_within_the_allowed_drop_in_points(fp32, int8, allowed, kept):
    assert quantization.passes_gate(fp32, int8, allowed) is kept


def test_a_negative_allowed_drop_is_refused_before_any_work(trained_checkpoint, demo_data, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["quantize", "--checkpoint", str(trained_checkpoint), "--data", str(demo_data), "--max-accuracy-drop=-1"])
    assert stopped.value.code == 2
    assert "max_accuracy_drop" in capsys.readouterr().err


def test_default_output_sits_beside_the_checkpoint():
    assert quantization.default_output("models/run/best.pt").as_posix() == "models/run/best.int8.pt"
    assert quantization.default_output("models:/shapes@production").as_posix() == "models/int8.pt"


def test_a_copy_of_a_quantized_checkpoint_saved_again_keeps_its_graph(quantized, tmp_path):
    state = load_checkpoint(quantized)
    save_checkpoint(state, tmp_path / "copy.pt")
    assert extensions.onnx_graph(load_checkpoint(tmp_path / "copy.pt")) == state[GRAPH_KEY].numpy().tobytes()
