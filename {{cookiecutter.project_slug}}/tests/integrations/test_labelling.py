"""LLM label suggestions: off by default; the least-sure images asked about through the official
openai client pointed at a local server speaking the same API; retries, timeouts, usage and cost."""

import base64
import csv
import json
import logging

import pytest
import yaml

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.integrations.labelling import least_sure

API_KEY = "sk-test-not-a-real-key-0123456789"  # pragma: allowlist secret


def completion(label: str, prompt_tokens: int = 100, completion_tokens: int = 20):
    def answer(request: dict) -> dict:
        content = json.dumps({"label": label, "confidence": 0.9, "reason": "looks like it"})
        return {
            "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": request["model"],
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
        }  # fmt: skip

    return answer


@pytest.fixture
def labelling(recorder, monkeypatch, tmp_path, trained_checkpoint, demo_data):
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", f"{recorder.url}/v1")
    pricing = tmp_path / "pricing.yaml"
    pricing.write_text(yaml.safe_dump({"models": {"vision-test": {"input_per_million": 0.5, "output_per_million": 2}}}))

    def run(*extra: str) -> dict:
        out = tmp_path / "queue.csv"
        main(["suggest-labels", str(demo_data / "val"), "--checkpoint", str(trained_checkpoint), "--out", str(out),
              "--pricing", str(pricing), "--model", "vision-test", "--device", "cpu", "--workers", "0",
              *extra])  # fmt: skip
        return {row["path"]: row for row in csv.DictReader(out.open())}

    return run


def test_it_is_off_by_default_and_says_how_to_turn_it_on(labelling, recorder, capsys):
    with pytest.raises(SystemExit) as stopped:
        labelling("--images", "2")
    assert stopped.value.code == 2 and "LLM_LABELLING=on" in capsys.readouterr().err
    assert recorder.requests == []


def test_the_least_sure_images_are_asked_about_with_the_labels_and_the_image(labelling, recorder, capsys):
    recorder.default = (200, completion("circle"), {}, 0)
    queue = labelling("--enabled", "--images", "3")
    summary = json.loads(capsys.readouterr().out)
    assert len(queue) == 3 and len(recorder.requests) == 3
    assert {row["status"] for row in queue.values()} == {"ok"}
    assert {row["suggested_label"] for row in queue.values()} == {"circle"}
    margins = sorted(float(row["margin"]) for row in queue.values())
    request = json.loads(recorder.requests[0]["body"])
    assert request["model"] == "vision-test" and recorder.requests[0]["path"] == "/v1/chat/completions"
    assert recorder.requests[0]["headers"]["authorization"] == f"Bearer {API_KEY}"
    text, image = request["messages"][1]["content"]
    assert "circle, cross, square, triangle" in text["text"]
    assert base64.b64decode(image["image_url"]["url"].split(",", 1)[1])[:2] == b"\xff\xd8", "a JPEG"
    assert summary["prompt_tokens"] == 300 and summary["completion_tokens"] == 60
    assert summary["cost_usd"] == pytest.approx((300 * 0.5 + 60 * 2) / 1e6)
    assert margins == sorted(margins)


def test_least_sure_orders_by_the_margin_between_the_first_two_labels():
    results = {
        "sure.jpg": [{"label": "a", "probability": 0.9}, {"label": "b", "probability": 0.05}],
        "torn.jpg": [{"label": "a", "probability": 0.41}, {"label": "b", "probability": 0.40}],
        "unsure.jpg": [{"label": "b", "probability": 0.5}, {"label": "a", "probability": 0.3}],
    }
    assert [path for path, _ in least_sure(results, 2)] == ["torn.jpg", "unsure.jpg"]


def test_server_errors_are_retried_and_a_label_outside_the_list_is_not_accepted(labelling, recorder):
    fast_retry = {"retry-after-ms": "10"}
    recorder.script = [(500, {"error": {"message": "busy"}}, fast_retry, 0), (200, completion("giraffe"), {}, 0)]
    recorder.default = (200, completion("square"), {}, 0)
    queue = labelling("--enabled", "--images", "2")
    statuses = sorted(row["status"] for row in queue.values())
    assert statuses == ["invalid", "ok"] and len(recorder.requests) == 3


def test_a_server_that_never_answers_in_time_yields_failed_rows_not_a_crash(labelling, recorder):
    recorder.default = (200, completion("cross"), {}, 2.0)
    queue = labelling("--enabled", "--images", "1", "--timeout-s", "0.3", "--retries", "1")
    [row] = queue.values()
    assert row["status"] == "failed" and "Timeout" in row["reason"]
    assert len(recorder.requests) == 2, "one attempt and one retry"


def test_no_call_is_made_once_the_budget_is_spent(labelling, recorder):
    recorder.default = (200, completion("cross", prompt_tokens=1_000_000), {}, 0)
    queue = labelling("--enabled", "--images", "3", "--max-cost-usd", "0.4")
    assert len(recorder.requests) == 1
    assert sorted(row["status"] for row in queue.values()) == ["ok", "skipped", "skipped"]


def test_the_api_key_never_reaches_the_logs(labelling, recorder, caplog):
    caplog.set_level(logging.DEBUG)
    recorder.default = (200, completion("cross"), {}, 0)
    labelling("--enabled", "--images", "1")
    assert API_KEY not in caplog.text


def test_the_shipped_pricing_file_prices_the_default_model(project_root):
    from {{ cookiecutter.package_name }}.integrations.labelling import read_pricing
    from {{ cookiecutter.package_name }}.integrations.settings import LabellingSettings

    prices = read_pricing(project_root / "integrations" / "openai" / "pricing.yaml", LabellingSettings().model)
    assert all(price > 0 for price in prices)
