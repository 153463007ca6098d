"""Structured logs: one JSON object per line, for log collectors (Loki, Elasticsearch, CloudWatch...).

Chosen by `LOG_FORMAT` (`log_format`): `json`; `text` (as the core logs); `auto`, the default,
is JSON unless stderr is a terminal, so a developer reads text and a container writes JSON. Every
record becomes {"time", "level", "logger", "message", ...its `fields`}; request lines carry the
request id, route, status, latency and model version, never a body, an image or a header value.
"""

import json
import logging
import sys
from datetime import UTC, datetime

UVICORN_LOGGERS = ("uvicorn", "uvicorn.error")
ACCESS_LOGGER = "uvicorn.access"  # replaced by the request line the middleware writes


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def wants_json(log_format: str, stream=None) -> bool:
    if log_format != "auto":
        return log_format == "json"
    stream = stream or sys.stderr
    return not (hasattr(stream, "isatty") and stream.isatty())


def _is_console(handler: logging.Handler) -> bool:
    return isinstance(handler, logging.StreamHandler) and getattr(handler, "stream", None) in (sys.stderr, sys.stdout)


def use_json_logs() -> None:
    """Every console handler of the root logger writes JSON (one is added if there is none);
    uvicorn's loggers write through the root, and its access log gives way to the request line."""
    formatter = JsonFormatter()
    root = logging.getLogger()
    consoles = [handler for handler in root.handlers if _is_console(handler)]
    if not consoles:
        consoles = [logging.StreamHandler(sys.stderr)]
        root.addHandler(consoles[0])
    for handler in consoles:
        handler.setFormatter(formatter)
    if root.level > logging.INFO:
        root.setLevel(logging.INFO)
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    access = logging.getLogger(ACCESS_LOGGER)
    access.handlers = []
    access.propagate = False
    access.disabled = True
