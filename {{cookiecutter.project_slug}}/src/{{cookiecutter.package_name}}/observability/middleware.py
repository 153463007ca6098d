"""One ASGI middleware for the whole API: request metrics, one log line per request, a trace span.

Pure ASGI rather than Starlette's BaseHTTPMiddleware: nothing is buffered and no task is spawned
per request. A request without `X-Request-ID` gets one here, before the routes see it, so the id in
the response header, the log line and the trace is the same one. The route label is the matched
route's template (`/v1/predict`), never the raw path, so that label values stay few.
"""

import logging
import time
import uuid

from .logs import use_json_logs
from .metrics import UNMATCHED, ApiMetrics

log = logging.getLogger(f"{__package__}.requests")
REQUEST_ID = b"x-request-id"
VARIANT = b"x-model-variant"


def route_template(scope) -> str:
    """The matched route's template with the prefix it was included under: `/v1/predict`,
    `/v1/items/{item_id}`. A route knows only its own path (`/predict`), so the prefix is the part
    of the request path in front of what the route's pattern matches."""
    route = scope.get("route")
    if route is None:
        return UNMATCHED
    template = getattr(route, "path_format", None) or getattr(route, "path", None) or UNMATCHED
    pattern, path = getattr(route, "path_regex", None), scope.get("path", "")
    if pattern is not None:
        for cut in (i for i, char in enumerate(path) if char == "/"):
            if pattern.match(path[cut:]):
                return path[:cut] + template
    return template


class ObservabilityMiddleware:
    def __init__(self, app, metrics: ApiMetrics | None, json_logs: bool, tracer=None, flush=None):
        self.app = app
        self.metrics = metrics
        self.json_logs = json_logs
        self.tracer = tracer
        self.flush = flush

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
        elif scope["type"] == "http":
            await self._request(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _lifespan(self, scope, receive, send):
        if self.json_logs:
            use_json_logs()  # again: a server configures its loggers after the app is built

        async def sent(message):
            if message["type"] == "lifespan.shutdown.complete" and self.flush is not None:
                self.flush()
            await send(message)

        await self.app(scope, receive, sent)

    async def _request(self, scope, receive, send):
        headers = scope.get("headers", [])
        request_id = next((value.decode("latin-1") for name, value in headers if name == REQUEST_ID), None)
        if request_id is None:
            request_id = uuid.uuid4().hex
            scope = {**scope, "headers": [*headers, (REQUEST_ID, request_id.encode())]}
        response = {"status": 500, "variant": None}

        async def sent(message):
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                response["variant"] = next(
                    (value.decode("latin-1") for name, value in message.get("headers", []) if name == VARIANT), None
                )
            await send(message)

        started = time.perf_counter()
        if self.metrics is not None:
            self.metrics.in_progress.inc()
        span = None
        if self.tracer is not None:
            from opentelemetry import context, trace

            from .tracing import extract_parent

            span = self.tracer.start_span(
                f"{scope['method']} {scope['path']}", context=extract_parent(headers), kind=trace.SpanKind.SERVER
            )
            token = context.attach(trace.set_span_in_context(span))
        try:
            await self.app(scope, receive, sent)
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope)
            status = response["status"]
            if self.metrics is not None:
                self.metrics.in_progress.dec()
                self.metrics.observe(scope["method"], route, status, seconds)
            fields = {
                "request_id": request_id,
                "method": scope["method"],
                "route": route,
                "status": status,
                "latency_ms": round(seconds * 1000, 2),
                "model_version": self._version(scope, response["variant"]),
                "variant": response["variant"],
            }
            if span is not None:
                fields["trace_id"] = format(span.get_span_context().trace_id, "032x")
                span.update_name(f"{scope['method']} {route}")
                span.set_attribute("http.request.method", scope["method"])
                span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status)
                span.set_attribute("request.id", request_id)
                if status >= 500:
                    from opentelemetry.trace import Status, StatusCode

                    span.set_status(Status(StatusCode.ERROR))
                context.detach(token)
                span.end()
            message = "%s %s %s %.1f ms request_id=%s"
            log.info(message, scope["method"], route, status, seconds * 1000, request_id, extra={"fields": fields})

    @staticmethod
    def _version(scope, variant: str | None) -> str | None:
        app = scope.get("app")
        serving = getattr(getattr(app, "state", None), "serving", None)
        version_of = getattr(serving, "version_of", None)
        return version_of(variant) if version_of else None
