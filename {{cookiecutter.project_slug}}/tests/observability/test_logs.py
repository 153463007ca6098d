"""Structured logs: one JSON line per request, holding its id, route, status, latency and model
version, and never a body, an image or a header value."""

import io
import json
import logging
import sys

import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}.observability.logs import ACCESS_LOGGER, JsonFormatter, use_json_logs, wants_json


def json_lines(lines: list[str]) -> list[dict]:
    return [json.loads(line) for line in lines]


def test_every_line_the_server_writes_is_a_json_object(exercised):
    entries = json_lines(exercised.lines)  # fails on the first line that is not JSON
    assert entries and all({"time", "level", "logger", "message"} <= set(entry) for entry in entries)
    assert any("Application startup complete" in entry["message"] for entry in entries)


def test_each_request_has_one_line_with_its_id_route_status_latency_and_model_version(exercised, scrape):
    requests = [entry for entry in json_lines(exercised.lines) if "request_id" in entry]
    by_id = {entry["request_id"]: entry for entry in requests}
    version = next(s.labels["version"] for s in scrape.samples(exercised.metrics) if s.name == "model_info")
    for request_id, (_, headers) in zip(exercised.ids, exercised.answers, strict=True):
        entry = by_id[request_id]
        assert headers["x-request-id"] == request_id
        assert (entry["method"], entry["route"], entry["status"]) == ("POST", "/v1/predict", 200)
        assert entry["latency_ms"] > 0 and entry["model_version"] == version and entry["variant"] == "primary"
    assert len(requests) == len(by_id)  # one line per request


def test_a_request_without_an_id_gets_one_that_is_answered_and_logged(exercised):
    status, headers = exercised.anonymous
    assert status == 200 and len(headers["x-request-id"]) == 32
    [entry] = [e for e in json_lines(exercised.lines) if e.get("request_id") == headers["x-request-id"]]
    assert entry["status"] == 200


def test_no_header_value_or_image_byte_reaches_the_log(exercised, image_bytes, scrape):
    text = "\n".join(exercised.lines)
    assert scrape.secret.split()[-1] not in text
    assert exercised.unsupported[0] == 415
    assert image_bytes[100:140].decode("latin-1") not in text
    assert max(len(line) for line in exercised.lines) < 2000


@pytest.mark.parametrize(
    ("setting", "terminal", "expected"),
    [("auto", True, False), ("auto", False, True), ("json", True, True), ("text", False, False)],
)
def test_auto_writes_text_to_a_terminal_and_json_elsewhere(setting, terminal, expected):
    class Stream(io.StringIO):
        def isatty(self):
            return terminal

    assert wants_json(setting, Stream()) is expected


@pytest.fixture
def restored_logging():
    """Put the root logger's handlers and formatters and uvicorn's access logger back afterwards."""
    root = logging.getLogger()
    handlers = [(handler, handler.formatter) for handler in root.handlers]
    access = logging.getLogger(ACCESS_LOGGER)
    state = (access.disabled, access.propagate, list(access.handlers))
    yield
    root.handlers = [handler for handler, _ in handlers]
    for handler, formatter in handlers:
        handler.setFormatter(formatter)
    access.disabled, access.propagate, access.handlers = state[0], state[1], state[2]


def test_json_logs_replace_the_access_log_and_format_the_console(restored_logging):
    console = logging.StreamHandler(sys.stderr)
    logging.getLogger().addHandler(console)
    use_json_logs()
    assert isinstance(console.formatter, JsonFormatter)
    assert logging.getLogger(ACCESS_LOGGER).disabled


def test_the_json_formatter_keeps_fields_and_tracebacks_on_one_line():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed %s", ("twice",), sys.exc_info())
    record.fields = {"request_id": "abc", "status": 500}
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert "\n" not in line
    assert (entry["message"], entry["level"], entry["request_id"], entry["status"]) == (
        "failed twice",
        "error",
        "abc",
        500,
    )
    assert "ValueError: boom" in entry["exception"] and entry["time"].endswith("Z")


def test_text_logs_leave_the_logging_setup_alone(observed_app, image_bytes, caplog, restored_logging):
    formatters = [handler.formatter for handler in logging.getLogger().handlers]
    with caplog.at_level(logging.INFO), TestClient(observed_app(log_format="text")) as client:
        client.post("/v1/predict", files={"file": ("a.jpg", image_bytes, "image/jpeg")}, headers={"X-Request-ID": "t1"})
    assert [handler.formatter for handler in logging.getLogger().handlers] == formatters
    [record] = [r for r in caplog.records if getattr(r, "fields", {}).get("request_id") == "t1"]
    assert record.getMessage().startswith("POST /v1/predict 200 ") and record.getMessage().endswith("request_id=t1")
