"""The observability tier's settings, each default defined once (see the core's settings.py).

Light on purpose: the command line reads these classes to build its flags before anything heavy
is imported. `ObservabilitySettings` fields are `serve` options (and `create_app` keywords).
"""

import dataclasses
from pathlib import Path

from ..settings import Settings, setting

PROJECT = __package__.partition(".")[0]
LOG_FORMATS = ("auto", "text", "json")


@dataclasses.dataclass(frozen=True)
class ObservabilitySettings(Settings):
    """What the API exports about itself."""

    metrics: bool = setting(True, "serve Prometheus metrics at /metrics and measure every request", "METRICS_ENABLED")
    log_format: str = setting(
        "auto", "auto: JSON lines unless stderr is a terminal; text; json", "LOG_FORMAT", LOG_FORMATS
    )
    drift_report: Path = setting(
        Path("reports/drift.json"), "the `drift` report whose scores /metrics exports, when it exists", "DRIFT_REPORT"
    )
    otlp_endpoint: str | None = setting(
        None,
        "OTLP/HTTP collector to send traces to (e.g. http://collector:4318); none: no tracing",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
    )
    service_name: str = setting(PROJECT, "service name on the traces", "OTEL_SERVICE_NAME")


@dataclasses.dataclass(frozen=True)
class BatchMetricsSettings(Settings):
    """Where batch commands (`train`, `predict`) put their metrics; nowhere unless one is set."""

    textfile_dir: Path | None = setting(
        None, "node-exporter textfile collector folder: <job>.prom is written there", "METRICS_TEXTFILE_DIR"
    )
    pushgateway: str | None = setting(None, "Pushgateway address, e.g. http://pushgateway:9091", "PUSHGATEWAY_URL")
    job: str = setting(PROJECT, "job name prefix: <job>_train, <job>_predict", "METRICS_JOB")
