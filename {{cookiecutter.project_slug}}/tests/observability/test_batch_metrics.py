"""Batch metrics: `train` and `predict` write a node-exporter textfile or push to a Pushgateway."""

import http.server
import threading

import pytest
from prometheus_client.parser import text_string_to_metric_families

from {{ cookiecutter.package_name }}.cli import main

PACKAGE = "{{ cookiecutter.package_name }}"


def read(path) -> dict[str, float]:
    return {s.name: s.value for f in text_string_to_metric_families(path.read_text()) for s in f.samples}


@pytest.fixture
def pushgateway():
    """A stand-in Pushgateway: records (method, path, body) of every push."""
    pushes = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_PUT(self):
            pushes.append((self.command, self.path, self.rfile.read(int(self.headers["Content-Length"])).decode()))
            self.send_response(200)
            self.end_headers()

        do_POST = do_PUT

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", pushes
    server.shutdown()


def test_training_writes_its_progress_and_outcome_to_the_textfile_folder(
    demo_data, tmp_path, monkeypatch, project_root
):
    monkeypatch.setenv("METRICS_TEXTFILE_DIR", str(tmp_path / "textfiles"))
    overrides = [
        f"data.root={demo_data}",
        "data.image_size=32",
        "data.num_workers=0",
        "train.epochs=2",
        "train.warmup_epochs=0",
        "train.device=cpu",
        "train.precision=fp32",
        f"train.output_dir={tmp_path / 'run'}",
    ]
    main(
        [
            "train",
            "--config",
            str(project_root / "configs" / "default.yaml"),
            *[a for o in overrides for a in ("--set", o)],
        ]
    )
    metrics = read(tmp_path / "textfiles" / f"{PACKAGE}_train.prom")
    assert (metrics["training_epoch"], metrics["training_in_progress"], metrics["training_succeeded"]) == (2, 0, 1)
    assert 0 <= metrics["training_best_val_accuracy"] <= 1 and metrics["training_train_loss"] > 0
    assert metrics["training_end_timestamp_seconds"] >= metrics["training_start_timestamp_seconds"]
    assert not list((tmp_path / "textfiles").glob("*.tmp*"))  # written whole, then renamed


def test_batch_prediction_writes_its_counts_and_pushes_them(
    trained_checkpoint, demo_data, tmp_path, monkeypatch, pushgateway
):
    url, pushes = pushgateway
    monkeypatch.setenv("METRICS_TEXTFILE_DIR", str(tmp_path / "textfiles"))
    monkeypatch.setenv("PUSHGATEWAY_URL", url)
    (tmp_path / "broken.jpg").write_bytes(b"not an image")
    images = [str(demo_data / "val"), str(tmp_path / "broken.jpg")]
    main(
        [
            "predict",
            *images,
            "--checkpoint",
            str(trained_checkpoint),
            "--out",
            str(tmp_path / "p.csv"),
            "--workers",
            "0",
        ]
    )
    metrics = read(tmp_path / "textfiles" / f"{PACKAGE}_predict.prom")
    assert (metrics["batch_predict_images"], metrics["batch_predict_unreadable_images"]) == (16, 1)
    assert metrics["batch_predict_duration_seconds"] > 0
    [(method, path, body)] = pushes
    assert (method, path) == ("PUT", f"/metrics/job/{PACKAGE}_predict")
    assert "batch_predict_images 16.0" in body


def test_an_unreachable_pushgateway_is_a_warning_and_the_work_still_succeeds(
    trained_checkpoint, demo_data, tmp_path, monkeypatch, caplog
):
    monkeypatch.setenv("PUSHGATEWAY_URL", "http://127.0.0.1:9")
    main(["predict", str(demo_data / "val"), "--checkpoint", str(trained_checkpoint), "--out", str(tmp_path / "p.csv")])
    assert (tmp_path / "p.csv").is_file()
    assert "could not push metrics to http://127.0.0.1:9" in caplog.text


def test_without_a_destination_no_training_callback_is_added(monkeypatch):
    from {{ cookiecutter.package_name }}.observability.commands import training_callbacks

    assert training_callbacks(None) == []
    monkeypatch.setenv("METRICS_TEXTFILE_DIR", "/somewhere")
    assert [type(c).__name__ for c in training_callbacks(None)] == ["TrainingMetrics"]
