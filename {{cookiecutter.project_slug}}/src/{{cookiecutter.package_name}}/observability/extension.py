"""The observability tier's part of the seam: metrics, logs and traces of the API (a serving
wrapper, a middleware and `/metrics`), batch metrics of `train` and `predict`, the `slo-rules`
command. Imports nothing heavy: prometheus_client and OpenTelemetry load only where they run."""

from collections.abc import Mapping
from typing import Any

from ..extensions import Extension
from .commands import add_commands, on_event, training_callbacks
from .settings import ObservabilitySettings


def serving(options: Mapping[str, Any]):
    from .api import instrumented_serving

    return instrumented_serving(options)


def setup_api(app, options: Mapping[str, Any]) -> None:
    from .api import setup_api as setup

    setup(app, options)


EXTENSION = Extension(
    name="observability",
    add_commands=add_commands,
    training_callbacks=training_callbacks,
    serving=serving,
    setup_api=setup_api,
    settings=(ObservabilitySettings,),
    on_event=on_event,
    # The core's tests see the app the core builds: no metrics, text logs, no traces, no batch metrics.
    test_environment={
        "METRICS_ENABLED": "false",
        "LOG_FORMAT": "text",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "",
        "METRICS_TEXTFILE_DIR": "",
        "PUSHGATEWAY_URL": "",
    },
)
