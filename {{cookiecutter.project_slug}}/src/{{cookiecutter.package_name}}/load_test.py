"""Load the running API with a fixed number of requests in flight; report throughput and latency.

`bench` measures the model in one process; this measures what a client of `serve` sees: HTTP,
multipart parsing, decoding and inference, with `concurrency` requests always in flight.
"""

import asyncio
import logging
import mimetypes
import time
from pathlib import Path

import cv2
import httpx
import numpy as np

from .client import PREDICT_PATH, wait_until_ready

# Uncounted requests first: connections are opened and the server's first-call costs are paid.
WARMUP_REQUESTS = 4


def synthetic_jpeg(seed: int = 0, width: int = 500, height: int = 375) -> bytes:
    """A photo-sized JPEG (smooth colour plus grain, quality 90): realistic upload size and decode cost."""
    rng = np.random.default_rng(seed)
    image = cv2.resize(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8), (width, height), cv2.INTER_CUBIC)
    image = np.clip(image + rng.normal(0, 12, image.shape), 0, 255).astype(np.uint8)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:
        raise RuntimeError("OpenCV could not encode the synthetic JPEG")
    return encoded.tobytes()


def image_upload(path: Path | None) -> tuple[bytes, str]:
    """The bytes and content type to send: the file at `path`, or the synthetic JPEG when None."""
    if path is None:
        return synthetic_jpeg(), "image/jpeg"
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no image file at {path}")
    return path.read_bytes(), mimetypes.guess_type(path.name)[0] or "image/jpeg"


def _check_counts(concurrency: int, requests: int) -> None:
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    if requests < 1:
        raise ValueError(f"requests must be at least 1, got {requests}")


async def _send(clients: list[httpx.AsyncClient], count: int, upload: dict) -> tuple[list[float], int]:
    """`count` requests from one worker per client, each sending the next as soon as its last is answered.

    Returns every request's latency in seconds and how many were not answered 200.
    """
    latencies: list[float] = []
    errors = 0
    taken = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal taken, errors
        while taken < count:
            taken += 1  # no await between the check and the increment: one event loop, no race
            start = time.perf_counter()
            try:
                response = await client.post(PREDICT_PATH, files=upload)
                failed = response.status_code != 200
            except httpx.TransportError:  # refused, reset or timed out: a failed request, not a crash
                failed = True
            latencies.append(time.perf_counter() - start)
            if failed:
                errors += 1

    await asyncio.gather(*(worker(client) for client in clients))
    return latencies, errors


async def _run(base_url: str, image: bytes, concurrency: int, requests: int, content_type: str, timeout: float):
    upload = {"file": ("load.jpg", image, content_type)}
    # A client, so a connection, per worker: one shared httpx pool spends time quadratic in the
    # requests queued on it, and with 32 workers kept only a handful in flight at the server.
    clients = [httpx.AsyncClient(base_url=base_url, timeout=timeout) for _ in range(concurrency)]
    try:
        await _send(clients, max(WARMUP_REQUESTS, concurrency), upload)  # every worker opens its connection
        start = time.perf_counter()
        latencies, errors = await _send(clients, requests, upload)
        elapsed = time.perf_counter() - start
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))
    return latencies, errors, elapsed


def run_load(
    base_url: str,
    image: bytes,
    concurrency: int,
    requests: int,
    content_type: str = "image/jpeg",
    timeout: float = 60,
) -> dict:
    """POST `image` to `/v1/predict` `requests` times with `concurrency` in flight, after a short warm-up.

    Latencies cover every counted request, answered 200 or not; `errors` counts the others.
    """
    _check_counts(concurrency, requests)
    # httpx logs every request at INFO: a flood on stderr, and client CPU spent inside the timed phase.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    latencies, errors, elapsed = asyncio.run(_run(base_url, image, concurrency, requests, content_type, timeout))
    p50, p90, p99 = np.percentile(np.array(latencies) * 1000, [50, 90, 99])
    return {
        "concurrency": concurrency,
        "requests": len(latencies),
        "errors": errors,
        "throughput_rps": round(len(latencies) / elapsed, 2),
        "latency_ms": {
            "p50": round(float(p50), 2),
            "p90": round(float(p90), 2),
            "p99": round(float(p99), 2),
            "max": round(max(latencies) * 1000, 2),
        },
    }


def load_test(
    base_url: str,
    image: bytes,
    concurrencies: tuple[int, ...],
    requests: int,
    content_type: str = "image/jpeg",
    ready_timeout: float = 60,
) -> dict:
    """Wait for `/ready`, then one `run_load` per concurrency. Every setting is checked before anything is sent."""
    for concurrency in concurrencies:
        _check_counts(concurrency, requests)
    try:
        wait_until_ready(base_url, ready_timeout)
    except TimeoutError as error:  # a ValueError, so the command line ends with one line, not a traceback
        raise ValueError(f"{error}: start `serve` first, or check the URL") from None
    runs = [run_load(base_url, image, concurrency, requests, content_type) for concurrency in concurrencies]
    return {"url": base_url, "runs": runs}
