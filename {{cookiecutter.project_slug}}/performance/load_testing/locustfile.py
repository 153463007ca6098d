"""Locust load test of the API: mixed image sizes and formats, a share of bad uploads, think time.

Run it with `performance/load_testing/run.sh SCENARIO URL` (headless, CSV under reports/load/), or
`locust -f performance/load_testing/locustfile.py --host URL` for the web UI. The scenario
(steady, spike, soak) comes from scenarios.yaml by LOAD_SCENARIO; the environment also sets:

    LOAD_TIME_SCALE   multiply every stage's duration (default 1)
    LOAD_THINK_TIME   "MIN,MAX" seconds a user waits between requests (default 0.5,2)
    LOAD_BAD_SHARE    share of deliberately bad uploads (default 0.05): they must get their 4xx
    API_KEY           sent in the API_KEY_HEADER header (default X-API-Key) when the API needs a key

A bad upload refused as one (413, 415 or 422) counts as a success; anything else unexpected (a
5xx, a 4xx for a good image, a 200 for garbage) counts as a failure, and locust then exits 1.
"""

import os
import random
from pathlib import Path

import cv2
import numpy as np
from locust import HttpUser, LoadTestShape, between, task

from {{ cookiecutter.package_name }}.performance.load_shapes import scenario, users_at

SCENARIOS = Path(__file__).with_name("scenarios.yaml")
THINK = tuple(float(value) for value in os.environ.get("LOAD_THINK_TIME", "0.5,2").split(","))
BAD_SHARE = float(os.environ.get("LOAD_BAD_SHARE", "0.05"))
TIME_SCALE = float(os.environ.get("LOAD_TIME_SCALE", "1"))
STAGES = scenario(SCENARIOS, os.environ.get("LOAD_SCENARIO", "steady"))
HEADERS = {os.environ.get("API_KEY_HEADER", "X-API-Key"): os.environ["API_KEY"]} if os.environ.get("API_KEY") else {}


def _photo(width: int, height: int, seed: int) -> np.ndarray:
    """Smooth colour fields plus grain: compresses like a photograph, unlike flat colour or noise."""
    rng = np.random.default_rng(seed)
    image = cv2.resize(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8), (width, height), cv2.INTER_CUBIC)
    return np.clip(image + rng.normal(0, 12, image.shape), 0, 255).astype(np.uint8)


def _encode(image: np.ndarray, extension: str) -> bytes:
    ok, encoded = cv2.imencode(extension, image)
    assert ok, extension
    return encoded.tobytes()


# (file name, bytes, content type): thumbnails to large photos, in the formats clients send.
GOOD = [
    (f"photo_{width}x{height}{extension}", _encode(_photo(width, height, i), extension), content_type)
    for i, (width, height) in enumerate([(64, 64), (320, 240), (640, 480), (1024, 768), (1600, 1200)])
    for extension, content_type in ((".jpg", "image/jpeg"), (".png", "image/png"), (".webp", "image/webp"))
]
# (file name, bytes, content type): uploads the API must refuse as such
BAD = [
    ("not_an_image.jpg", b"this is text, not a JPEG" * 8, "image/jpeg"),
    ("truncated.jpg", GOOD[3][1][: len(GOOD[3][1]) // 3], "image/jpeg"),
    ("notes.txt", b"plain text", "text/plain"),
]
REFUSALS = (413, 415, 422)


class ApiUser(HttpUser):
    wait_time = between(*THINK)

    @task
    def predict(self) -> None:
        bad = random.random() < BAD_SHARE
        name, data, content_type = random.choice(BAD if bad else GOOD)
        expected = REFUSALS if bad else (200,)
        label = "/v1/predict [bad upload]" if bad else "/v1/predict"
        files = {"file": (name, data, content_type)}
        with self.client.post("/v1/predict", files=files, headers=HEADERS, name=label, catch_response=True) as answer:
            if answer.status_code in expected:
                answer.success()
            else:
                answer.failure(f"{name}: expected {expected}, got {answer.status_code} {answer.text[:120]}")


class ScenarioShape(LoadTestShape):
    """The stages of LOAD_SCENARIO, stretched by LOAD_TIME_SCALE; the run stops after the last."""

    def tick(self):
        return users_at(STAGES, self.get_run_time(), TIME_SCALE)
