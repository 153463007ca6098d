"""Environments: one overlay per environment over the base configs, chosen by APP_ENV.

Each overlay goes through the project's one loader; the `.env.example` files are checked for
shape and for secrets; the local Compose file is checked against the Compose schema, since no
Docker engine is needed to run these tests.
"""

import dataclasses
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }} import extensions
from {{ cookiecutter.package_name }}.config import Config, ConfigError, load_config
from {{ cookiecutter.package_name }}.settings import ServeSettings

ENVIRONMENTS = Path(__file__).resolve().parents[2] / "environments"
PROJECT = ENVIRONMENTS.parent
NAMES = ["local", "development", "staging", "production"]
BASES = [PROJECT / "configs" / "default.yaml", PROJECT / "configs" / "demo.yaml"]
COMPOSE = ENVIRONMENTS / "local" / "docker-compose.yml"

SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|PRIVATE|CREDENTIAL|(^|_)KEY$|ACCESS_KEY")
SECRET_VALUE = re.compile(
    r"-----BEGIN|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{20,}|sk-[A-Za-z0-9]{20,}|//[^/\s:@]+:[^/\s@]+@"
)


def load_in(env: str, base: Path = BASES[0], overrides: list[str] = ()) -> Config:
    """The config the loader builds from `base` with APP_ENV=env."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("APP_ENV", env)
        return load_config(base, list(overrides))


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a .env file; blank lines and # comments are skipped, anything else fails."""
    values = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = re.fullmatch(r"([A-Z][A-Z0-9_]*)=(\S*)", line)
        assert match, f"{path.name}:{number}: {line!r} is not KEY=VALUE"
        assert match[1] not in values, f"{path.name}:{number}: {match[1]} is set twice"
        values[match[1]] = match[2]
    return values


def test_the_environments_are_the_four_documented_ones():
    found = sorted(path.parent.name for path in ENVIRONMENTS.glob("*/config.yaml"))
    assert found == sorted(NAMES)
    readme = (ENVIRONMENTS / "README.md").read_text()
    assert all(f"`{name}`" in readme for name in NAMES)


@pytest.mark.parametrize("base", BASES, ids=lambda path: path.name)
@pytest.mark.parametrize("name", NAMES)
def test_each_environment_loads_and_validates_over_each_base_config(name, base):
    overlay = yaml.safe_load((ENVIRONMENTS / name / "config.yaml").read_text())
    cfg = load_in(name, base)
    for section, values in overlay.items():
        for key, value in values.items():
            assert cfg.to_plain()[section][key] == value, f"{name}: {section}.{key} was not applied"


def test_an_overlay_changes_only_its_own_keys_and_leaves_the_rest_of_the_base():
    base = load_in("", BASES[0]).to_plain()
    local = load_in("local", BASES[0]).to_plain()
    assert local["data"]["image_size"] == base["data"]["image_size"]
    assert local["train"]["lr"] == base["train"]["lr"]
    assert (local["train"]["epochs"], base["train"]["epochs"]) == (3, 30)


def test_local_trains_on_the_cpu_in_fp32_and_production_keeps_the_full_schedule():
    local = load_in("local", BASES[0])
    production = load_in("production", BASES[0])
    assert (local.train.device, local.train.precision) == ("cpu", "fp32")
    assert production.train.epochs == 30 and production.train.precision == "auto"
    assert production.train.max_steps_per_epoch is None


def test_precedence_is_base_then_environment_then_set_overrides():
    assert load_in("", BASES[0]).train.epochs == 30
    assert load_in("local", BASES[0]).train.epochs == 3
    assert load_in("local", BASES[0], ["train.epochs=7"]).train.epochs == 7


def test_app_env_variable_selects_the_environment(monkeypatch):
    monkeypatch.setenv("APP_ENV", "development")
    assert load_config(BASES[0]).train.output_dir == Path("models/development")
    assert load_in("", BASES[0]).train.output_dir == Path("models/run")


