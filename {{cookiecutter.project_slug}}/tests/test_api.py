import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}.api.app import create_app
from {{ cookiecutter.package_name }}.api.client import predict_file


@pytest.fixture(scope="module")
def client(trained_checkpoint):
    with TestClient(create_app(trained_checkpoint, max_upload_bytes=200_000, device="cpu")) as test_client:
        yield test_client


def jpeg_bytes(size: int = 40) -> bytes:
    image = np.random.default_rng(0).integers(0, 255, (size, size, 3), dtype=np.uint8)
    return cv2.imencode(".jpg", image)[1].tobytes()


def test_health_answers_before_the_model_is_loaded_and_ready_does_not(tmp_path):
    not_started = TestClient(create_app(tmp_path / "model.pt"))  # no `with`: startup has not run
    assert not_started.get("/health").json() == {"status": "ok"}
    assert not_started.get("/ready").status_code == 503
    assert not_started.post("/predict", files={"file": ("x.jpg", jpeg_bytes(), "image/jpeg")}).status_code == 503


def test_ready_lists_the_classes_once_the_model_is_loaded(client):
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json()["classes"] == ["circle", "cross", "square", "triangle"]


def test_predict_returns_top_k_labels_with_probabilities(client):
    response = client.post("/predict?top_k=2", files={"file": ("x.jpg", jpeg_bytes(), "image/jpeg")})
    assert response.status_code == 200
    body = response.json()
    assert body["filename"] == "x.jpg" and len(body["predictions"]) == 2
    assert {"label", "probability"} == set(body["predictions"][0])


@pytest.mark.parametrize(
    ("payload", "content_type", "status"),
    [
        (b"plain text", "text/plain", 415),
        (b"not an image at all", "image/png", 422),
        (b"\x00" * 300_000, "image/png", 413),
    ],
)
def test_bad_uploads_get_a_clear_4xx(client, payload, content_type, status):
    response = client.post("/predict", files={"file": ("f", payload, content_type)})
    assert response.status_code == status
    assert response.json()["detail"]


def test_missing_file_field_and_bad_top_k_are_validation_errors(client):
    assert client.post("/predict").status_code == 422
    response = client.post("/predict?top_k=0", files={"file": ("x.jpg", jpeg_bytes(), "image/jpeg")})
    assert response.status_code == 422


def test_the_real_server_answers_the_bundled_client(live_server, demo_data):
    image = next((demo_data / "val" / "cross").glob("*.jpg"))
    answer = predict_file(live_server, image, top_k=4)
    assert answer["filename"] == image.name
    assert sorted(p["label"] for p in answer["predictions"]) == ["circle", "cross", "square", "triangle"]
