import logging
import re

import cv2
import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}.api.app import create_app
from {{ cookiecutter.package_name }}.client import ApiClientError, predict_file
from {{ cookiecutter.package_name }}.inference.predict import Predictor, weights_version


@pytest.fixture(scope="module")
def client(trained_checkpoint):
    with TestClient(create_app(trained_checkpoint, max_upload_bytes=200_000, device="cpu")) as test_client:
        yield test_client


def jpeg_bytes(size: int = 40) -> bytes:
    image = np.random.default_rng(0).integers(0, 255, (size, size, 3), dtype=np.uint8)
    return cv2.imencode(".jpg", image)[1].tobytes()


def upload(payload: bytes | None = None, content_type: str = "image/jpeg") -> dict:
    return {"file": ("x.jpg", jpeg_bytes() if payload is None else payload, content_type)}


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "message"} and body["code"] == code and body["message"]
    return body


def test_health_answers_before_the_model_is_loaded_and_ready_does_not(tmp_path):
    not_started = TestClient(create_app(tmp_path / "model.pt"))  # no `with`: startup has not run
    assert not_started.get("/health").json() == {"status": "ok"}
    assert_error(not_started.get("/ready"), 503, "model_not_loaded")
    assert_error(not_started.post("/v1/predict", files=upload()), 503, "model_not_loaded")


def test_ready_names_the_model_and_lists_its_classes_once_it_is_loaded(client, trained_checkpoint):
    response = client.get("/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["classes"] == ["circle", "cross", "square", "triangle"] and body["device"] == "cpu"
    assert body["model"]["name"] == str(trained_checkpoint)
    assert re.fullmatch("[0-9a-f]{12}", body["model"]["version"])


def test_the_model_version_follows_the_weights_not_the_backend(trained_checkpoint):
    onnx = Predictor.from_checkpoint(trained_checkpoint, device="cpu", backend="onnxruntime")
    eager = Predictor.from_checkpoint(trained_checkpoint, device="cpu", backend="torch")
    assert onnx.version == eager.version
    with torch.no_grad():
        next(iter(eager.model.parameters())).add_(1.0)
    assert weights_version(eager.model) != onnx.version


def test_predict_under_v1_returns_top_k_labels_with_probabilities(client):
    response = client.post("/v1/predict?top_k=2", files=upload())
    assert response.status_code == 200
    body = response.json()
    assert body["filename"] == "x.jpg" and len(body["predictions"]) == 2
    assert {"label", "probability"} == set(body["predictions"][0])


def test_every_answer_carries_a_request_id_and_the_variant_that_answered(client):
    generated = client.post("/v1/predict", files=upload())
    assert len(generated.headers["X-Request-ID"]) == 32
    assert generated.headers["X-Model-Variant"] == "primary"
    echoed = client.post("/v1/predict", files=upload(), headers={"X-Request-ID": "order-1234"})
    assert echoed.headers["X-Request-ID"] == "order-1234"


def test_the_unversioned_predict_path_is_gone(client):
    assert_error(client.post("/predict", files=upload()), 404, "not_found")


@pytest.mark.parametrize(
    ("payload", "content_type", "status", "code"),
    [
        (b"plain text", "text/plain", 415, "unsupported_media_type"),
        (b"not an image at all", "image/png", 415, "unsupported_media_type"),
        (jpeg_bytes()[:60], "image/jpeg", 422, "undecodable_image"),
        (b"\x00" * 300_000, "image/png", 413, "upload_too_large"),
    ],
    ids=["text", "text-named-png", "truncated-jpeg", "too-large"],
)
def test_bad_uploads_get_a_clear_4xx_with_a_code(client, payload, content_type, status, code):
    assert_error(client.post("/v1/predict", files=upload(payload, content_type)), status, code)


@pytest.mark.parametrize("content_type", ["application/octet-stream", "text/plain", ""])
def test_an_image_is_known_by_its_bytes_whatever_content_type_the_client_sends(client, content_type):
    response = client.post("/v1/predict", files=upload(jpeg_bytes(), content_type))
    assert response.status_code == 200, response.text


def test_validation_errors_name_every_bad_field_in_the_message(client):
    body = assert_error(client.post("/v1/predict?top_k=0"), 422, "invalid_request")
    assert "query.top_k" in body["message"] and "body.file" in body["message"]


def test_a_wrong_method_is_a_405_in_the_same_error_shape(client):
    assert_error(client.get("/v1/predict"), 405, "method_not_allowed")


class BrokenPredictor:
    """Loads fine, then fails inside inference with a message that must not reach clients."""

    class_names = ["a", "b"]
    device = "cpu"

    def predict_arrays(self, images, k):
        raise RuntimeError("secret internal detail")


def test_an_unexpected_error_is_a_logged_500_that_reveals_nothing(caplog):
    app = create_app(predictor=BrokenPredictor(), max_batch_size=1)
    with TestClient(app) as broken, caplog.at_level(logging.ERROR):
        body = assert_error(broken.post("/v1/predict", files=upload()), 500, "internal_error")
    assert "secret" not in body["message"]
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "POST /v1/predict" in record.getMessage() and "secret internal detail" in str(record.exc_info[1])


def test_an_unknown_serve_option_is_refused_with_the_known_ones(tmp_path):
    with pytest.raises(ValueError, match=r"unknown serve options \['max_batch'\]; known: .*max_batch_size"):
        create_app(tmp_path / "primary.pt", max_batch=4)


def test_the_real_server_answers_the_bundled_client(live_server, demo_data):
    image = next((demo_data / "val" / "cross").glob("*.jpg"))
    answer = predict_file(live_server, image, top_k=4)
    assert answer["filename"] == image.name
    assert sorted(p["label"] for p in answer["predictions"]) == ["circle", "cross", "square", "triangle"]


def test_the_bundled_client_raises_the_api_error_code(live_server, tmp_path):
    fake = tmp_path / "notes.png"
    fake.write_text("words, not pixels")
    with pytest.raises(ApiClientError) as error:
        predict_file(live_server, fake)
    assert (error.value.status, error.value.code) == (415, "unsupported_media_type")
