"""The API's metrics: after real requests, /metrics exposes every named series with its labels."""

import json
import re

from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}.api.app import create_app
from {{ cookiecutter.package_name }}.observability.metrics import LATENCY_BUCKETS


def labelled(exercised, scrape, name: str) -> list[dict]:
    return [s.labels for s in scrape.samples(exercised.metrics) if s.name == name]


def test_requests_are_counted_and_timed_by_method_route_template_and_status(exercised, scrape):
    assert exercised.metrics_status == 200
    text, value = exercised.metrics, scrape.value
    predict = {"method": "POST", "route": "/v1/predict"}
    assert value(text, "http_requests_total", status="200", **predict) == exercised.predictions
    assert value(text, "http_requests_total", status="415", **predict) == 1
    assert value(text, "http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert value(text, "http_request_duration_seconds_count", status="200", **predict) == exercised.predictions
    bounds = {s["le"] for s in labelled(exercised, scrape, "http_request_duration_seconds_bucket")}
    assert bounds == {str(float(b)) for b in LATENCY_BUCKETS} | {"+Inf"}
    assert not [s for s in labelled(exercised, scrape, "http_requests_total") if s["route"] == "/nowhere"]
    assert value(text, "http_requests_in_progress") == 1  # the scrape itself


def test_the_model_is_described_and_its_answers_measured(exercised, scrape, trained_checkpoint, predictor):
    text, value, n = exercised.metrics, scrape.value, exercised.predictions
    assert value(text, "model_ready") == 1
    [info] = labelled(exercised, scrape, "model_info")
    assert info["model"] == "primary" and info["checkpoint"] == str(trained_checkpoint)
    assert (info["backend"], info["device"]) == (predictor.backend, "cpu") and re.fullmatch(
        "[0-9a-f]{12}", info["version"]
    )
    assert value(text, "model_inference_seconds_count", variant="primary") == n
    assert value(text, "model_predictions_total", variant="primary") == n
    assert {s["label"] for s in labelled(exercised, scrape, "model_predictions_total")} == set(predictor.class_names)
    assert value(text, "model_prediction_confidence_count", variant="primary") == n
    assert 0 < value(text, "model_prediction_confidence_sum") <= n


def test_micro_batches_are_measured_in_images_and_queued_requests(exercised, scrape):
    text, value, n = exercised.metrics, scrape.value, exercised.predictions
    assert value(text, "model_micro_batch_size_sum", model="primary") == n  # every image in some batch
    batches = value(text, "model_micro_batch_size_count", model="primary")
    assert 1 <= batches < n  # twelve concurrent requests shared forward passes
    assert value(text, "model_micro_batch_size_bucket", model="primary", le="+Inf") == batches
    assert value(text, "model_micro_batch_queue_depth", model="primary") == 0


def test_the_drift_report_is_exported_feature_by_feature(exercised, scrape):
    text, value = exercised.metrics, scrape.value
    assert value(text, "model_drift_detected") == 1
    assert value(text, "model_drift_psi", feature="brightness") == 0.8
    assert value(text, "model_drift_feature_drifted", feature="brightness") == 1
    assert value(text, "model_drift_feature_drifted", feature="width") == 0
    assert value(text, "model_drift_ks_statistic", feature="brightness") == 0.5
    assert value(text, "model_drift_report_timestamp_seconds") > 1e9


def test_the_process_is_described(exercised, scrape):
    for name in ("process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds", "python_info"):
        assert labelled(exercised, scrape, name), name


def test_every_series_named_in_the_metrics_module_is_exported(exercised, scrape):
    from {{ cookiecutter.package_name }}.observability import metrics

    documented = set(re.findall(r"\b(?:http|model)_[a-z_]+", metrics.__doc__))
    exported = {s.name for s in scrape.samples(exercised.metrics)}
    exported |= {re.sub(r"_(bucket|count|sum)$", "", name) for name in exported}  # a histogram by its name
    assert documented and documented <= exported, documented - exported


def test_no_drift_report_means_no_drift_series_and_a_model_not_loaded_reads_not_ready(observed_app, tmp_path, scrape):
    app = create_app(
        checkpoint=tmp_path / "later.pt", metrics=True, log_format="text", drift_report=str(tmp_path / "x.json")
    )
    client = TestClient(app)  # not started: the lifespan that loads the model has not run
    text = client.get("/metrics").text
    assert scrape.value(text, "model_ready") == 0
    assert not [s for s in scrape.samples(text) if s.name.startswith("model_drift")]


def test_an_unreadable_drift_report_is_skipped_with_a_warning(observed_app, tmp_path, scrape, caplog):
    report = tmp_path / "drift.json"
    report.write_text("{not json")
    with TestClient(observed_app(drift_report=str(report))) as client:
        text = client.get("/metrics").text
    assert scrape.value(text, "model_ready") == 1
    assert not [s for s in scrape.samples(text) if s.name.startswith("model_drift")]
    assert "is unreadable" in caplog.text
    report.write_text(json.dumps(scrape.drift_report(drift=False)))
    with TestClient(observed_app(drift_report=str(report))) as client:
        assert scrape.value(client.get("/metrics").text, "model_drift_detected") == 0


def test_a_request_that_fails_inside_the_app_is_counted_as_a_500(observed_app, image_bytes, scrape, monkeypatch):
    app = observed_app()
    with TestClient(app, raise_server_exceptions=False) as client:

        def broken(*args):
            raise RuntimeError("the model fell over")

        monkeypatch.setattr(app.state.serving.inner, "predict", broken)
        answer = client.post("/v1/predict", files={"file": ("a.jpg", image_bytes, "image/jpeg")})
        text = client.get("/metrics").text
    assert answer.status_code == 500
    assert scrape.value(text, "http_requests_total", route="/v1/predict", status="500") == 1


def test_with_every_part_off_the_app_is_the_one_the_core_builds(predictor):
    off = create_app(predictor=predictor, metrics=False, log_format="text")
    core = create_app(predictor=predictor)  # the test environment turns the tier off
    assert len(off.routes) == len(core.routes) and off.openapi()["paths"] == core.openapi()["paths"]
    assert [m.cls for m in off.user_middleware] == [m.cls for m in core.user_middleware]
    assert "ObservabilityMiddleware" not in [m.cls.__name__ for m in off.user_middleware]
    with TestClient(off) as client:
        assert client.get("/metrics").status_code == 404
        assert type(off.state.serving).__name__ == "SingleModel"  # not wrapped


def test_a_route_is_labelled_by_its_template_under_the_prefix_it_was_included_with():
    from fastapi import APIRouter, FastAPI

    from {{ cookiecutter.package_name }}.observability.middleware import route_template

    router = APIRouter()

    @router.get("/items/{item_id}")
    def item(item_id: int) -> dict:
        return {}

    app = FastAPI()
    app.include_router(router, prefix="/v1/store")
    seen = []

    @app.middleware("http")
    async def remember(request, call_next):
        response = await call_next(request)
        seen.append(route_template(request.scope))
        return response

    client = TestClient(app)
    client.get("/v1/store/items/42")
    client.get("/v1/store/nothing")
    assert seen == ["/v1/store/items/{item_id}", "unmatched"]