def test_environments_are_found_from_the_config_file_not_the_working_directory(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert load_in("staging", BASES[0]).train.output_dir == Path("models/staging")


def test_environments_dir_variable_points_the_loader_at_another_folder(monkeypatch, tmp_path):
    (tmp_path / "qa").mkdir()
    (tmp_path / "qa" / "config.yaml").write_text("train:\n  epochs: 2\n")
    monkeypatch.setenv("ENVIRONMENTS_DIR", str(tmp_path))
    assert load_in("qa", BASES[0]).train.epochs == 2
    with pytest.raises(ConfigError, match="valid environments: qa"):
        load_in("local", BASES[0])


def test_unknown_environment_is_a_config_error_that_names_the_valid_ones():
    with pytest.raises(ConfigError, match="APP_ENV='prod'") as error:
        load_in("prod", BASES[0])
    assert "valid environments: development, local, production, staging" in str(error.value)


def test_a_path_is_not_accepted_as_an_environment_name():
    with pytest.raises(ConfigError, match="not an environment"):
        load_in("../configs", BASES[0])


def test_a_bad_overlay_value_is_reported_with_the_overlay_file(monkeypatch, tmp_path):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.yaml").write_text("train:\n  epochs: 0\n")
    monkeypatch.setenv("ENVIRONMENTS_DIR", str(tmp_path))
    with pytest.raises(ConfigError, match=r"broken/config\.yaml: train\.epochs"):
        load_in("broken", BASES[0])


def test_cli_with_a_bad_app_env_exits_2_with_one_line_naming_the_valid_environments(package_env):
    command = [sys.executable, "-m", "{{ cookiecutter.package_name }}", "train", "--config", str(BASES[0])]
    env = {**package_env, "APP_ENV": "qa"}
    completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    [line] = completed.stderr.strip().splitlines()
    assert line.startswith("error: APP_ENV='qa'") and "local" in line and "production" in line


def a_project_without_environments(tmp_path: Path) -> Path:
    """A project folder (pyproject.toml, configs/) without an environments/ folder."""
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "configs").mkdir()
    return Path(shutil.copy(PROJECT / "configs" / "default.yaml", tmp_path / "configs"))


def test_an_empty_app_env_means_no_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_ENV", "")
    config = a_project_without_environments(tmp_path)
    assert load_config(config) == load_in("", PROJECT / "configs/default.yaml")


def test_app_env_in_a_project_without_environments_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_ENV", "local")
    with pytest.raises(ConfigError, match=r"APP_ENV='local' is set, but there is no environments folder at"):
        load_config(a_project_without_environments(tmp_path))


def test_app_env_with_a_config_outside_any_project_asks_for_environments_dir(monkeypatch, tmp_path):
    config = shutil.copy(PROJECT / "configs" / "default.yaml", tmp_path)
    monkeypatch.setenv("APP_ENV", "local")
    with pytest.raises(ConfigError, match="not inside a project.*ENVIRONMENTS_DIR"):
        load_config(config)


