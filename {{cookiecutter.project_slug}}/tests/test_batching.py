import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}.api.app import create_app
from {{ cookiecutter.package_name }}.data.image import load_image
from {{ cookiecutter.package_name }}.inference.batching import MicroBatcher
from {{ cookiecutter.package_name }}.inference.predict import Predictor


class Recorder:
    """Doubles its input and remembers each batch size; the first call blocks until released, so
    the calls made meanwhile pile up in the queue as they would behind a busy model."""

    def __init__(self):
        self.sizes = []
        self.release = threading.Event()

    def __call__(self, images):
        if not self.sizes:
            self.release.wait(10)
        self.sizes.append(len(images))
        return images * 2


def call_concurrently(batcher, inputs, recorder):
    with ThreadPoolExecutor(len(inputs)) as pool:
        futures = [pool.submit(batcher, inputs[0])]
        time.sleep(0.2)  # the first call now holds the model
        futures += [pool.submit(batcher, x) for x in inputs[1:]]
        time.sleep(0.2)
        recorder.release.set()
        return [f.result(10) for f in futures]


def test_requests_queued_behind_a_busy_model_share_one_forward_pass_and_get_their_own_rows():
    recorder = Recorder()
    batcher = MicroBatcher(recorder, max_batch_size=16)
    inputs = [torch.full((1, 2), float(i)) for i in range(9)]
    outputs = call_concurrently(batcher, inputs, recorder)
    batcher.close()
    assert recorder.sizes == [1, 8]
    for x, y in zip(inputs, outputs, strict=True):
        assert torch.equal(y, x * 2)


def test_a_batch_never_exceeds_the_limit_and_multi_image_requests_stay_whole():
    recorder = Recorder()
    batcher = MicroBatcher(recorder, max_batch_size=4)
    inputs = [torch.ones(1, 2)] + [torch.full((3, 2), float(i)) for i in range(4)]
    outputs = call_concurrently(batcher, inputs, recorder)
    batcher.close()
    assert recorder.sizes[0] == 1 and sum(recorder.sizes) == 13 and max(recorder.sizes) <= 4
    assert all(torch.equal(y, x * 2) for x, y in zip(inputs, outputs, strict=True))


def test_a_batch_waits_for_late_requests_only_as_long_as_it_is_told():
    sizes = []
    batcher = MicroBatcher(lambda x: sizes.append(len(x)) or x, max_batch_size=8, max_wait_ms=300)
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(batcher, torch.ones(1, 1))
        time.sleep(0.05)
        second = pool.submit(batcher, torch.ones(1, 1))
        first.result(5), second.result(5)
    batcher.close()
    assert sizes == [2]


def test_a_failing_batch_fails_each_of_its_callers_and_the_next_batch_still_runs():
    calls = []

    def flaky(images):
        calls.append(len(images))
        if len(calls) == 1:
            raise RuntimeError("out of memory")
        return images

    batcher = MicroBatcher(flaky, max_batch_size=4)
    with pytest.raises(RuntimeError, match="out of memory"):
        batcher(torch.ones(1, 1))
    assert torch.equal(batcher(torch.ones(2, 1)), torch.ones(2, 1))
    batcher.close()
    with pytest.raises(RuntimeError, match="stopped"):
        batcher(torch.ones(1, 1))


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="max_batch_size"):
        MicroBatcher(lambda x: x, max_batch_size=0)
    with pytest.raises(ValueError, match="max_wait_ms"):
        MicroBatcher(lambda x: x, max_batch_size=2, max_wait_ms=-1)
    with pytest.raises(ValueError, match="max_batch_size"):
        create_app("model.pt", max_batch_size=0)


def test_a_batching_predictor_answers_each_caller_as_it_would_alone(trained_checkpoint, demo_data):
    images = [load_image(p) for p in sorted((demo_data / "val").rglob("*.jpg"))[:8]]
    predictor = Predictor.from_checkpoint(trained_checkpoint, "cpu")
    alone = [predictor.predict_arrays([image], k=2) for image in images]
    predictor.start_batching(max_batch_size=8, max_wait_ms=50)
    try:
        with ThreadPoolExecutor(8) as pool:
            together = list(pool.map(lambda image: predictor.predict_arrays([image], k=2), images))
    finally:
        predictor.stop_batching()
    for a, b in zip(alone, together, strict=True):
        assert [r["label"] for r in a[0]] == [r["label"] for r in b[0]]
        assert all(abs(x["probability"] - y["probability"]) < 1e-4 for x, y in zip(a[0], b[0], strict=True))


def test_the_api_batches_concurrent_requests_and_stops_its_batcher_on_shutdown(trained_checkpoint, demo_data):
    paths = sorted((demo_data / "val").rglob("*.jpg"))[:8]
    predictor = Predictor.from_checkpoint(trained_checkpoint, "cpu")
    sizes = []
    probabilities = predictor.probabilities
    predictor.probabilities = lambda images: sizes.append(len(images)) or probabilities(images)
    app = create_app(predictor=predictor, max_batch_size=8, batch_wait_ms=200)
    with TestClient(app) as client:
        assert predictor.batcher is not None

        def post(path):
            return client.post("/v1/predict", files={"file": (path.name, path.read_bytes(), "image/jpeg")})

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(post, paths))
    assert [a.status_code for a in answers] == [200] * 8
    assert max(sizes) > 1 and sum(sizes) == 8
    assert predictor.batcher is None


def test_closing_answers_what_is_queued_and_refuses_what_comes_later():
    recorder = Recorder()
    batcher = MicroBatcher(recorder, max_batch_size=4)
    with ThreadPoolExecutor(3) as pool:
        pool.submit(batcher, torch.ones(1, 1))
        time.sleep(0.2)  # the first call now holds the model
        queued = pool.submit(batcher, torch.full((1, 1), 3.0))
        time.sleep(0.2)
        closing = pool.submit(batcher.close)
        time.sleep(0.2)
        with pytest.raises(RuntimeError, match="stopped"):
            batcher(torch.ones(1, 1))
        recorder.release.set()
        assert torch.equal(queued.result(10), torch.full((1, 1), 6.0))
        closing.result(10)


def test_the_batcher_counts_the_images_of_each_batch_and_shows_its_queue_depth():
    recorder = Recorder()
    batcher = MicroBatcher(recorder, max_batch_size=16)
    inputs = [torch.full((1, 2), float(i)) for i in range(9)]
    with ThreadPoolExecutor(len(inputs)) as pool:
        futures = [pool.submit(batcher, inputs[0])]
        time.sleep(0.2)  # the first call now holds the model
        futures += [pool.submit(batcher, x) for x in inputs[1:]]
        time.sleep(0.2)
        assert batcher.queue_depth == 8
        recorder.release.set()
        for future in futures:
            future.result(10)
    batcher.close()
    assert batcher.batch_sizes == {1: 1, 8: 1} and batcher.queue_depth == 0
