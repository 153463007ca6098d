"""Tracing: off unless an OTLP endpoint is set; then each request's spans reach the collector."""

from fastapi.testclient import TestClient
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from {{ cookiecutter.package_name }}.observability import api, tracing

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


def test_tracing_is_off_without_an_endpoint():
    assert tracing.tracer(None, "svc") is None and tracing.tracer("", "svc") is None
    assert api.enabled({})[2] is None


def test_request_and_inference_spans_reach_the_collector_in_the_callers_trace(observed_app, image_bytes, collector):
    traceparent = f"00-{TRACE_ID}-{PARENT_ID}-01"
    with TestClient(observed_app(otlp_endpoint=collector.url, service_name="shapes-api")) as client:
        answer = client.post(
            "/v1/predict",
            files={"file": ("a.jpg", image_bytes, "image/jpeg")},
            headers={"traceparent": traceparent, "X-Request-ID": "traced-1"},
        )
        assert answer.status_code == 200
    # leaving the client stops the app, which flushes the spans
    spans, services = {}, set()
    for body in collector.received:
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            services |= {a.value.string_value for a in resource_spans.resource.attributes if a.key == "service.name"}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    spans[span.name] = span
    assert services == {"shapes-api"}
    server, inference = spans["POST /v1/predict"], spans["inference"]
    assert server.trace_id.hex() == TRACE_ID and server.parent_span_id.hex() == PARENT_ID
    assert inference.trace_id.hex() == TRACE_ID and inference.parent_span_id == server.span_id
    attributes = {a.key: a.value for a in server.attributes}
    assert attributes["http.route"].string_value == "/v1/predict"
    assert attributes["http.response.status_code"].int_value == 200
    assert attributes["request.id"].string_value == "traced-1"
    assert {a.key: a.value.string_value for a in inference.attributes}["model.variant"] == "primary"
