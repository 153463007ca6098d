"""The API's side of the page: CORS for the origins the settings name (never `*`), and the built
page at `/` without hiding an API route or changing the contract."""

import dataclasses

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }} import settings
from {{ cookiecutter.package_name }}.api.app import create_app
from {{ cookiecutter.package_name }}.cli import build_parser
from {{ cookiecutter.package_name }}.commands.serve import serve_options
from {{ cookiecutter.package_name }}.frontend import settings as frontend_settings
from {{ cookiecutter.package_name }}.frontend.settings import FrontendSettings
from {{ cookiecutter.package_name }}.settings import SettingsError

DEV_SERVER = "http://localhost:5173"
ELSEWHERE = "https://evil.example"


def unloaded(**options) -> TestClient:
    """The app without its lifespan: no model is loaded, which these checks never need."""
    return TestClient(create_app("models/never-loaded.pt", device="cpu", **options))


def preflight(client: TestClient, origin: str):
    headers = {"Origin": origin, "Access-Control-Request-Method": "POST"}
    return client.options("/v1/predict", headers=headers)


def png() -> bytes:
    return cv2.imencode(".png", np.zeros((32, 32, 3), np.uint8))[1].tobytes()


@pytest.fixture
def built(tmp_path):
    """A stand-in for `npm run build`'s output: an index page and one content-hashed asset."""
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text('<!doctype html><script src="/assets/index-abc123.js"></script>')
    (dist / "assets" / "index-abc123.js").write_text("console.log('page')")
    return dist


# --- CORS ----------------------------------------------------------------------------------------


def test_without_origins_the_api_sends_no_cors_headers():
    response = unloaded().get("/health", headers={"Origin": DEV_SERVER})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_a_named_origin_may_call_the_api_and_read_its_headers():
    client = unloaded(cors_origins=(DEV_SERVER,))
    allowed = preflight(client, DEV_SERVER)
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == DEV_SERVER
    response = client.get("/health", headers={"Origin": DEV_SERVER})
    assert response.headers["access-control-allow-origin"] == DEV_SERVER
    exposed = {name.strip().lower() for name in response.headers["access-control-expose-headers"].split(",")}
    assert exposed == {"x-request-id", "x-model-variant"}


def test_any_other_origin_is_refused():
    client = unloaded(cors_origins=(DEV_SERVER,))
    refused = preflight(client, ELSEWHERE)
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    assert "access-control-allow-origin" not in client.get("/health", headers={"Origin": ELSEWHERE}).headers


def test_a_cross_origin_prediction_carries_the_cors_headers(trained_checkpoint):
    with TestClient(create_app(trained_checkpoint, device="cpu", cors_origins=(DEV_SERVER,))) as client:
        response = client.post(
            "/v1/predict", files={"file": ("a.png", png(), "image/png")}, headers={"Origin": DEV_SERVER}
        )
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == DEV_SERVER
    assert response.headers["x-model-variant"] == "primary"


@pytest.mark.parametrize(
    ("origin", "reason"),
    [
        ("*", "every website"),
        ("http://localhost:5173/", "ends with a slash"),
        ("http://localhost:5173/app", "is not an origin"),
        ("localhost:5173", "is not an origin"),
        ("ftp://files.example", "is not an origin"),
    ],
)
def test_an_origin_that_no_browser_sends_or_a_wildcard_is_refused_with_the_reason(origin, reason):
    with pytest.raises(SettingsError, match=reason):
        settings.load(FrontendSettings, {"cors_origins": (origin,)})


def test_origins_come_from_a_comma_separated_variable_or_from_serve_flags():
    from_env = settings.load(FrontendSettings, environ={"CORS_ORIGINS": f"{DEV_SERVER}, https://app.example"})
    assert from_env.cors_origins == (DEV_SERVER, "https://app.example")
    args = build_parser().parse_args(["serve", "--cors-origins", DEV_SERVER, "https://app.example"])
    assert serve_options(args)["cors_origins"] == [DEV_SERVER, "https://app.example"]
    assert settings.load(FrontendSettings, serve_options(args)).cors_origins == (DEV_SERVER, "https://app.example")


def test_no_cors_by_default():
    default = {field.name: field.default for field in dataclasses.fields(FrontendSettings)}["cors_origins"]
    assert default == ()
    assert settings.load(FrontendSettings, environ={}).cors_origins == ()


# --- The built page --------------------------------------------------------------------------------


def test_the_built_page_is_served_at_the_root_and_its_assets_are_cached_for_good(built):
    client = unloaded(serve_frontend=True, frontend_dist=built)
    page = client.get("/")
    assert page.status_code == 200 and page.text.startswith("<!doctype html>")
    assert page.headers["cache-control"] == "no-cache"
    # Its own policy: scripts, styles and API calls from this origin, previews as blob: URLs.
    policy = dict(part.strip().split(" ", 1) for part in page.headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'self'" and "blob:" in policy["img-src"] and policy["frame-ancestors"] == "'none'"
    asset = client.get("/assets/index-abc123.js")
    assert asset.status_code == 200 and asset.text == "console.log('page')"
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_the_page_hides_no_api_route_and_unknown_paths_keep_the_api_error_body(built):
    client = unloaded(serve_frontend=True, frontend_dist=built)
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/ready").json()["code"] == "model_not_loaded"
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert client.get("/assets/missing.js").json()["code"] == "not_found"


def test_serving_the_page_leaves_the_api_contract_unchanged(built):
    with_page = create_app("models/never-loaded.pt", serve_frontend=True, frontend_dist=built).openapi()
    without = create_app("models/never-loaded.pt", serve_frontend=False).openapi()
    assert with_page == without


def test_a_page_folder_named_on_purpose_must_hold_a_built_page(tmp_path):
    with pytest.raises(SettingsError, match="holds no index.html"):
        create_app("models/never-loaded.pt", serve_frontend=True, frontend_dist=tmp_path)


def test_the_projects_own_build_is_served_once_it_exists_and_not_before(monkeypatch, tmp_path, built):
    project = tmp_path / "project"
    (project / "frontend" / "web").mkdir(parents=True)
    (project / "pyproject.toml").write_text("")
    monkeypatch.setattr(frontend_settings, "PROJECT_ROOT", project)
    assert unloaded(serve_frontend=True).get("/").status_code == 404
    built.rename(project / "frontend" / "web" / "dist")
    assert unloaded(serve_frontend=True).get("/").text.startswith("<!doctype html>")


def test_outside_a_checkout_no_page_is_looked_for(monkeypatch, tmp_path):
    (tmp_path / "frontend" / "web" / "dist").mkdir(parents=True)
    (tmp_path / "frontend" / "web" / "dist" / "index.html").write_text("<!doctype html>")
    monkeypatch.setattr(frontend_settings, "PROJECT_ROOT", tmp_path)  # no pyproject.toml: an installed package
    assert settings.load(FrontendSettings, {"serve_frontend": True}).page_folder() is None


def test_the_page_can_be_turned_off_even_when_it_is_built(built):
    assert unloaded(serve_frontend=False, frontend_dist=built).get("/").status_code == 404
