"""A/B and shadow rollouts: the request id fixes which model answers, and a shadow never answers."""

import logging
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }} import settings
from {{ cookiecutter.package_name }}.api.app import app_from_env, create_app
from {{ cookiecutter.package_name }}.cli import build_parser
from {{ cookiecutter.package_name }}.mlops.rollout import Rollout, in_candidate_share
from {{ cookiecutter.package_name }}.mlops.settings import RolloutSettings
from {{ cookiecutter.package_name }}.models.checkpoint import load_classifier, save_checkpoint

ROLLOUT_LOGGER = "{{ cookiecutter.package_name }}.mlops.rollout"
IDS = [f"request-{i}" for i in range(40)]


@pytest.fixture(scope="module")
def always_square(trained_checkpoint, tmp_path_factory):
    """A candidate checkpoint that answers "square" for every image, easy to tell from the primary."""
    model, state = load_classifier(trained_checkpoint)
    head = [module for module in model.modules() if isinstance(module, torch.nn.Linear)][-1]
    with torch.no_grad():
        head.weight.zero_()
        head.bias.fill_(-10.0)
        head.bias[state["class_names"].index("square")] = 10.0
    path = tmp_path_factory.mktemp("candidate") / "always_square.pt"
    save_checkpoint({**state, "model": model.state_dict()}, path)
    return path


def serve(checkpoint, **rollout) -> TestClient:
    return TestClient(create_app(checkpoint, device="cpu", **rollout))


def image_upload(seed: int) -> dict:
    image = np.random.default_rng(seed).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    return {"file": (f"{seed}.png", cv2.imencode(".png", image)[1].tobytes(), "image/png")}


def ask(client: TestClient, request_id: str, seed: int = 0):
    response = client.post("/v1/predict", files=image_upload(seed), headers={"X-Request-ID": request_id})
    assert response.status_code == 200, response.text
    return response


def test_the_same_request_id_always_lands_on_the_same_side_of_the_split():
    first = [in_candidate_share(request_id, 0.3) for request_id in IDS]
    assert first == [in_candidate_share(request_id, 0.3) for request_id in IDS]
    assert 0 < sum(first) < len(IDS)


def test_raising_the_share_only_moves_requests_from_primary_to_candidate():
    at_10 = {request_id for request_id in IDS if in_candidate_share(request_id, 0.1)}
    at_50 = {request_id for request_id in IDS if in_candidate_share(request_id, 0.5)}
    assert at_10 <= at_50


@pytest.mark.parametrize("share", [0.0, 0.05, 0.25, 0.5, 1.0])
def test_the_candidate_gets_its_share_of_many_request_ids(share):
    ids = [f"{i:08x}-client" for i in range(20_000)]
    observed = sum(in_candidate_share(request_id, share) for request_id in ids) / len(ids)
    assert observed == pytest.approx(share, abs=0.015)


def test_in_ab_mode_the_candidate_answers_exactly_the_requests_in_its_share(trained_checkpoint, always_square):
    with (
        serve(trained_checkpoint) as plain,
        serve(trained_checkpoint, candidate=always_square, candidate_share=0.5, rollout_mode="ab") as split,
    ):
        for seed, request_id in enumerate(IDS):
            response = ask(split, request_id, seed)
            expected = "candidate" if in_candidate_share(request_id, 0.5) else "primary"
            assert response.headers["X-Model-Variant"] == expected
            assert response.headers["X-Request-ID"] == request_id
            if expected == "candidate":
                assert response.json()["predictions"][0]["label"] == "square"
            else:
                assert response.json() == ask(plain, request_id, seed).json()
        assert ask(split, IDS[0]).headers["X-Model-Variant"] == ask(split, IDS[0]).headers["X-Model-Variant"]


def test_a_generated_request_id_is_returned_and_decides_the_variant(trained_checkpoint, always_square):
    with serve(trained_checkpoint, candidate=always_square, candidate_share=0.5) as split:
        for seed in range(10):
            response = split.post("/v1/predict", files=image_upload(seed))
            request_id = response.headers["X-Request-ID"]
            expected = "candidate" if in_candidate_share(request_id, 0.5) else "primary"
            assert response.headers["X-Model-Variant"] == expected


