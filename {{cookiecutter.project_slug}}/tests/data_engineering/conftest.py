"""Fixtures of the data-engineering tests: clean images, known-bad ones, and a project under DVC.

Images are small (48 px) drawn shapes. A bad set is a clean set plus one defect, so that a check
which fires on clean data, or misses its defect, fails its own test.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from {{ cookiecutter.package_name }}.data.synthetic import make_demo_data
from {{ cookiecutter.package_name }}.data_engineering.params import load_params

CLASSES = ("circle", "cross", "square", "triangle")


def jpeg(array: np.ndarray, quality: int = 95) -> bytes:
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(array, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return data.tobytes()


def png(array: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", array if array.ndim == 2 else cv2.cvtColor(array, cv2.COLOR_RGB2BGR))
    assert ok
    return data.tobytes()


def with_app1(data: bytes, payload: bytes) -> bytes:
    """A JPEG with an extra APP1 (EXIF) segment right after its start marker."""
    segment = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
    return data[:2] + segment + data[2:]


def pixels(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


@pytest.fixture(scope="session")
def shapes_folder(tmp_path_factory) -> Path:
    """A clean folder of <label>/<image>: 12 drawn shapes per class, 48 px (made once)."""
    root = make_demo_data(tmp_path_factory.mktemp("shapes"), per_class_train=12, per_class_val=0, size=48)
    return root / "train"


@pytest.fixture
def clean_folder(shapes_folder, tmp_path) -> Path:
    """This test's own copy of the clean folder, to add a defect to."""
    return Path(shutil.copytree(shapes_folder, tmp_path / "incoming"))


@pytest.fixture(scope="session")
def params_file(project_root) -> Path:
    """The project's own parameter file: the thresholds a user starts with."""
    return project_root / "params.yaml"


@pytest.fixture(scope="session")
def params(params_file):
    return load_params(params_file)


def git(*args: str, cwd: Path) -> str:
    identity = ["-c", "user.name=Tests", "-c", "user.email=tests@example.com", "-c", "init.defaultBranch=main"]
    done = subprocess.run(["git", *identity, *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


TINY = (  # (what configs/default.yaml says, what the tests train with)
    (r"image_size: \d+", "image_size: 32"),
    (r"batch_size: \d+", "batch_size: 16"),
    (r"num_workers: \d+", "num_workers: 0"),
    (r"epochs: \d+", "epochs: 1"),
    (r"warmup_epochs: [\d.]+", "warmup_epochs: 0"),
    (r"precision: \w+", "precision: fp32"),
    (r"device: \w+", "device: cpu"),
)


def tiny_config(text: str) -> str:
    """configs/default.yaml with a one-epoch, 32-pixel, CPU schedule; every other key as shipped."""
    for pattern, value in TINY:
        text, found = re.subn(rf"(?m)^(\s+){pattern}", rf"\g<1>{value}", text, count=1)
        assert found, f"configs/default.yaml no longer matches {pattern!r}: update the tests' tiny config"
    return text


@pytest.fixture
def dvc_project(project_root, tmp_path, package_env):
    """A git + DVC copy of this project with a tiny training config and 48-px shapes in data/incoming.

    It sits in its own folder, so the default DVC remote (a folder beside the project) is this test's.
    Returns (project folder, environment for its commands).
    """
    ignore = shutil.ignore_patterns(".git", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache", "mlruns*")
    project = Path(shutil.copytree(project_root, tmp_path / "work" / "project", ignore=ignore))
    for folder in ("data", "models", "reports", "runs"):
        for path in (project / folder).glob("*"):
            if path.name != "README.md":
                shutil.rmtree(path) if path.is_dir() else path.unlink()
    config = project / "configs" / "default.yaml"
    config.write_text(tiny_config(config.read_text()))
    make_demo_data(project / "data" / "incoming", per_class_train=10, per_class_val=0, size=48)
    shutil.rmtree(project / "data" / "incoming" / "val")
    env = {
        **package_env,
        "PYTHONPATH": os.pathsep.join([str(project / "src"), package_env.get("PYTHONPATH", "")]),
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        "DVC_NO_ANALYTICS": "1",
        "DVC_SITE_CACHE_DIR": str(tmp_path / "dvc-site-cache"),
    }
    git("init", "--quiet", cwd=project)
    dvc(project, env, "add", "data/incoming")  # the landing folder is versioned like any data
    git("add", "--all", cwd=project)
    git("commit", "--quiet", "-m", "project", cwd=project)
    return project, env


def run_in(project: Path, env: dict, *command: str, check: bool = True, timeout: int = 900):
    done = subprocess.run(list(command), cwd=project, env=env, capture_output=True, text=True, timeout=timeout)
    if check:
        assert done.returncode == 0, f"{' '.join(command)} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def dvc(project: Path, env: dict, *args: str, check: bool = True):
    return run_in(project, env, sys.executable, "-m", "dvc", *args, check=check)


def stages_run(output: str) -> list[str]:
    """The stages `dvc repro` ran, in order, from its output."""
    return [line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage '")]


@pytest.fixture(scope="session")
def tools():
    """The helpers above, for the test modules (which cannot import this file by name)."""
    return SimpleNamespace(
        jpeg=jpeg,
        png=png,
        with_app1=with_app1,
        pixels=pixels,
        git=git,
        run_in=run_in,
        dvc=dvc,
        stages_run=stages_run,
        classes=CLASSES,
    )
