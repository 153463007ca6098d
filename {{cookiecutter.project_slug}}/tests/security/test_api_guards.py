"""The API's guards: API keys on /v1 (probes open), rotation and revocation, rate limits with
Retry-After, CORS, security headers, the request-time limit, upload limits, and no secret in logs."""

import ast
import logging
import pickle
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}.api.app import create_app
from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.inference.predict import Predictor
from {{ cookiecutter.package_name }}.models.checkpoint import CheckpointError, load_checkpoint
from {{ cookiecutter.package_name }}.security.keys import entry_for, new_key

KEY_A, KEY_B = new_key(), new_key()
ENTRY_A, ENTRY_B = entry_for(KEY_A, "client-a"), entry_for(KEY_B, "client-b")
SOURCE = Path(__file__).resolve().parents[2] / "src" / "{{ cookiecutter.package_name }}"


@pytest.fixture(scope="module")
def predictor(trained_checkpoint):
    return Predictor.from_checkpoint(trained_checkpoint, "cpu")


def png(seed: int = 0, size: int = 32) -> bytes:
    image = np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)
    return cv2.imencode(".png", image)[1].tobytes()


def upload(name: str = "x.png", data: bytes | None = None) -> dict:
    return {"file": (name, png() if data is None else data, "image/png")}


def serve(predictor, **options) -> TestClient:
    return TestClient(create_app(predictor=predictor, **options))


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "message"} and body["code"] == code
    return body


def test_without_a_key_v1_answers_401_with_the_error_body_and_the_probes_stay_open(predictor):
    with serve(predictor, api_keys=(ENTRY_A,)) as client:
        assert_error(client.post("/v1/predict", files=upload()), 401, "missing_api_key")
        assert client.get("/health").status_code == 200
        assert client.get("/ready").status_code == 200
        refused = client.post("/v1/predict", files=upload(), headers={"X-API-Key": "not-the-key"})
        assert_error(refused, 401, "invalid_api_key")
        assert refused.headers["WWW-Authenticate"] == 'ApiKey header="X-API-Key"'
        assert client.post("/v1/predict", files=upload(), headers={"X-API-Key": KEY_A}).status_code == 200


def test_two_keys_work_at_once_and_a_key_removed_from_the_file_is_refused_at_once(predictor, tmp_path):
    keys_file = tmp_path / "api-keys"
    keys_file.write_text(f"# rotation: b replaces a\n{ENTRY_A}\n{ENTRY_B}\n")
    with serve(predictor, api_keys_file=keys_file) as client:
        for key in (KEY_A, KEY_B):
            assert client.post("/v1/predict", files=upload(), headers={"X-API-Key": key}).status_code == 200
        time.sleep(0.01)  # a new modification time, as a secret update gives
        keys_file.write_text(f"{ENTRY_B}\n")
        assert_error(client.post("/v1/predict", files=upload(), headers={"X-API-Key": KEY_A}), 401, "invalid_api_key")
        assert client.post("/v1/predict", files=upload(), headers={"X-API-Key": KEY_B}).status_code == 200


def test_an_unreadable_or_empty_keys_file_stops_the_app_instead_of_opening_it(predictor, tmp_path):
    with pytest.raises(Exception, match="no such file|cannot read"):
        create_app(predictor=predictor, api_keys_file=tmp_path / "missing")
    (tmp_path / "empty").write_text("# no keys yet\n")
    with pytest.raises(Exception, match="holds no key"):
        create_app(predictor=predictor, api_keys_file=tmp_path / "empty")


def test_a_plain_key_given_where_a_hash_belongs_is_refused_without_being_repeated(predictor):
    with pytest.raises(Exception) as refused:
        create_app(predictor=predictor, api_keys=(KEY_A,))
    assert KEY_A not in str(refused.value) and "store hashes" in str(refused.value)


def test_the_rate_limit_answers_429_with_retry_after_per_key(predictor):
    with serve(predictor, api_keys=(ENTRY_A, ENTRY_B), rate_limit="2/minute") as client:
        a = {"X-API-Key": KEY_A}
        first = client.post("/v1/predict", files=upload(), headers=a)
        assert first.status_code == 200 and first.headers["X-RateLimit-Remaining"] == "1"
        assert client.post("/v1/predict", files=upload(), headers=a).status_code == 200
        limited = client.post("/v1/predict", files=upload(), headers=a)
        assert_error(limited, 429, "rate_limited")
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        assert client.post("/v1/predict", files=upload(), headers={"X-API-Key": KEY_B}).status_code == 200
        assert client.get("/health").status_code == 200, "probes are never limited"


def test_without_keys_the_rate_limit_counts_per_client_address(predictor):
    with serve(predictor, rate_limit="1/minute") as client:
        assert client.post("/v1/predict", files=upload()).status_code == 200
        assert_error(client.post("/v1/predict", files=upload()), 429, "rate_limited")


def test_answers_carry_security_headers_and_v1_answers_are_not_cached(predictor):
    with serve(predictor, api_keys=(ENTRY_A,)) as client:
        answer = client.post("/v1/predict", files=upload(), headers={"X-API-Key": KEY_A})
        health = client.get("/health")
        refused = client.post("/v1/predict", files=upload())
    for response in (answer, health, refused):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert answer.headers["Cache-Control"] == "no-store" and refused.headers["Cache-Control"] == "no-store"