def test_shadow_mode_never_changes_the_answer_and_logs_what_the_candidate_said(
    trained_checkpoint, always_square, caplog
):
    with (
        serve(trained_checkpoint) as plain,
        serve(trained_checkpoint, candidate=always_square, candidate_share=1.0, rollout_mode="shadow") as shadowed,
        caplog.at_level(logging.INFO, logger=ROLLOUT_LOGGER),
    ):
        for seed, request_id in enumerate(IDS[:10]):
            response = ask(shadowed, request_id, seed)
            assert response.headers["X-Model-Variant"] == "primary"
            assert response.json() == ask(plain, request_id, seed).json()
    shadow_runs = {r.request_id: r.getMessage() for r in caplog.records if getattr(r, "variant", None) == "candidate"}
    assert set(shadow_runs) == set(IDS[:10])
    assert all("label=square" in message for message in shadow_runs.values())


def test_every_rollout_answer_is_logged_with_its_request_id_and_variant(trained_checkpoint, always_square, caplog):
    with (
        serve(trained_checkpoint, candidate=always_square, candidate_share=0.5) as split,
        caplog.at_level(logging.INFO, logger=ROLLOUT_LOGGER),
    ):
        variants = {request_id: ask(split, request_id).headers["X-Model-Variant"] for request_id in IDS[:10]}
    logged = {r.request_id: r.variant for r in caplog.records if hasattr(r, "variant")}
    assert logged == variants


def test_a_failing_shadow_is_logged_and_never_reaches_the_client(caplog):
    primary = SimpleNamespace(class_names=["a", "b"])
    broken = SimpleNamespace(class_names=["a", "b"], predict_arrays=lambda images, k: 1 / 0)
    rollout = Rollout(primary, broken, RolloutSettings("broken.pt", 1.0, "shadow"))
    with caplog.at_level(logging.ERROR, logger=ROLLOUT_LOGGER):
        rollout.shadow("request-1", np.zeros((8, 8, 3), np.uint8), 1, [{"label": "a", "probability": 1.0}])
    [record] = caplog.records
    assert "request-1" in record.getMessage() and record.exc_info[0] is ZeroDivisionError


def test_an_ab_candidate_with_other_classes_is_refused():
    primary = SimpleNamespace(class_names=["cat", "dog"])
    candidate = SimpleNamespace(class_names=["cat", "dog", "fox"])
    with pytest.raises(ValueError, match="same classes"):
        Rollout(primary, candidate, RolloutSettings("new.pt", 0.1, "ab"))
    Rollout(primary, candidate, RolloutSettings("new.pt", 0.1, "shadow"))  # shadows may differ


@pytest.mark.parametrize(
    ("share", "mode", "message"),
    [(1.5, "ab", "between 0 and 1"), (-0.1, "ab", "between 0 and 1"), (0.1, "canary", "must be one of ab, shadow")],
)
def test_bad_rollout_settings_stop_the_app_before_it_starts(trained_checkpoint, share, mode, message):
    with pytest.raises(ValueError, match=message):
        create_app(trained_checkpoint, candidate="candidate.pt", candidate_share=share, rollout_mode=mode)


def test_the_container_factory_reads_the_rollout_from_the_environment(trained_checkpoint, always_square, monkeypatch):
    monkeypatch.setenv("MODEL_PATH", str(trained_checkpoint))
    monkeypatch.setenv("DEVICE", "cpu")
    monkeypatch.setenv("CANDIDATE_MODEL", str(always_square))
    monkeypatch.setenv("CANDIDATE_SHARE", "0.25")
    monkeypatch.setenv("ROLLOUT_MODE", "shadow")
    app = app_from_env()
    with TestClient(app):
        assert app.state.serving.settings == RolloutSettings(str(always_square), 0.25, "shadow")
    monkeypatch.setenv("CANDIDATE_SHARE", "a quarter")
    with pytest.raises(ValueError, match="CANDIDATE_SHARE='a quarter'"):
        app_from_env()


def test_serve_takes_the_rollout_as_options():
    args = build_parser().parse_args(
        ["serve", "--checkpoint", "a.pt", "--candidate", "models:/classifier@candidate", "--rollout-mode", "shadow"]
    )
    rollout = settings.load(RolloutSettings, settings.options(args))
    assert rollout == RolloutSettings("models:/classifier@candidate", 0.1, "shadow")
