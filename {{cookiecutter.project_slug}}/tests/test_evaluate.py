import json

import cv2
import numpy as np
import pytest

from {{ cookiecutter.package_name }}.inference.evaluate import evaluate_checkpoint
from {{ cookiecutter.package_name }}.settings import LoaderSettings
from {{ cookiecutter.package_name }}.training.metrics import summarize


def test_summary_computes_accuracy_and_per_class_precision_recall():
    matrix = np.array([[3, 1], [0, 4]])
    metrics = summarize(matrix, ["cat", "dog"])
    assert metrics["accuracy"] == pytest.approx(7 / 8)
    assert metrics["per_class"]["cat"] == {"precision": 1.0, "recall": 0.75, "support": 4}
    assert metrics["per_class"]["dog"]["precision"] == pytest.approx(0.8)


def test_a_class_never_predicted_has_zero_precision_not_an_error():
    metrics = summarize(np.array([[0, 2], [0, 2]]), ["a", "b"])
    assert metrics["per_class"]["a"]["precision"] == 0.0


def test_evaluate_writes_metrics_and_confusion_matrix_as_json_and_png(trained_checkpoint, demo_data, tmp_path):
    metrics = evaluate_checkpoint(
        trained_checkpoint, demo_data / "val", tmp_path, LoaderSettings(workers=0, device="cpu")
    )
    assert metrics["samples"] == 16
    saved = json.loads((tmp_path / "confusion_matrix.json").read_text())
    assert saved["labels"] == ["circle", "cross", "square", "triangle"]
    assert np.array(saved["matrix"]).sum() == 16
    assert json.loads((tmp_path / "metrics.json").read_text())["accuracy"] == metrics["accuracy"]
    png = cv2.imread(str(tmp_path / "confusion_matrix.png"))
    assert png is not None and png.shape[0] > 100 and png.shape[1] > 100