def test_a_response_that_sets_its_own_policy_keeps_it_and_the_others_get_the_strict_one():
    """The web page sets a policy that lets it load its scripts; JSON answers keep `default-src 'none'`."""
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    from {{ cookiecutter.package_name }}.security.middleware import SecurityHeaders

    app = FastAPI()
    app.get("/page")(lambda: HTMLResponse("<p>page</p>", headers={"Content-Security-Policy": "default-src 'self'"}))
    app.get("/data")(lambda: {"answer": 1})
    app.add_middleware(SecurityHeaders)
    client = TestClient(app)
    assert client.get("/page").headers.get_list("content-security-policy") == ["default-src 'self'"]
    assert client.get("/data").headers["content-security-policy"].startswith("default-src 'none'")


def test_a_request_slower_than_the_limit_gets_503_at_the_deadline(predictor, monkeypatch):
    real = predictor.predict_arrays

    def slow(images, k=3):
        time.sleep(1.5)
        return real(images, k)

    monkeypatch.setattr(predictor, "predict_arrays", slow)
    with serve(predictor, request_timeout_s=0.3, max_batch_size=1) as client:
        started = time.monotonic()
        assert_error(client.post("/v1/predict", files=upload()), 503, "request_timeout")
        assert time.monotonic() - started < 1.4, "answered at the deadline, not when the work ended"
        assert client.get("/health").status_code == 200


def test_a_preflight_from_an_unlisted_origin_is_refused_and_a_listed_one_passes_without_a_key(predictor):
    preflight = {"Access-Control-Request-Method": "POST"}
    with serve(predictor, api_keys=(ENTRY_A,), cors_origins=("https://app.example.com",)) as client:
        evil = client.options("/v1/predict", headers={**preflight, "Origin": "https://evil.example"})
        good = client.options("/v1/predict", headers={**preflight, "Origin": "https://app.example.com"})
        refused = client.post("/v1/predict", files=upload(), headers={"Origin": "https://app.example.com"})
    assert evil.status_code == 400 and "access-control-allow-origin" not in evil.headers
    assert good.status_code == 200 and good.headers["access-control-allow-origin"] == "https://app.example.com"
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == "https://app.example.com", "a browser can read the 401"


def test_uploads_over_the_size_limit_are_refused_with_413(predictor):
    with serve(predictor, max_upload_bytes=1000) as client:
        assert_error(client.post("/v1/predict", files=upload(data=png(size=256))), 413, "upload_too_large")


def test_an_image_whose_header_claims_too_many_pixels_is_refused_before_decoding(predictor):
    big = cv2.imencode(".png", np.zeros((300, 300, 3), np.uint8))[1].tobytes()
    with serve(predictor, max_image_pixels=10_000) as client:
        response = client.post("/v1/predict", files=upload(data=big))
    assert response.status_code in (413, 422) and response.json()["code"] == "image_too_large"


def test_a_path_traversal_file_name_never_touches_the_filesystem(predictor, tmp_path):
    target = tmp_path / "pwned.png"
    name = "../" * 12 + str(target).lstrip("/")
    opened = []
    active = [True]

    def audit(event, args):
        if active[0] and event == "open" and args and "pwned" in str(args[0]):
            opened.append(args[0])

    sys.addaudithook(audit)  # hooks cannot be removed: this one turns itself off below
    try:
        with serve(predictor) as client:
            response = client.post("/v1/predict", files=upload(name=name))
    finally:
        active[0] = False
    assert response.status_code == 200 and response.json()["filename"] == name
    assert opened == [] and not target.exists()


def test_secrets_never_reach_the_logs(predictor, tmp_path, caplog):
    keys_file = tmp_path / "keys"
    keys_file.write_text(ENTRY_A + "\n")
    caplog.set_level(logging.DEBUG)
    with serve(predictor, api_keys_file=keys_file, rate_limit="1/minute") as client:
        client.post("/v1/predict", files=upload(), headers={"X-API-Key": KEY_A})
        client.post("/v1/predict", files=upload(), headers={"X-API-Key": KEY_A})  # rate limited
        client.post("/v1/predict", files=upload(), headers={"X-API-Key": KEY_B})  # refused
    assert "client-a" in caplog.text, "the key's name is what the logs show"
    for secret in (KEY_A, KEY_B, ENTRY_A.split(":")[1]):
        assert secret not in caplog.text


def test_a_crafted_pickle_checkpoint_is_refused_without_running_its_code(tmp_path, capsys):
    marker = tmp_path / "code-ran"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    evil = tmp_path / "evil.pt"
    torch.save({"model": Payload(), "class_names": ["a"], "config": {}}, evil)
    with pytest.raises(CheckpointError, match="refused"):
        load_checkpoint(evil)
    with pytest.raises(SystemExit) as stopped:
        main(["serve", "--checkpoint", str(evil), "--device", "cpu"])
    assert stopped.value.code == 2 and "refused" in capsys.readouterr().err
    assert not marker.exists()
    assert pickle.loads(pickle.dumps(Payload())) is None and marker.exists(), "the payload is live: it does run"


def test_every_torch_load_in_the_package_reads_weights_only():
    loads, offences = 0, []
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "torch.load":
                loads += 1
                flag = next((k.value for k in node.keywords if k.arg == "weights_only"), None)
                if not (isinstance(flag, ast.Constant) and flag.value is True):
                    offences.append(f"{path.relative_to(SOURCE)}:{node.lineno}")
    assert loads > 0, "the walk finds the checkpoint loads"
    assert offences == [], "torch.load without weights_only=True"
