"""The security tier's settings: what guards the API, each default defined once (see settings.py).

Every field is also a `serve` flag and a `create_app` keyword; in a container, set the environment
variables. Nothing here is a secret: keys are given as their SHA-256 hashes (`api-key new`).
"""

import dataclasses
from pathlib import Path

from ..settings import Settings, setting


@dataclasses.dataclass(frozen=True)
class SecuritySettings(Settings):
    """API keys, rate limits, response headers and the time a request may take."""

    api_keys: tuple[str, ...] = setting(
        (), "hashed API keys, NAME:SHA256 each, comma-separated (from `api-key new`); any key turns auth on", "API_KEYS"
    )
    api_keys_file: Path | None = setting(
        None,
        "a file of hashed keys, one NAME:SHA256 per line (a mounted secret), re-read when it changes",
        "API_KEYS_FILE",
    )
    api_key_header: str = setting("X-API-Key", "the request header that carries the key", "API_KEY_HEADER")
    rate_limit: str | None = setting(
        None,
        "requests allowed per API key (or client address without auth), e.g. '10/second;300/minute'",
        "RATE_LIMIT",
    )
    rate_limit_storage: str = setting(
        "memory://",
        "where counts are kept: memory:// per process, redis://host:6379 shared by replicas",
        "RATE_LIMIT_STORAGE",
    )
    security_headers: bool = setting(
        True, "send nosniff, frame, referrer, CSP, HSTS and no-store headers", "SECURITY_HEADERS"
    )
    request_timeout_s: float = setting(
        30.0, "answer 503 when a request takes longer than this, in seconds (0: no limit)", "REQUEST_TIMEOUT_S"
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        self.at_least("request_timeout_s", 0)
