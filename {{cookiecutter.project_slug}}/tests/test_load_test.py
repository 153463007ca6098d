import json
import logging

import cv2
import numpy as np
import pytest

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.load_test import load_test, run_load, synthetic_jpeg

RUN_FIELDS = {"concurrency", "requests", "errors", "throughput_rps", "latency_ms"}


def test_the_synthetic_upload_is_a_photo_sized_jpeg_that_is_the_same_for_a_seed():
    image = cv2.imdecode(np.frombuffer(synthetic_jpeg(), np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (375, 500, 3)
    assert synthetic_jpeg(seed=1) == synthetic_jpeg(seed=1) != synthetic_jpeg(seed=2)


@pytest.mark.parametrize("concurrency", [1, 4])
def test_every_requested_request_is_answered_and_timed_with_ordered_percentiles(live_server, concurrency):
    run = run_load(live_server, synthetic_jpeg(), concurrency=concurrency, requests=10)
    assert set(run) == RUN_FIELDS
    assert run["concurrency"] == concurrency and run["requests"] == 10 and run["errors"] == 0
    assert run["throughput_rps"] > 0
    latency = run["latency_ms"]
    assert set(latency) == {"p50", "p90", "p99", "max"}
    assert 0 < latency["p50"] <= latency["p90"] <= latency["p99"] <= latency["max"]


def test_requests_the_server_rejects_are_counted_as_errors(live_server):
    run = run_load(live_server, b"these bytes are not an image", concurrency=2, requests=6)
    assert run["requests"] == 6 and run["errors"] == 6


def test_load_test_command_prints_one_run_per_concurrency_as_json_without_a_log_line_per_request(
    live_server, capsys, caplog
):
    caplog.set_level(logging.INFO)
    main(["load-test", "--url", live_server, "--concurrency", "1", "3", "--requests", "4"])
    report = json.loads(capsys.readouterr().out)
    assert report["url"] == live_server
    assert [run["concurrency"] for run in report["runs"]] == [1, 3]
    assert all(set(run) == RUN_FIELDS and run["requests"] == 4 and run["errors"] == 0 for run in report["runs"])
    assert [record.message for record in caplog.records if record.name.startswith("httpx")] == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--image", "missing.jpg"], "no image file at missing.jpg"),
        (["--concurrency", "4", "0"], "concurrency must be at least 1, got 0"),
        (["--requests", "0"], "requests must be at least 1, got 0"),
    ],
    ids=["missing-image", "zero-concurrency", "zero-requests"],
)
def test_bad_settings_exit_2_with_one_line_before_any_request(tmp_path, monkeypatch, capsys, options, message):
    monkeypatch.chdir(tmp_path)
    # Nothing listens on port 9 (discard): reaching the server would wait for /ready, then time out.
    with pytest.raises(SystemExit) as exit_info:
        main(["load-test", "--url", "http://127.0.0.1:9", *options])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == f"error: {message}\n"


def test_a_server_that_never_gets_ready_is_reported_in_one_line():
    with pytest.raises(ValueError, match=r":9 was not ready within \d+s: start `serve` first, or check the URL$"):
        load_test("http://127.0.0.1:9", synthetic_jpeg(), (1,), 4, ready_timeout=0.5)
