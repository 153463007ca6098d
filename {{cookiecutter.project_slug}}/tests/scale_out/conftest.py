"""Fixtures of the scale-out tests: a folder of images with unreadable files among them, and
`predict`'s own answer for it, which every engine must reproduce."""

import json
import shutil
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.cli import main


@pytest.fixture(scope="session")
def image_tree(demo_data, tmp_path_factory) -> Path:
    """The demo images in nested folders, plus three files that cannot be predicted."""
    root = tmp_path_factory.mktemp("batch") / "images"
    shutil.copytree(demo_data / "train", root / "a")
    shutil.copytree(demo_data / "val", root / "b" / "nested")
    (root / "truncated.jpg").write_bytes((next((demo_data / "val" / "circle").glob("*.jpg"))).read_bytes()[:200])
    (root / "a" / "not-an-image.png").write_text("plain text")
    (root / "b" / "animation.gif").write_bytes(b"GIF89a" + bytes(20))
    return root


def predict_answer(inputs: list[str], checkpoint: Path, out: Path) -> dict:
    """`predict`'s JSON for `inputs`: {"predictions": {path: top-k}, "errors": {path: reason}}."""
    main(["predict", *inputs, "--checkpoint", str(checkpoint), "--out", str(out), "--workers", "0"])
    return json.loads(out.read_text())


@pytest.fixture(scope="session")
def predicted(image_tree, trained_checkpoint, tmp_path_factory) -> dict:
    return predict_answer([str(image_tree)], trained_checkpoint, tmp_path_factory.mktemp("predict") / "p.json")


def same_as_predict(results: dict[str, dict], answer: dict, tolerance: float = 1e-5) -> None:
    """Identical labels and unreadable files; probabilities within `tolerance`."""
    assert sorted(results) == sorted([*answer["predictions"], *answer["errors"]])
    for path, top in answer["predictions"].items():
        row = results[path]
        assert row["error"] is None, path
        assert row["labels"] == [item["label"] for item in top], path
        assert row["probabilities"] == pytest.approx([item["probability"] for item in top], abs=tolerance), path
    for path in answer["errors"]:
        assert results[path]["error"] and results[path]["labels"] == [], path


@pytest.fixture(scope="session")
def assert_same_as_predict():
    """`assert_same_as_predict(results, predict_answer)`: identical labels and unreadable files,
    probabilities within 1e-5."""
    return same_as_predict


@pytest.fixture(scope="session")
def run_predict():
    """`run_predict(inputs, checkpoint, out_json)`: `predict`'s JSON answer for `inputs`."""
    return predict_answer
