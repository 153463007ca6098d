"""Micro-batching: concurrent requests share one forward pass instead of queueing for one each.

One thread owns the model. It takes the oldest waiting request, then gathers the ones queued
behind it until the batch holds `max_batch_size` images or `max_wait_ms` has passed since it
began gathering. With `max_wait_ms=0` it waits for nothing: a lone request runs at once, and under
load the requests that arrived during the previous forward pass form the next batch.
"""

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future

import torch

log = logging.getLogger(__name__)
_STOP = object()  # queued by close(); never None, which means "nothing held" below


class MicroBatcher:
    def __init__(self, run: Callable[[torch.Tensor], torch.Tensor], max_batch_size: int, max_wait_ms: float = 0.0):
        if max_batch_size < 1:
            raise ValueError(f"max_batch_size={max_batch_size} must be at least 1")
        if max_wait_ms < 0:
            raise ValueError(f"max_wait_ms={max_wait_ms} must not be negative")
        self.run = run
        self.max_batch_size = max_batch_size
        self.max_wait = max_wait_ms / 1000
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._closing = threading.Lock()  # no request slips in between close()'s stop and its drain
        self._closed = False
        self.batch_sizes: Counter[int] = Counter()  # images in a batch -> batches run so far (read by metrics)
        self._thread = threading.Thread(target=self._serve, name="micro-batcher", daemon=True)
        self._thread.start()

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """`run(images)` as part of a shared batch; blocks the calling thread until its rows are ready."""
        future: Future = Future()
        with self._closing:
            if self._closed:
                raise RuntimeError("the micro-batcher is stopped")
            self._queue.put((images, future))
        return future.result()

    @property
    def queue_depth(self) -> int:
        """Requests waiting to join a batch now (approximate: the queue moves while it is read)."""
        return self._queue.qsize()

    def close(self) -> None:
        """Answer every request queued so far, then stop the thread; later calls raise."""
        with self._closing:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        self._thread.join()

    def _serve(self) -> None:
        held = None  # a request that did not fit the last batch starts the next one
        while True:
            first = held if held is not None else self._queue.get()
            held = None
            if first is _STOP:
                return
            batch, size = [first], len(first[0])
            deadline = time.monotonic() + self.max_wait
            while size < self.max_batch_size:
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if item is _STOP or size + len(item[0]) > self.max_batch_size:
                    held = item
                    break
                batch.append(item)
                size += len(item[0])
            self._run_batch(batch)

    def _run_batch(self, batch: list[tuple[torch.Tensor, Future]]) -> None:
        self.batch_sizes[sum(len(images) for images, _ in batch)] += 1
        try:
            outputs = self.run(torch.cat([images for images, _ in batch]))
        except Exception as error:  # every caller in the batch sees the failure; the thread carries on
            for _, future in batch:
                future.set_exception(error)
            return
        start = 0
        for images, future in batch:
            future.set_result(outputs[start : start + len(images)])
            start += len(images)
