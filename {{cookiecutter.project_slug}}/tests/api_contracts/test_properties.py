"""Property-based tests of the contract: schemathesis generates requests from the committed OpenAPI
document and sends them to the app, serving a tiny trained model, in-process.

Valid and invalid inputs alike must never cause a 5xx, and every answer must match the contract:
its status is documented, its body has the documented shape, its headers are there. The number
of examples is kept small so that the suite stays fast on a laptop CPU.
"""

from pathlib import Path

import cv2
import numpy as np
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from {{ cookiecutter.package_name }}.api.app import create_app

CONFIG = schemathesis.Config.from_dict({"generation": {"max-examples": 20, "mode": "all"}})
CONTRACT = Path(__file__).resolve().parents[2] / "api_contracts" / "openapi" / "v1" / "openapi.json"


def random_images(extension: str) -> st.SearchStrategy[bytes]:
    """Encoded images of random pixels and sizes, for uploads the contract declares as image/*."""

    def encode(seed: int, height: int, width: int) -> bytes:
        pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
        return cv2.imencode(extension, pixels)[1].tobytes()

    return st.builds(encode, st.integers(0, 2**32 - 1), st.integers(1, 64), st.integers(1, 64))


# Valid requests then carry real images and reach the model; without these, every generated
# upload would be refused before inference.
schemathesis.openapi.media_type("image/png", random_images(".png"))
schemathesis.openapi.media_type("image/jpeg", random_images(".jpg"))
schema = schemathesis.openapi.from_path(CONTRACT, config=CONFIG)


@pytest.fixture(scope="module")
def contract_app(trained_checkpoint):
    return create_app(trained_checkpoint, device="cpu")


@pytest.fixture(scope="module")
def client(trained_checkpoint):
    # An app of its own: schemathesis stops the lifespan of the app it tested after each test.
    with TestClient(create_app(trained_checkpoint, device="cpu")) as test_client:
        yield test_client


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_every_generated_request_gets_a_documented_answer_and_never_a_5xx(case, contract_app):
    case.call_and_validate(app=contract_app)


@given(payload=st.binary(max_size=2048).filter(lambda data: not data.startswith(b"\xff\xd8")))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_bytes_that_are_not_an_image_are_a_4xx_with_the_error_body(client, payload):
    response = client.post("/v1/predict", files={"file": ("upload.jpg", payload, "image/jpeg")})
    assert 400 <= response.status_code < 500
    assert set(response.json()) == {"code", "message"}


@given(data=random_images(".jpg"), keep=st.floats(0, 1, exclude_max=True))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_jpeg_cut_off_before_its_pixels_is_refused_as_undecodable(client, data, keep):
    start_of_scan = data.index(b"\xff\xda")  # everything before this marker is headers and tables
    truncated = data[: int(keep * start_of_scan)]
    response = client.post("/v1/predict", files={"file": ("broken.jpg", truncated, "image/jpeg")})
    # Fewer than the three bytes of the JPEG signature are no JPEG at all; more are a damaged one.
    expected = (415, "unsupported_media_type") if len(truncated) < 3 else (422, "undecodable_image")
    assert (response.status_code, response.json()["code"]) == expected
