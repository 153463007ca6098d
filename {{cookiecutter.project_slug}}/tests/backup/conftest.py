"""A small project to back up: a trained model, configs, DVC metadata, a dataset manifest and a
secret that must stay out of every archive; with `registry_project`, also a model registry whose
production alias names that model."""

import shutil
from pathlib import Path

import pytest

MODEL = "shapes"


def make_project(root: Path, checkpoint: Path, project_root: Path) -> Path:
    (root / "models" / "run").mkdir(parents=True)
    shutil.copy(checkpoint, root / "models" / "run" / "best.pt")
    shutil.copytree(project_root / "configs", root / "configs")
    shutil.copytree(project_root / "backup", root / "backup")
    (root / "dvc.yaml").write_text("stages: {}\n")
    (root / ".dvc").mkdir()
    (root / ".dvc" / "config").write_text("[core]\n    remote = storage\n")
    (root / "data" / "raw").mkdir(parents=True)
    (root / "data" / "raw" / "index.jsonl").write_text('{"sha256": "ab", "label": "circle", "source": "x.jpg"}\n')
    (root / ".env").write_text("MLFLOW_TRACKING_PASSWORD=secret\n")
    return root


@pytest.fixture
def project(trained_checkpoint, project_root, tmp_path, monkeypatch) -> Path:
    """The project, as the working folder."""
    root = make_project(tmp_path / "project", trained_checkpoint, project_root)
    monkeypatch.chdir(root)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return root


@pytest.fixture
def registry_project(project, trained_checkpoint, tmp_path) -> Path:
    """The project with an MLflow store in it (mlruns.db), `models:/shapes@production` -> version 1."""
    from {{ cookiecutter.package_name }}.mlops import registry, store

    client = store.client(create=True)
    run = client.create_run(client.create_experiment("backups")).info.run_id
    staged = tmp_path / "staged" / "best.pt"
    staged.parent.mkdir()
    shutil.copy(trained_checkpoint, staged)
    client.log_artifact(run, str(staged), "model")
    client.set_terminated(run)
    registry.register(run, MODEL)
    registry.promote(MODEL, "production", version="1")
    return project
