"""Fixtures shared by every test folder: a tiny dataset, a tiny trained model, a live API server.

Everything is small enough for a laptop CPU: 32-pixel images, one epoch, no decode workers.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }} import extensions
from {{ cookiecutter.package_name }}.client import wait_until_ready
from {{ cookiecutter.package_name }}.config import Config, load_config
from {{ cookiecutter.package_name }}.data.synthetic import make_demo_data
from {{ cookiecutter.package_name }}.training.train import train

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "{{ cookiecutter.package_name }}"


def tiny_overrides(data_root: Path, output_dir: Path) -> list[str]:
    return [
        f"data.root={data_root}",
        "data.image_size=32",
        "data.batch_size=8",
        "data.num_workers=0",
        "train.epochs=1",
        "train.device=cpu",
        "train.precision=fp32",
        "train.warmup_epochs=0",
        f"train.output_dir={output_dir}",
    ]


def subprocess_env() -> dict[str, str]:
    """The current environment with the package importable, installed or not."""
    src = str(PROJECT_ROOT / "src")
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}


@pytest.fixture(scope="session", autouse=True)
def extensions_at_rest():
    """Tests run with the environment each installed extension asks for (extensions.py), whatever
    the shell exports: base configs, untracked training. An extension's own tests set what they need."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in extensions.test_environment().items():
            patch.setenv(name, value)
        yield


@pytest.fixture(scope="session", autouse=True)
def onnx_cache(tmp_path_factory):
    """ONNX graphs exported for the CPU backend are cached per test session, not in your home."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ONNX_CACHE_DIR", str(tmp_path_factory.mktemp("onnx-cache")))
        yield


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory) -> Path:
    return make_demo_data(tmp_path_factory.mktemp("data"), per_class_train=12, per_class_val=4, size=48)


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def package_env() -> dict[str, str]:
    """Environment for subprocesses that run the package (`python -m ...`, torchrun)."""
    return subprocess_env()


@pytest.fixture
def make_config(demo_data, tmp_path):
    """Build a tiny config from configs/default.yaml plus extra `section.key=value` overrides."""

    def make(*overrides: str) -> Config:
        base = tiny_overrides(demo_data, tmp_path / "run")
        return load_config(PROJECT_ROOT / "configs" / "default.yaml", [*base, *overrides])

    return make


@pytest.fixture
def tiny_config(make_config) -> Config:
    return make_config()


@pytest.fixture(scope="session")
def trained_checkpoint(demo_data, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("trained")
    cfg = load_config(PROJECT_ROOT / "configs" / "default.yaml", tiny_overrides(demo_data, out))
    train(cfg)
    return out / "best.pt"


@pytest.fixture(scope="session")
def serve_process(trained_checkpoint):
    """`with serve_process(*flags) as base_url`: `<package> serve` with the tiny trained model and
    these extra flags, in its own process on a free loopback port, stopped on leaving the block."""

    @contextlib.contextmanager
    def start(*flags: str):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        command = [sys.executable, "-m", PACKAGE, "serve", "--checkpoint", str(trained_checkpoint), "--device", "cpu"]
        command += ["--host", "127.0.0.1", "--port", str(port), *flags]
        server = subprocess.Popen(command, env=subprocess_env(), cwd=PROJECT_ROOT)
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_ready(base_url, timeout=120)
            yield base_url
        finally:
            server.terminate()
            server.wait(timeout=30)

    return start


@pytest.fixture(scope="session")
def live_server(serve_process) -> str:
    """Base URL of `<package> serve` running in its own process on a free loopback port."""
    with serve_process() as base_url:
        yield base_url


@pytest.fixture(scope="session")
def system_program():
    """Find a program that no Python package brings (kubectl, promtool, a browser...). Without it a
    test is skipped, saying how to get it; under CI (`CI` set, as GitHub Actions and the template's
    CI do) it fails instead, so that a missing program never passes unnoticed."""

    def find(names: str | tuple[str, ...], how: str) -> str:
        for name in (names,) if isinstance(names, str) else names:
            found = shutil.which(name)
            if found:
                return found
        message = f"{names if isinstance(names, str) else names[0]} is not installed: {how}"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)

    return find


@pytest.fixture(scope="session")
def dev_tool():
    """Find a command on PATH or next to this Python, where the dev extras install it."""

    def find(name: str) -> str:
        found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
        if found is None:
            pytest.fail(f"{name} was not found on PATH or next to {sys.executable}: pip install -e '.[dev]'")
        return found

    return find


@pytest.fixture(scope="session")
def assert_valid_per_schema(dev_tool):
    """Check a file against one of check-jsonschema's built-in schemas (they work offline)."""

    def check(schema: str, path: Path) -> None:
        command = [dev_tool("check-jsonschema"), "--builtin-schema", schema, str(path)]
        result = subprocess.run(command, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr

    return check
