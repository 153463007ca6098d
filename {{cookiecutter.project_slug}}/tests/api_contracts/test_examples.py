"""The examples in api_contracts/examples/ run against a real server and say what the docs say."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "api_contracts" / "examples"


def run_example(command: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def a_demo_image(demo_data: Path) -> Path:
    return next((demo_data / "val" / "square").glob("*.jpg"))


@pytest.fixture
def not_an_image(tmp_path) -> Path:
    path = tmp_path / "notes.png"
    path.write_text("words, not pixels")
    return path


def test_the_curl_example_prints_the_predictions_and_the_variant(live_server, demo_data):
    if shutil.which("curl") is None:
        pytest.fail("curl is not installed; the curl example needs it")
    result = run_example([str(EXAMPLES / "predict.sh"), str(a_demo_image(demo_data)), live_server])
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["predictions"]) == 3
    assert "x-model-variant: primary" in result.stderr.lower()


def test_the_curl_example_shows_the_error_body_and_fails(live_server, not_an_image):
    result = run_example([str(EXAMPLES / "predict.sh"), str(not_an_image), live_server])
    assert result.returncode == 22
    assert json.loads(result.stdout)["code"] == "unsupported_media_type"


def test_the_python_example_prints_one_line_per_label(live_server, demo_data):
    result = run_example([sys.executable, str(EXAMPLES / "predict.py"), str(a_demo_image(demo_data)), live_server])
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.startswith("request python-example-") and header.endswith("answered by the primary model")
    assert len(rows) == 3


def test_the_python_example_reports_the_error_code_and_exits_1(live_server, not_an_image):
    result = run_example([sys.executable, str(EXAMPLES / "predict.py"), str(not_an_image), live_server])
    assert result.returncode == 1
    assert result.stderr.startswith("HTTP 415 unsupported_media_type: ")


def test_the_curl_example_passes_shellcheck():
    shellcheck = shutil.which("shellcheck") or shutil.which("shellcheck", path=str(Path(sys.executable).parent))
    if shellcheck is None:
        pytest.fail("shellcheck is not installed: install the dev extras (pip install -e '.[dev]')")
    result = run_example([shellcheck, "--severity=style", str(EXAMPLES / "predict.sh")])
    assert result.returncode == 0, result.stdout + result.stderr
