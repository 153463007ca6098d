"""A dependency-free client for the API, used by the demo and the deployment smoke check."""

import json
import mimetypes
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path


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


def predict_file(base_url: str, image: Path, top_k: int = 3, timeout: float = 30.0) -> dict:
    """POST one image file to `/predict` as multipart form data and return the JSON answer."""
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
    request = urllib.request.Request(
        f"{base_url}/predict?top_k={top_k}",
        data=body,
        method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)
