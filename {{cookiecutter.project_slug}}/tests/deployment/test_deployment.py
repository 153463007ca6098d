"""The deployment kit: the Compose file, the shell scripts, and the smoke check against real servers.

No Docker engine is needed: Compose is checked against its published schema, the scripts with
shellcheck and with a stand-in `docker` that records its arguments, and the smoke check runs
against the project's own API server and against a stub that answers badly on purpose.
"""

import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.settings import ServeSettings

DEPLOYMENT = Path(__file__).resolve().parents[2] / "deployment"
PROJECT = DEPLOYMENT.parent
COMPOSE = DEPLOYMENT / "docker-compose.yml"
SCRIPTS = sorted(DEPLOYMENT.glob("*.sh"))
SMOKE_CHECK = DEPLOYMENT / "smoke_check.sh"


def script_env(**extra: str) -> dict[str, str]:
    """The environment with this Python's bin folder first, so `python3` means this interpreter."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return {**os.environ, "PATH": path, **extra}


def smoke_check(base_url: str, image: Path, **extra: str) -> subprocess.CompletedProcess:
    if shutil.which("curl") is None:
        pytest.fail("deployment/smoke_check.sh needs curl on PATH")
    return subprocess.run(
        [str(SMOKE_CHECK), base_url, str(image)], env=script_env(**extra), capture_output=True, text=True, timeout=120
    )


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def a_demo_image(demo_data: Path) -> Path:
    return next((demo_data / "val").rglob("*.jpg"))


# --- Compose --------------------------------------------------------------------------------


def test_compose_file_is_valid_per_the_compose_spec(assert_valid_per_schema):
    assert_valid_per_schema("vendor.compose-spec", COMPOSE)


def test_every_compose_service_builds_from_a_dockerfile_that_exists_in_the_project():
    services = compose()["services"]
    assert {"api", "api-gpu"} <= set(services)
    for name, service in services.items():
        context = (DEPLOYMENT / service["build"]["context"]).resolve()
        assert context == PROJECT, f"{name} must build from the project root"
        assert (context / service["build"]["dockerfile"]).is_file(), f"{name}: no {service['build']['dockerfile']}"
    assert services["api"]["build"]["dockerfile"] == "docker/Dockerfile.cpu"
    assert services["api-gpu"]["build"]["dockerfile"] == "docker/Dockerfile.cuda"


def test_every_service_mounts_the_models_folder_read_only_and_restarts_unless_stopped():
    for name, service in compose()["services"].items():
        [mount] = [m for m in service["volumes"] if m["target"] == "/app/models"]
        assert (DEPLOYMENT / mount["source"]).resolve() == PROJECT / "models", name
        assert mount["read_only"] is True, name
        assert service["restart"] == "unless-stopped", name
        assert any(port.endswith(":8000") for port in service["ports"]), name


def test_compose_health_check_is_the_one_the_images_declare():
    dockerfile = (PROJECT / "docker" / "Dockerfile.cpu").read_text()
    image_check = json.loads(re.search(r"HEALTHCHECK[^\[]*CMD (\[[^\n]*\])", dockerfile).group(1))
    for name, service in compose()["services"].items():
        assert service["healthcheck"]["test"] == ["CMD", *image_check], name


def test_compose_serves_by_default_the_checkpoint_the_api_and_run_sh_expect():
    default = ServeSettings().checkpoint
    runtime_workdir = [
        line for line in (PROJECT / "docker" / "Dockerfile.cpu").read_text().splitlines() if line.startswith("WORKDIR")
    ]
    assert runtime_workdir[-1] == "WORKDIR /app" and default.startswith("models/")
    for name, service in compose()["services"].items():
        assert service["environment"]["MODEL_PATH"] == "${CHECKPOINT:-}", f"{name}: leave the default to the API"
        assert service["environment"]["MAX_UPLOAD_BYTES"] == "${MAX_UPLOAD_BYTES:-}", name
    run_sh_default = re.search(r"CHECKPOINT=\$\{CHECKPOINT:-([^}]+)\}", (DEPLOYMENT / "run.sh").read_text())[1]
    assert run_sh_default == default, "run.sh checks for the file the API serves by default"


def test_gpu_service_starts_only_in_its_profile_and_reserves_nvidia_gpus():
    services = compose()["services"]
    assert "profiles" not in services["api"]
    assert services["api-gpu"]["profiles"] == ["gpu"]
    [device] = services["api-gpu"]["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia" and "gpu" in device["capabilities"]


# --- Scripts --------------------------------------------------------------------------------


def test_the_kit_has_its_three_scripts():
    assert [script.name for script in SCRIPTS] == ["build.sh", "run.sh", "smoke_check.sh"]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_every_script_passes_shellcheck(script, dev_tool):
    result = subprocess.run([dev_tool("shellcheck"), "--severity=style", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_every_script_is_executable_and_stops_at_the_first_error(script):
    assert script.stat().st_mode & stat.S_IXUSR, f"{script.name} is not executable"
    lines = script.read_text().splitlines()
    assert lines[0] == "#!/usr/bin/env bash"
    assert "set -euo pipefail" in lines


@pytest.fixture
def fake_docker(tmp_path) -> Path:
    """A `docker` that records each call's arguments, one line per call, and succeeds."""
    log = tmp_path / "docker-calls.txt"
    docker = tmp_path / "bin" / "docker"
    docker.parent.mkdir()
    docker.write_text(f'#!/usr/bin/env bash\necho "$*" >> "{log}"\n')
    docker.chmod(0o755)
    return docker


