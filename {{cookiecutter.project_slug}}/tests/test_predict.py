import csv
import json
import shutil

import numpy as np
import pytest

from {{ cookiecutter.package_name }}.data.image import load_image
from {{ cookiecutter.package_name }}.inference.predict import Predictor, predict_files, write_predictions
from {{ cookiecutter.package_name }}.settings import LoaderSettings


@pytest.fixture(scope="module")
def predictor(trained_checkpoint):
    return Predictor.from_checkpoint(trained_checkpoint, device="cpu")


@pytest.fixture
def folder_with_a_corrupt_file(demo_data, tmp_path):
    folder = shutil.copytree(demo_data / "val" / "circle", tmp_path / "images")
    (folder / "corrupt.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    return folder


def test_predictor_uses_the_class_names_saved_with_the_model(predictor):
    assert predictor.class_names == ["circle", "cross", "square", "triangle"]
    assert predictor.image_size == 32


def test_batch_prediction_lists_bad_files_and_keeps_going(predictor, folder_with_a_corrupt_file):
    predictions = predict_files(predictor, [folder_with_a_corrupt_file], LoaderSettings(batch_size=3, workers=2), k=2)
    good = sorted(str(p) for p in folder_with_a_corrupt_file.glob("0*.jpg"))
    assert sorted(predictions.results) == good
    assert list(predictions.errors) == [str(folder_with_a_corrupt_file / "corrupt.jpg")]
    for row in predictions.results.values():
        assert len(row) == 2 and row[0]["probability"] >= row[1]["probability"]
        assert sum(item["probability"] for item in row) <= 1.0 + 1e-6


def test_batched_files_and_in_memory_images_give_the_same_answer(predictor, demo_data):
    path = next((demo_data / "val" / "square").glob("*.jpg"))
    from_files = predict_files(predictor, [path], LoaderSettings(workers=0), k=4).results[str(path)]
    from_array = predictor.predict_arrays([load_image(path)], k=4)[0]
    assert [r["label"] for r in from_files] == [r["label"] for r in from_array]
    np.testing.assert_allclose(
        [r["probability"] for r in from_files], [r["probability"] for r in from_array], atol=1e-5
    )


def test_json_output_is_keyed_by_path_with_errors(predictor, folder_with_a_corrupt_file, tmp_path):
    predictions = predict_files(predictor, [folder_with_a_corrupt_file], LoaderSettings(workers=0))
    data = json.loads(write_predictions(predictions, tmp_path / "out.json").read_text())
    assert set(data) == {"predictions", "errors"}
    assert len(data["predictions"]) == 4 and len(data["errors"]) == 1


def test_csv_output_has_one_row_per_file_and_an_error_column(predictor, folder_with_a_corrupt_file, tmp_path):
    predictions = predict_files(predictor, [folder_with_a_corrupt_file], LoaderSettings(workers=0), k=3)
    rows = list(csv.DictReader(write_predictions(predictions, tmp_path / "out.csv").open()))
    assert len(rows) == 5
    assert list(rows[0])[:3] == ["path", "label_1", "probability_1"]
    assert [r["path"].endswith("corrupt.jpg") for r in rows if r["error"]] == [True]


def test_a_reference_no_installed_extension_resolves_names_the_ones_that_are_known():
    with pytest.raises(FileNotFoundError, match=r"no installed extension resolves nosuch:/ references \(known: "):
        Predictor.from_checkpoint("nosuch://classifier@production")