def test_cli_with_app_env_but_no_environments_exits_2_with_one_line(tmp_path, package_env):
    config = a_project_without_environments(tmp_path)
    command = [sys.executable, "-m", "{{ cookiecutter.package_name }}", "train", "--config", str(config)]
    completed = subprocess.run(
        command, env={**package_env, "APP_ENV": "staging"}, capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    [line] = completed.stderr.strip().splitlines()
    assert line.startswith("error: APP_ENV='staging' is set, but there is no environments folder at")


# --- .env examples --------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_each_env_example_is_key_value_lines_that_name_its_own_environment(name):
    values = read_env_file(ENVIRONMENTS / name / ".env.example")
    assert values["APP_ENV"] == name
    assert {"MODEL_PATH", "MLFLOW_TRACKING_URI"} <= set(values)


@pytest.mark.parametrize("name", NAMES)
def test_no_env_example_repeats_a_default_of_the_serve_settings(name):
    defaults = {
        field.metadata["env"]: str(field.default)
        for cls in (ServeSettings, *extensions.settings_classes())
        for field in dataclasses.fields(cls)
        if field.metadata.get("env")
    }
    values = read_env_file(ENVIRONMENTS / name / ".env.example")
    repeated = {key: value for key, value in values.items() if defaults.get(key) == value}
    assert repeated == {}, "the settings' defaults live in settings.py only"


@pytest.mark.parametrize("name", NAMES)
def test_each_env_example_serves_the_checkpoint_its_environment_trains(name):
    served = read_env_file(ENVIRONMENTS / name / ".env.example")["MODEL_PATH"]
    trained = load_in(name, BASES[0]).train.output_dir
    assert Path(served) == trained / "best.pt"


@pytest.mark.parametrize("name", NAMES)
def test_no_env_example_holds_a_secret(name):
    for key, value in read_env_file(ENVIRONMENTS / name / ".env.example").items():
        if SECRET_NAME.search(key):
            assert value == "", f"{name}: {key} must stay empty in the example; it belongs in a secret store"
        assert not SECRET_VALUE.search(value), f"{name}: {key} looks like a real credential"


def test_secret_check_catches_what_it_is_meant_to_catch():
    assert SECRET_NAME.search("MLFLOW_TRACKING_PASSWORD") and SECRET_NAME.search("AWS_SECRET_ACCESS_KEY")
    assert not SECRET_NAME.search("MLFLOW_TRACKING_URI")
    assert SECRET_VALUE.search("https://admin:hunter2@mlflow.example.com")
    assert not SECRET_VALUE.search("https://mlflow.example.com")


def test_env_files_are_ignored_by_git_and_the_examples_are_not(tmp_path):
    gitignore = PROJECT / ".gitignore"
    assert gitignore.is_file(), "the project has no .gitignore (the template's hook writes it)"
    shutil.copy(gitignore, tmp_path / ".gitignore")
    subprocess.run(["git", "init", "--quiet"], cwd=tmp_path, check=True)
    for name in NAMES:
        (tmp_path / "environments" / name).mkdir(parents=True)
        for file in (".env", ".env.example"):
            (tmp_path / "environments" / name / file).write_text("APP_ENV=x\n")

    def ignored(path: str) -> bool:
        return subprocess.run(["git", "check-ignore", "--quiet", path], cwd=tmp_path).returncode == 0

    for name in NAMES:
        assert ignored(f"environments/{name}/.env"), f"environments/{name}/.env would be committed"
        assert not ignored(f"environments/{name}/.env.example"), f"environments/{name}/.env.example is ignored"


# --- Local Compose file ---------------------------------------------------------------------


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_local_compose_file_is_valid_per_the_compose_spec(assert_valid_per_schema):
    assert_valid_per_schema("vendor.compose-spec", COMPOSE)


def test_local_compose_runs_the_api_the_page_and_an_mlflow_server_all_with_health_checks():
    services = compose()["services"]
    assert set(services) == {"api", "web", "mlflow"}
    for name, service in services.items():
        assert service["healthcheck"]["test"][0] == "CMD", name
    for name in ("api", "mlflow"):
        assert "/health" in " ".join(services[name]["healthcheck"]["test"]), name
    assert services["api"]["depends_on"]["mlflow"]["condition"] == "service_healthy"


def test_local_api_builds_the_cpu_image_from_the_project_root_and_mounts_models_read_only():
    api = compose()["services"]["api"]
    context = (COMPOSE.parent / api["build"]["context"]).resolve()
    assert context == PROJECT
    assert api["build"]["dockerfile"] == "docker/Dockerfile.cpu" and (context / api["build"]["dockerfile"]).is_file()
    [mount] = [m for m in api["volumes"] if m["target"] == "/app/models"]
    assert (COMPOSE.parent / mount["source"]).resolve() == PROJECT / "models"
    assert mount["read_only"] is True


def test_local_api_reads_the_local_env_file_and_talks_to_the_mlflow_service():
    api = compose()["services"]["api"]
    [env_file] = api["env_file"]
    assert env_file == {"path": ".env", "required": False}
    assert (COMPOSE.parent / ".env.example").is_file()
    assert api["environment"]["APP_ENV"] == "local"
    assert api["environment"]["MLFLOW_TRACKING_URI"] == "http://mlflow:5000"
    default_model = re.fullmatch(r"\$\{MODEL_PATH:-([^}]+)\}", api["environment"]["MODEL_PATH"])[1]
    assert Path(default_model) == load_in("local", BASES[0]).train.output_dir / "best.pt"


def test_local_mlflow_is_a_pinned_official_image_with_sqlite_and_artifacts_on_named_volumes():
    spec = compose()
    mlflow = spec["services"]["mlflow"]
    image, _, tag = mlflow["image"].partition(":")
    assert image == "ghcr.io/mlflow/mlflow" and re.fullmatch(r"v\d+\.\d+\.\d+", tag)
    command = " ".join(mlflow["command"])
    assert "--host=0.0.0.0" in command and "--port=5000" in command
    assert "--backend-store-uri=sqlite:////mlflow/db/" in command
    assert "--artifacts-destination=/mlflow/artifacts" in command
    assert "mlflow" in re.search(r"--allowed-hosts=(\S+)", command)[1].split(",")
    volumes = {volume.split(":")[0]: volume.split(":")[1] for volume in mlflow["volumes"]}
    assert volumes == {"mlflow-db": "/mlflow/db", "mlflow-artifacts": "/mlflow/artifacts"}
    assert set(volumes) <= set(spec["volumes"])
    assert any(port.endswith(":5000") for port in mlflow["ports"])


def test_local_page_is_built_from_the_project_root_for_the_published_api_and_the_api_allows_its_origin():
    services = compose()["services"]
    web, api = services["web"], services["api"]
    context = (COMPOSE.parent / web["build"]["context"]).resolve()
    assert context == PROJECT and (context / web["build"]["dockerfile"]).is_file()
    api_port = re.fullmatch(r"\$\{API_PORT:-(\d+)\}:8000", api["ports"][0])[1]
    web_port = re.fullmatch(r"\$\{WEB_PORT:-(\d+)\}:8080", web["ports"][0])[1]
    # Each side names the other's published port, with the same default as the port mapping.
    assert web["build"]["args"]["VITE_API_URL"] == "http://localhost:${API_PORT:-" + api_port + "}"
    assert api["environment"]["CORS_ORIGINS"] == "http://localhost:${WEB_PORT:-" + web_port + "}"
    assert web["depends_on"]["api"]["condition"] == "service_healthy"
    assert web["read_only"] is True and web["cap_drop"] == ["ALL"]
    assert read_env_file(COMPOSE.parent / ".env.example")["WEB_PORT"] == web_port
