"""Fixtures for the tracking, registry and drift tests.

Migrating a new MLflow SQLite store takes seconds, and so does a tracked training run, so both
happen once per session; each test then works on its own copy of the store in its own folder.
"""

import shutil
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.data.synthetic import make_demo_data
from {{ cookiecutter.package_name }}.mlops import registry, store

MODEL_NAME = "shapes"
EXPERIMENT = "shapes-tests"


def _train_args(project_root: Path, data: Path, out: Path, *extra: str) -> list[str]:
    overrides = [
        f"data.root={data}",
        "data.image_size=32",
        "data.batch_size=16",
        "data.num_workers=0",
        "train.epochs=2",
        "train.patience=5",
        "train.device=cpu",
        "train.precision=fp32",
        "train.warmup_epochs=0",
        f"train.output_dir={out}",
    ]
    config = ["--config", str(project_root / "configs" / "default.yaml")]
    return ["train", *config, *[arg for o in overrides for arg in ("--set", o)], *extra]


@pytest.fixture(scope="session")
def train_args(project_root):
    """`train_args(data, out, *extra)`: the arguments of a tiny two-epoch `train` command."""
    return lambda data, out, *extra: _train_args(project_root, data, out, *extra)


@pytest.fixture(scope="session")
def shapes(tmp_path_factory) -> Path:
    """Reference data: 100 training and 40 validation images of the synthetic shapes."""
    return make_demo_data(tmp_path_factory.mktemp("shapes"), per_class_train=25, per_class_val=10, size=48)


@pytest.fixture(scope="session")
def tracked_run(shapes, train_args, tmp_path_factory) -> dict:
    """A tracked, registered two-epoch run in an embedded store (the default, sqlite:///mlruns.db).

    The model is registered twice, as versions 1 and 2, so that promotions have somewhere to go.
    """
    folder = tmp_path_factory.mktemp("tracked")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        patch.setenv("MLOPS_TRACKING", "on")
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        main(train_args(shapes, folder / "run", "--experiment", EXPERIMENT, "--register", MODEL_NAME))
        client = store.client()
        [run] = client.search_runs([client.get_experiment_by_name(EXPERIMENT).experiment_id])
        registry.register(run.info.run_id, MODEL_NAME)
    return {
        "folder": folder,
        "store": folder / "mlruns.db",
        "output": folder / "run",
        "run_id": run.info.run_id,
        "experiment": EXPERIMENT,
        "model": MODEL_NAME,
    }


@pytest.fixture
def registry_store(tracked_run, tmp_path, monkeypatch) -> Path:
    """This test's own copy of the tracked store, in its working folder (the artifacts are shared)."""
    shutil.copy(tracked_run["store"], tmp_path / "mlruns.db")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return tmp_path / "mlruns.db"


@pytest.fixture(scope="session")
def fresh_sample(tmp_path_factory) -> Path:
    """80 new images of the same synthetic distribution (another seed)."""
    root = make_demo_data(tmp_path_factory.mktemp("fresh"), per_class_train=20, per_class_val=0, size=48, seed=1)
    return root / "train"
