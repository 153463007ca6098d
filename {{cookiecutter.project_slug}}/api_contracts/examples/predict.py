"""Classify one image from Python, the way a client of the API would (needs only httpx).

    python api_contracts/examples/predict.py IMAGE [BASE_URL]

BASE_URL defaults to $API_URL, then http://127.0.0.1:8000. Exits 1 with the API's error code and
message when it refuses the request.
"""

import mimetypes
import os
import sys
import uuid
from pathlib import Path

import httpx


def classify(base_url: str, image: Path, top_k: int = 3) -> httpx.Response:
    content_type = mimetypes.guess_type(image.name)[0] or "application/octet-stream"
    return httpx.post(
        f"{base_url.rstrip('/')}/v1/predict",
        params={"top_k": top_k},
        files={"file": (image.name, image.read_bytes(), content_type)},
        headers={"X-Request-ID": f"python-example-{uuid.uuid4().hex[:8]}"},
        timeout=30,
    )


def main(argv: list[str]) -> int:
    if not 1 <= len(argv) <= 2:
        print(__doc__, file=sys.stderr)
        return 2
    base_url = argv[1] if len(argv) == 2 else os.environ.get("API_URL", "http://127.0.0.1:8000")
    response = classify(base_url, Path(argv[0]))
    if response.is_error:
        error = response.json()
        print(f"HTTP {response.status_code} {error['code']}: {error['message']}", file=sys.stderr)
        return 1
    print(f"request {response.headers['X-Request-ID']}, answered by the {response.headers['X-Model-Variant']} model")
    for prediction in response.json()["predictions"]:
        print(f"{prediction['label']:>20}  {prediction['probability']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
