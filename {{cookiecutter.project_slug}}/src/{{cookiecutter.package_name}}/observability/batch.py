"""Metrics of batch work, `train` and `predict`, for a Prometheus that cannot scrape a process
that has ended: written to node-exporter's textfile collector (`METRICS_TEXTFILE_DIR`, one
`<job>_<command>.prom` file, replaced atomically) and/or pushed to a Pushgateway (`PUSHGATEWAY_URL`,
job `<job>_<command>`). Neither set: nothing is exported. A failure to export is logged and never
stops the work it describes.

    training_in_progress, training_epoch, training_train_loss, training_val_accuracy,
    training_best_val_accuracy, training_start_timestamp_seconds, training_end_timestamp_seconds,
    training_duration_seconds, training_succeeded
    batch_predict_images, batch_predict_unreadable_images, batch_predict_duration_seconds,
    batch_predict_end_timestamp_seconds
"""

import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, push_to_gateway, write_to_textfile

from ..extensions import TrainingCallback
from .settings import BatchMetricsSettings

log = logging.getLogger(__name__)


def export(registry: CollectorRegistry, command: str, where: BatchMetricsSettings) -> None:
    job = f"{where.job}_{command}"
    if where.textfile_dir is not None:
        try:
            Path(where.textfile_dir).mkdir(parents=True, exist_ok=True)
            write_to_textfile(str(Path(where.textfile_dir) / f"{job}.prom"), registry)
        except OSError as error:
            log.warning("could not write metrics to %s: %s", where.textfile_dir, error)
    if where.pushgateway:
        try:
            push_to_gateway(where.pushgateway, job=job, registry=registry, timeout=10)
        except OSError as error:
            log.warning("could not push metrics to %s: %s", where.pushgateway, error)


class TrainingMetrics(TrainingCallback):
    """Exports the run's state at its start, after every epoch and at its end."""

    def __init__(self, where: BatchMetricsSettings):
        self.where = where
        self.registry = CollectorRegistry()
        self.best_so_far = 0.0
        self.started_at = time.time()

        def gauge(name: str, documentation: str) -> Gauge:
            return Gauge(name, documentation, registry=self.registry)

        self.in_progress = gauge("training_in_progress", "1 while a training run is going")
        self.epoch = gauge("training_epoch", "Epochs finished")
        self.train_loss = gauge("training_train_loss", "Training loss of the last epoch")
        self.val_accuracy = gauge("training_val_accuracy", "Validation accuracy of the last epoch")
        self.best = gauge("training_best_val_accuracy", "Best validation accuracy so far")
        self.started = gauge("training_start_timestamp_seconds", "When the run started")
        self.ended = gauge("training_end_timestamp_seconds", "When the run ended")
        self.duration = gauge("training_duration_seconds", "How long the run took")
        self.succeeded = gauge("training_succeeded", "1 when the run finished, 0 when it failed")

    def on_train_start(self, cfg: Any) -> None:
        self.started_at = time.time()
        self.in_progress.set(1)
        self.started.set(self.started_at)
        export(self.registry, "train", self.where)

    def on_epoch_end(self, record: dict) -> None:
        self.epoch.set(record["epoch"])
        self.train_loss.set(record["train_loss"])
        self.val_accuracy.set(record["val_accuracy"])
        self.best_so_far = max(self.best_so_far, record["val_accuracy"])
        self.best.set(self.best_so_far)
        export(self.registry, "train", self.where)

    def on_train_end(self, result: Any) -> None:
        now = time.time()
        self.in_progress.set(0)
        self.ended.set(now)
        self.duration.set(now - self.started_at)
        self.succeeded.set(0 if result is None else 1)
        if result is not None:
            self.best.set(result.best_accuracy)
        export(self.registry, "train", self.where)


def predictions_written(details: Mapping[str, Any], where: BatchMetricsSettings) -> None:
    registry = CollectorRegistry()
    values = {
        "batch_predict_images": ("Images predicted", details.get("images", 0)),
        "batch_predict_unreadable_images": ("Files that could not be read", details.get("unreadable", 0)),
        "batch_predict_duration_seconds": ("How long the run took", details.get("seconds", 0)),
        "batch_predict_end_timestamp_seconds": ("When the run ended", time.time()),
    }
    for name, (documentation, value) in values.items():
        Gauge(name, documentation, registry=registry).set(value)
    export(registry, "predict", where)
