import json

import cv2
import numpy as np
import pytest

from {{ cookiecutter.package_name }} import settings
from {{ cookiecutter.package_name }}.cli import build_parser, main
from {{ cookiecutter.package_name }}.mlops import store
from {{ cookiecutter.package_name }}.mlops.settings import TrackingSettings
from {{ cookiecutter.package_name }}.mlops.tracking import MlflowTracker, render_training_curves


def artifact_paths(client, run_id: str, folder: str = "") -> set[str]:
    paths = set()
    for item in client.list_artifacts(run_id, folder or None):
        paths |= artifact_paths(client, run_id, item.path) if item.is_dir else {item.path}
    return paths


def test_a_tracked_run_records_params_metrics_per_epoch_artifacts_and_the_registered_model(tracked_run, monkeypatch):
    monkeypatch.chdir(tracked_run["folder"])
    client = store.client()
    run = client.get_run(tracked_run["run_id"])
    assert run.info.status == "FINISHED"
    assert client.get_experiment(run.info.experiment_id).name == tracked_run["experiment"]
    assert run.data.params["train.epochs"] == "2" and run.data.params["data.image_size"] == "32"
    for metric in ("train_loss", "val_accuracy", "lr"):
        assert [m.step for m in client.get_metric_history(run.info.run_id, metric)] == [1, 2]
    assert 0 <= run.data.metrics["eval_accuracy"] <= 1
    assert {
        "config.yaml",
        "history.json",
        "training_curves.png",
        "evaluation/confusion_matrix.png",
        "evaluation/metrics.json",
        "model/best.pt",
        "model/config.yaml",
        "model/reference_profile.json",
    } <= artifact_paths(client, run.info.run_id)
    assert run.data.tags["registered_version"] == f"{tracked_run['model']}/1"
    assert client.get_model_version(tracked_run["model"], "1").run_id == run.info.run_id


def test_the_registered_checkpoint_keeps_weights_and_metadata_but_not_the_optimizer(tracked_run, monkeypatch):
    monkeypatch.chdir(tracked_run["folder"])
    from {{ cookiecutter.package_name }}.models.checkpoint import load_checkpoint

    state = load_checkpoint(f"models:/{tracked_run['model']}/1")
    assert state["class_names"] == ["circle", "cross", "square", "triangle"]
    assert "model" in state and "optimizer" not in state and "scheduler" not in state


def test_the_profile_holds_training_image_statistics_and_held_out_confidences(tracked_run, shapes):
    profile = json.loads((tracked_run["output"] / "reference_profile.json").read_text())
    assert profile["features"]["width"]["count"] == 100  # the training split
    assert profile["features"]["confidence"]["count"] == 40  # the validation split
    assert profile["class_names"] == ["circle", "cross", "square", "triangle"]


def test_training_with_no_track_is_core_training_without_a_store_or_profile(
    demo_data, train_args, tmp_path, monkeypatch
):
    monkeypatch.setenv("MLOPS_TRACKING", "on")
    monkeypatch.chdir(tmp_path)
    main(train_args(demo_data, tmp_path / "run", "--no-track", "--set", "train.epochs=1"))
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["best.pt", "config.yaml", "history.json", "last.pt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


@pytest.mark.parametrize(("value", "tracked"), [("off", False), ("0", False), ("on", True), (None, True)])
def test_mlops_tracking_env_sets_whether_train_is_tracked_by_default(value, tracked, monkeypatch):
    if value is None:
        monkeypatch.delenv("MLOPS_TRACKING", raising=False)
    else:
        monkeypatch.setenv("MLOPS_TRACKING", value)

    def tracked_with(*flags: str) -> bool:
        return settings.load(TrackingSettings, settings.options(build_parser().parse_args(["train", *flags]))).track

    assert tracked_with() is tracked
    assert tracked_with("--no-track") is False
    assert tracked_with("--track") is True


def test_register_without_tracking_is_refused_before_training(project_root, tmp_path, capsys):
    config = str(project_root / "configs" / "default.yaml")
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--config", config, "--no-track", "--register", "--set", f"train.output_dir={tmp_path}"])
    assert exit_info.value.code == 2 and "--register needs the run to be tracked" in capsys.readouterr().err


def test_an_unreachable_tracking_server_stops_training_before_the_first_epoch(
    shapes, train_args, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("MLOPS_TRACKING", "on")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    with pytest.raises(SystemExit) as exit_info:
        main(train_args(shapes, tmp_path / "run"))
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "tracking server http://127.0.0.1:9 is unreachable" in error and "MLFLOW_TRACKING_URI" in error
    assert not (tmp_path / "run" / "last.pt").exists()


def test_a_run_whose_training_fails_is_marked_failed(tiny_config, registry_store):
    tracker = MlflowTracker("failures")
    tracker.on_train_start(tiny_config)
    tracker.on_epoch_end({"epoch": 1, "train_loss": 1.5, "val_accuracy": 0.25})
    tracker.on_train_end(None)
    run = store.client().get_run(tracker.run_id)
    assert run.info.status == "FAILED" and run.data.metrics["train_loss"] == 1.5


def test_training_curves_draw_loss_and_accuracy_side_by_side_for_one_epoch_or_many():
    one = render_training_curves([{"train_loss": 1.0, "val_accuracy": 0.5}])
    many = render_training_curves([{"train_loss": 1.0 / e, "val_accuracy": 0.2 * e} for e in range(1, 5)])
    assert one.shape == many.shape == (320, 960, 3)
    assert not np.array_equal(one, many)
    ok, png = cv2.imencode(".png", many)
    assert ok and cv2.imdecode(png, cv2.IMREAD_COLOR).shape == (320, 960, 3)
    with pytest.raises(ValueError, match="no epochs"):
        render_training_curves([])