def docker_calls(fake_docker: Path) -> list[str]:
    log = fake_docker.parent.parent / "docker-calls.txt"
    return log.read_text().splitlines() if log.exists() else []


def with_fake_docker(fake_docker: Path, **extra: str) -> dict[str, str]:
    env = script_env(**extra)
    env["PATH"] = os.pathsep.join([str(fake_docker.parent), env["PATH"]])
    return env


def test_build_script_builds_both_images_from_the_project_root_wherever_it_is_called(fake_docker, tmp_path):
    result = subprocess.run(
        [str(DEPLOYMENT / "build.sh"), "all", "--pull"],
        cwd=tmp_path,
        env=with_fake_docker(fake_docker, IMAGE="registry.local/team/app"),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert docker_calls(fake_docker) == [
        f"build --file {PROJECT}/docker/Dockerfile.{flavour} --tag registry.local/team/app:{flavour} --pull {PROJECT}"
        for flavour in ("cpu", "cuda")
    ]


def test_build_script_rejects_an_unknown_flavour(fake_docker):
    result = subprocess.run(
        [str(DEPLOYMENT / "build.sh"), "tpu"], env=with_fake_docker(fake_docker), capture_output=True, text=True
    )
    assert result.returncode == 2 and "usage:" in result.stderr
    assert docker_calls(fake_docker) == []


@pytest.fixture
def project_copy(tmp_path) -> Path:
    """The deployment folder in a scratch project, so that tests can add and remove checkpoints."""
    root = tmp_path / "project"
    shutil.copytree(DEPLOYMENT, root / "deployment", ignore=shutil.ignore_patterns("tests"))
    (root / "models").mkdir()
    return root


def test_run_script_refuses_to_start_without_a_checkpoint(project_copy, fake_docker):
    result = subprocess.run(
        [str(project_copy / "deployment" / "run.sh")], env=with_fake_docker(fake_docker), capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "no checkpoint at models/run/best.pt" in result.stderr
    assert not any(call.startswith("compose --file") for call in docker_calls(fake_docker))


def test_run_script_refuses_a_checkpoint_outside_the_mounted_models_folder(project_copy, fake_docker):
    result = subprocess.run(
        [str(project_copy / "deployment" / "run.sh")],
        env=with_fake_docker(fake_docker, CHECKPOINT="runs/demo/model/best.pt"),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and "must lie under models/" in result.stderr


def test_run_script_starts_compose_and_waits_for_health_with_the_chosen_checkpoint(project_copy, fake_docker):
    checkpoint = project_copy / "models" / "demo" / "best.pt"
    checkpoint.parent.mkdir()
    checkpoint.write_bytes(b"weights")
    checkpoint.chmod(0o600)
    log = project_copy / "env.txt"
    # The stand-in also records what Compose would see, to check the checkpoint and profile reach it.
    record = 'echo "$CHECKPOINT ${COMPOSE_PROFILES:-none}" >> "' + str(log) + '"\n'
    fake_docker.write_text(fake_docker.read_text() + record)
    result = subprocess.run(
        [str(project_copy / "deployment" / "run.sh"), "--gpu"],
        env=with_fake_docker(fake_docker, CHECKPOINT="models/demo/best.pt"),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    compose_file = project_copy / "deployment" / "docker-compose.yml"
    assert docker_calls(fake_docker)[-1] == f"compose --file {compose_file} up --detach --build --wait"
    assert log.read_text().splitlines()[-1] == "models/demo/best.pt gpu"
    assert "not world-readable" in result.stderr and "chmod -R a+rX models" in result.stderr


# --- Smoke check ----------------------------------------------------------------------------


def test_smoke_check_passes_against_the_live_api(live_server, demo_data):
    result = smoke_check(live_server, a_demo_image(demo_data))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok  POST /v1/predict" in result.stdout
    assert f"smoke check passed: {live_server}" in result.stdout


def test_smoke_check_fails_clearly_when_nothing_listens(demo_data):
    base_url = f"http://127.0.0.1:{free_port()}"
    result = smoke_check(base_url, a_demo_image(demo_data), TIMEOUT_SECONDS="5")
    assert result.returncode == 1
    assert f"smoke check FAILED: GET {base_url}/health" in result.stderr
    assert f"is the API running at {base_url}?" in result.stderr


def test_smoke_check_fails_clearly_when_the_api_rejects_an_upload_that_is_not_an_image(live_server, tmp_path):
    fake = tmp_path / "notes.jpg"
    fake.write_text("these are words, not pixels")
    result = smoke_check(live_server, fake)
    assert result.returncode == 1
    assert f"smoke check FAILED: POST {live_server}/v1/predict answered HTTP 415" in result.stderr
    assert "not an image in a supported format" in result.stderr


class _BadApi(BaseHTTPRequestHandler):
    """Healthy and ready, but `/v1/predict` answers whatever the test put in `predict_answer`."""

    predict_answer = b""

    def _send(self, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        answers = {"/health": {"status": "ok"}, "/ready": {"status": "ready", "classes": ["a", "b"], "device": "cpu"}}
        self._send(json.dumps(answers.get(self.path, {})).encode())

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._send(self.predict_answer, "text/html")

    def log_message(self, *args):
        pass


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (b"<html>it works!</html>", "the answer is not JSON: <html>it works!</html>"),
        (b'{"predictions": []}', "no predictions in the answer"),
        (b'{"filename": "x.jpg"}', "no predictions in the answer"),
        (b'{"predictions": [{"label": "a", "probability": 7}]}', "malformed prediction"),
    ],
    ids=["html", "empty-list", "no-predictions-key", "probability-out-of-range"],
)
def test_smoke_check_fails_clearly_when_the_predict_answer_holds_no_valid_predictions(demo_data, answer, reason):
    handler = type("Handler", (_BadApi,), {"predict_answer": answer})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = smoke_check(f"http://127.0.0.1:{server.server_port}", a_demo_image(demo_data))
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 1
    assert "ok  GET /ready: 2 classes on cpu" in result.stdout
    assert "smoke check FAILED: POST /v1/predict: " + reason in result.stderr


def test_smoke_check_explains_its_usage_and_a_missing_image(tmp_path):
    usage = subprocess.run([str(SMOKE_CHECK)], env=script_env(), capture_output=True, text=True)
    assert usage.returncode == 2 and "usage:" in usage.stderr
    missing = smoke_check("http://127.0.0.1:1", tmp_path / "absent.jpg")
    assert missing.returncode == 1
    assert f"smoke check FAILED: image file not found: {tmp_path / 'absent.jpg'}" in missing.stderr
