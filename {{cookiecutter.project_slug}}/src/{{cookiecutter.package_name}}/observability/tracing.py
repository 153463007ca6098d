"""OpenTelemetry tracing, only when an OTLP endpoint is set (`OTEL_EXPORTER_OTLP_ENDPOINT`).

Each request gets a server span (continuing the caller's trace when it sends a `traceparent`
header) and the serving strategy's answer a child span. Spans leave in batches over OTLP/HTTP to
`<endpoint>/v1/traces`: an OpenTelemetry Collector, Jaeger, Tempo or any vendor that speaks OTLP.
One tracer provider per endpoint and service name per process, flushed when the app stops.
"""

import functools

TRACER_NAME = __package__


@functools.cache
def provider(endpoint: str, service_name: str):
    """The tracer provider that exports to `endpoint` (created once per process)."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    tracer_provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    exporter = OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")
    tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
    return tracer_provider


def tracer(endpoint: str | None, service_name: str):
    """A tracer when an endpoint is set, else None (tracing off: nothing is imported)."""
    if not endpoint:
        return None
    return provider(endpoint, service_name).get_tracer(TRACER_NAME)


def extract_parent(headers: list[tuple[bytes, bytes]]):
    """The caller's trace context from W3C `traceparent`/`tracestate` headers (none: a new trace)."""
    from opentelemetry.propagate import extract

    carrier = {name.decode("latin-1"): value.decode("latin-1") for name, value in headers}
    return extract(carrier)
