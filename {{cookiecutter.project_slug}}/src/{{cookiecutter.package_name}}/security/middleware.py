"""The API's guards, as plain ASGI middleware: security headers, a request-time limit, API keys
and rate limits (outermost first).

They sit inside whatever other middleware the app has (CORS, metrics), so that a browser can read
a 401 or 429 and metrics count them; CORS preflights carry no credentials and pass the key check.
Only `/v1/*` needs a key and is rate limited: `/health` and `/ready` stay open to orchestrators.
Every refusal is the API's one error body (`{"code", "message"}`) and is logged without the key.
"""

import asyncio
import logging
import math
import time

from starlette.middleware import Middleware

from ..api.errors import error_response
from .keys import KeyRing
from .settings import SecuritySettings

log = logging.getLogger(__name__)
PROTECTED_PREFIX = "/v1/"
# Swagger UI and ReDoc load scripts and styles from a CDN: a strict CSP there would blank them.
DOCS_PREFIXES = ("/docs", "/redoc")
HEADERS = {
    b"x-content-type-options": b"nosniff",
    b"x-frame-options": b"DENY",
    b"referrer-policy": b"no-referrer",
    b"cross-origin-opener-policy": b"same-origin",
    b"strict-transport-security": b"max-age=31536000",
}
CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
NO_STORE = (b"cache-control", b"no-store")


def _client(scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


def _is_preflight(scope) -> bool:
    headers = dict(scope["headers"])
    return scope["method"] == "OPTIONS" and b"origin" in headers and b"access-control-request-method" in headers


def _protected(scope) -> bool:
    return scope["type"] == "http" and scope["path"].startswith(PROTECTED_PREFIX) and not _is_preflight(scope)


class SecurityHeaders:
    """Adds the headers above to every response, keeping any the app set itself; answers about
    uploaded images (`/v1/*`) are marked no-store, so no cache keeps them."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        extra = dict(HEADERS)
        if not scope["path"].startswith(DOCS_PREFIXES):
            extra.setdefault(*CSP)
        if scope["path"].startswith(PROTECTED_PREFIX):
            extra.setdefault(*NO_STORE)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                added = [(name, value) for name, value in extra.items() if name not in present]
                message = {**message, "headers": [*message.get("headers", []), *added]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RequestTimeout:
    """Answers 503 `request_timeout` when a request has not been answered within `seconds`.

    The client gets its answer at the deadline; work that cannot be interrupted (a forward pass in
    a worker thread) finishes in the background and its late answer is dropped.
    """

    def __init__(self, app, seconds: float):
        self.app, self.seconds = app, seconds
        self.abandoned: set[asyncio.Task] = set()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not self.seconds:
            return await self.app(scope, receive, send)
        state = {"started": False, "timed_out": False}

        async def guarded_send(message):
            if state["timed_out"]:
                return
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        task = asyncio.ensure_future(self.app(scope, receive, guarded_send))
        done, _ = await asyncio.wait({task}, timeout=self.seconds)
        if task in done:
            return task.result()
        state["timed_out"] = True
        task.cancel()
        self.abandoned.add(task)
        task.add_done_callback(self._forget)
        log.warning("%s %s took longer than %gs: answered 503", scope["method"], scope["path"], self.seconds)
        if not state["started"]:
            message = f"the request took longer than the server's limit of {self.seconds:g}s"
            await error_response(503, "request_timeout", message)(scope, receive, send)

    def _forget(self, task: asyncio.Task) -> None:
        self.abandoned.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("a timed-out request failed later: %r", task.exception())


class ApiKeyAuth:
    """401 for a `/v1/*` request without a valid key; the key's name is kept for the rate limit."""

    def __init__(self, app, ring: KeyRing, header: str):
        self.app, self.ring = app, ring
        self.header = header.lower().encode("latin-1")
        self.header_name = header

    async def __call__(self, scope, receive, send):
        if not _protected(scope):
            return await self.app(scope, receive, send)
        presented = dict(scope["headers"]).get(self.header)
        name = self.ring.match(presented.decode("latin-1")) if presented else None
        if name is None:
            code, message = (
                ("invalid_api_key", "the API key is not valid (mistyped, or revoked)")
                if presented
                else ("missing_api_key", f"this API needs a key in the {self.header_name} header")
            )
            log.info("refused %s %s from %s: %s", scope["method"], scope["path"], _client(scope), code)
            headers = {"WWW-Authenticate": f'ApiKey header="{self.header_name}"'}
            return await error_response(401, code, message, headers)(scope, receive, send)
        scope.setdefault("state", {})["api_key"] = name
        log.debug("%s %s by key %s", scope["method"], scope["path"], name)
        await self.app(scope, receive, send)


class RateLimit:
    """429 with `Retry-After` once a key (or, without keys, a client address) has used its limits.

    Counting and windows are the `limits` library's (moving windows); with redis:// storage every
    replica shares the counts. Answers carry `X-RateLimit-Limit` and `X-RateLimit-Remaining` of
    the tightest limit.
    """

    def __init__(self, app, limit: str, storage: str):
        from limits import parse_many
        from limits.aio.strategies import MovingWindowRateLimiter
        from limits.storage import storage_from_string

        self.app = app
        self.items = parse_many(limit)
        uri = storage if storage.startswith("async+") else f"async+{storage}"
        self.limiter = MovingWindowRateLimiter(storage_from_string(uri))

    async def __call__(self, scope, receive, send):
        if not _protected(scope):
            return await self.app(scope, receive, send)
        key = scope.get("state", {}).get("api_key")
        identity = f"key:{key}" if key else f"client:{_client(scope)}"
        allowed = [await self.limiter.hit(item, identity) for item in self.items]
        stats = [await self.limiter.get_window_stats(item, identity) for item in self.items]
        tightest = min(range(len(self.items)), key=lambda i: stats[i].remaining)
        headers = {
            "X-RateLimit-Limit": str(self.items[tightest].amount),
            "X-RateLimit-Remaining": str(max(0, stats[tightest].remaining)),
        }
        if not all(allowed):
            wait = max(stats[i].reset_time - time.time() for i, ok in enumerate(allowed) if not ok)
            retry_after = max(1, math.ceil(wait))
            log.info(
                "rate limited %s %s for %s: retry after %ds", scope["method"], scope["path"], identity, retry_after
            )
            message = f"too many requests: retry after {retry_after}s (limit {self.items[tightest]})"
            response = error_response(429, "rate_limited", message, {**headers, "Retry-After": str(retry_after)})
            return await response(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                extra = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app, guard: SecuritySettings) -> None:
    """Add the configured guards inside the app's other middleware (see the module's docstring)."""
    ring = KeyRing(guard.api_keys, guard.api_keys_file)
    layers = [Middleware(SecurityHeaders)] if guard.security_headers else []
    if guard.request_timeout_s:
        layers.append(Middleware(RequestTimeout, seconds=guard.request_timeout_s))
    if ring.enabled:
        layers.append(Middleware(ApiKeyAuth, ring=ring, header=guard.api_key_header))
    if guard.rate_limit:
        layers.append(Middleware(RateLimit, limit=guard.rate_limit, storage=guard.rate_limit_storage))
    # Starlette runs user_middleware first-to-last from the outside in: appended, these run innermost.
    app.user_middleware.extend(layers)
    log.info(
        "API guards: keys %s, rate limit %s, security headers %s, request timeout %s",
        f"on ({len(ring.keys())})" if ring.enabled else "off",
        guard.rate_limit or "off",
        "on" if guard.security_headers else "off",
        f"{guard.request_timeout_s:g}s" if guard.request_timeout_s else "off",
    )
