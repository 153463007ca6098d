"""The API half of the tier: `/metrics`, the middleware and the serving wrapper, from the settings.

Nothing is added when every part is off (`--no-metrics`, text logs, no OTLP endpoint): the app is
then exactly the one the core builds, which is also how the overhead of the rest is measured.
"""

from collections.abc import Mapping
from typing import Any

from .. import settings
from ..settings import ServeSettings
from . import tracing
from .logs import use_json_logs, wants_json
from .settings import ObservabilitySettings

METRICS_PATH = "/metrics"


def enabled(options: Mapping[str, Any]) -> tuple[ObservabilitySettings, bool, Any]:
    """(settings, JSON logs or not, tracer or None)."""
    chosen = settings.load(ObservabilitySettings, options)
    return chosen, wants_json(chosen.log_format), tracing.tracer(chosen.otlp_endpoint, chosen.service_name)


def instrumented_serving(options: Mapping[str, Any]):
    """The wrapper that measures each answer and names the served models; None when all is off."""
    chosen, json_logs, tracer = enabled(options)
    if not (chosen.metrics or json_logs or tracer):
        return None
    from .serving import InstrumentedServing

    return lambda serving: InstrumentedServing(serving, tracer)


def setup_api(app, options: Mapping[str, Any]) -> None:
    chosen, json_logs, tracer = enabled(options)
    if not (chosen.metrics or json_logs or tracer):
        return
    from .middleware import ObservabilityMiddleware

    if json_logs:
        use_json_logs()
    metrics = None
    if chosen.metrics:
        from fastapi import Request, Response
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        from .metrics import ApiMetrics

        checkpoint = str(settings.load(ServeSettings, options).checkpoint)
        metrics = ApiMetrics(lambda: app.state.serving, chosen.drift_report, checkpoint)
        app.state.metrics = metrics

        async def exposition(request: Request) -> Response:
            """Prometheus metrics in the text exposition format."""
            return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)

        app.add_api_route(METRICS_PATH, exposition, methods=["GET"], include_in_schema=False)
    flush = None
    if tracer is not None:
        provider = tracing.provider(chosen.otlp_endpoint, chosen.service_name)
        flush = provider.force_flush
    app.add_middleware(ObservabilityMiddleware, metrics=metrics, json_logs=json_logs, tracer=tracer, flush=flush)
