"""A dependency-free client for the API, used by the demo and the test fixtures."""

import json
import mimetypes
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

PREDICT_PATH = "/v1/predict"


class ApiClientError(RuntimeError):
    """The API refused a request; `status`, `code` and `message` come from its error body."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"HTTP {status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


def wait_until_ready(base_url: str, timeout: float = 60.0) -> dict:
    """Poll `/ready` until the model is loaded, or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{base_url}/ready", timeout=5) as response:
                return json.load(response)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{base_url} was not ready within {timeout:.0f}s") from None
            time.sleep(0.2)


def predict_file(
    base_url: str, image: Path, top_k: int = 3, timeout: float = 30.0, request_id: str | None = None
) -> dict:
    """POST one image file to `/v1/predict` as multipart form data and return the JSON answer.

    Raises `ApiClientError` with the API's error code and message when it answers 4xx or 5xx.
    """
    image = Path(image)
    boundary = uuid.uuid4().hex
    content_type = mimetypes.guess_type(image.name)[0] or "application/octet-stream"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{image.name}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        + image.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    if request_id:
        headers["X-Request-ID"] = request_id
    request = urllib.request.Request(
        f"{base_url}{PREDICT_PATH}?top_k={top_k}", data=body, method="POST", headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        try:
            answer = json.load(error)
            code, message = answer["code"], answer["message"]
        except (ValueError, KeyError, TypeError):
            code, message = "unknown", f"the answer was not the API's error body ({error.reason})"
        raise ApiClientError(error.code, code, message) from None
