"""Fixtures of the observability tests: an API server with everything on, exercised once by real
requests, and in-process apps for the cases one server cannot show.

The session runs with observability off (the extension's test environment, so that the core's
tests see the app the core builds); these fixtures switch each part on explicitly.
"""

import json
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from prometheus_client.parser import text_string_to_metric_families

from {{ cookiecutter.package_name }}.client import wait_until_ready

PACKAGE = "{{ cookiecutter.package_name }}"
SECRET = "Bearer never-log-this-token"


def drift_report(drift: bool) -> dict:
    """A report shaped like the mlops tier's `drift --out`."""
    features = {
        name: {
            "ks_statistic": 0.5 if drift and name == "brightness" else 0.1,
            "p_value": 0.3,
            "psi": psi,
            "drift": drift and name == "brightness",
        }
        for name, psi in (("width", 0.0), ("brightness", 0.8 if drift else 0.05), ("confidence", 0.1))
    }
    return {"drift": drift, "drifted_features": ["brightness"] if drift else [], "features": features}


def samples(text: str) -> list:
    """Every sample of a Prometheus text exposition."""
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples]


def value(text: str, name: str, **labels: str) -> float:
    found = [s.value for s in samples(text) if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]
    assert found, f"no sample {name} {labels}"
    return sum(found)


def post(url: str, data: bytes, content_type: str = "image/jpeg", headers: dict | None = None) -> tuple[int, dict]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="upload.jpg"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        url, body, {"Content-Type": f"multipart/form-data; boundary={boundary}", **(headers or {})}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture(scope="session")
def image_bytes(demo_data) -> bytes:
    return next((demo_data / "val" / "circle").glob("*.jpg")).read_bytes()


@pytest.fixture(scope="session")
def exercised(trained_checkpoint, package_env, image_bytes, tmp_path_factory):
    """The API as its container runs it (`uvicorn --factory`, settings from the environment) with
    metrics, JSON logs, micro-batching and a drift report, after a known set of requests. Holds the
    /metrics text scraped after them and the log lines the server wrote."""
    folder = tmp_path_factory.mktemp("observed")
    (folder / "drift.json").write_text(json.dumps(drift_report(drift=True)))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **package_env,
        "MODEL_PATH": str(trained_checkpoint),
        "DEVICE": "cpu",
        "METRICS_ENABLED": "true",
        "LOG_FORMAT": "json",
        "DRIFT_REPORT": str(folder / "drift.json"),
        "MAX_BATCH_SIZE": "8",
        "BATCH_WAIT_MS": "30",
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", f"{PACKAGE}.api.app:app_from_env", "--port", str(port)]
    log = folder / "server.log"
    with open(log, "wb") as stderr:
        server = subprocess.Popen(command, env=env, stderr=stderr, stdout=stderr)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, timeout=120)
        predict = f"{base}/v1/predict"
        ids = [f"req-{i}" for i in range(12)]
        with ThreadPoolExecutor(6) as pool:  # concurrent: they share forward passes
            answers = list(pool.map(lambda i: post(predict, image_bytes, headers={"X-Request-ID": i}), ids))
        assert [status for status, _ in answers] == [200] * 12
        unsupported = post(predict, b"plain text", "text/plain", {"Authorization": SECRET})
        missing = get(f"{base}/nowhere")
        anonymous = post(predict, image_bytes)
        metrics = get(f"{base}/metrics")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return SimpleNamespace(
        metrics=metrics[1],
        metrics_status=metrics[0],
        lines=log.read_text().splitlines(),
        ids=ids,
        answers=answers,
        unsupported=unsupported,
        missing=missing,
        anonymous=anonymous,
        predictions=13,
    )


@pytest.fixture(scope="session")
def predictor(trained_checkpoint):
    from {{ cookiecutter.package_name }}.inference.predict import Predictor

    return Predictor.from_checkpoint(trained_checkpoint, "cpu")


@pytest.fixture
def observed_app(predictor, trained_checkpoint):
    """`observed_app(**options)`: an in-process app over the shared model, metrics on, text logs."""
    from {{ cookiecutter.package_name }}.api.app import create_app

    def make(**options):
        return create_app(
            checkpoint=trained_checkpoint, predictor=predictor, **{"metrics": True, "log_format": "text", **options}
        )

    return make


@pytest.fixture
def collector():
    """A stand-in OTLP/HTTP collector on a free port: records the body of every POST to /v1/traces."""
    import http.server

    received: list[bytes] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.path == "/v1/traces":
                received.append(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_address[1]}", received=received)
    server.shutdown()


@pytest.fixture(scope="session")
def scrape():
    return SimpleNamespace(samples=samples, value=value, drift_report=drift_report, post=post, get=get, secret=SECRET)
