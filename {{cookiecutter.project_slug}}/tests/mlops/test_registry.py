import json
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}.api.app import create_app
from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.mlops import MlopsError, registry

PACKAGE = "{{ cookiecutter.package_name }}"


def aliases(name: str) -> dict[str, str]:
    return {row["version"]: row["aliases"] for row in registry.list_versions(name)}


def test_promotion_by_alias_serves_that_version_and_rollback_moves_the_alias_back(
    registry_store, tracked_run, shapes, tmp_path, capsys
):
    name = tracked_run["model"]
    main(["promote", "--name", name, "--version", "1", "--alias", "staging"])
    main(["promote", "--name", name, "--from", "staging", "--alias", "production"])
    assert aliases(name) == {"1": ["production", "staging"], "2": []}

    image = next((shapes / "val" / "circle").glob("*.jpg"))
    with TestClient(create_app(f"models:/{name}@production", device="cpu")) as client:
        assert client.get("/ready").json()["classes"] == ["circle", "cross", "square", "triangle"]
    main(["predict", str(image), "--checkpoint", f"models:/{name}@staging", "--out", str(tmp_path / "p.json")])
    main(["predict", str(image), "--checkpoint", f"models:/{name}/2", "--out", str(tmp_path / "p2.json")])
    assert list(json.loads((tmp_path / "p.json").read_text())["predictions"]) == [str(image)]

    main(["promote", "--name", name, "--version", "2", "--alias", "production"])
    assert aliases(name)["2"] == ["production"]
    main(["rollback", "--name", name, "--alias", "production"])
    assert aliases(name) == {"1": ["production", "staging"], "2": []}
    out = capsys.readouterr().out
    assert f"{name}@production -> version 1 (rolled back from 2)" in out
    main(["models", "--name", name])
    assert f"models:/{name}/1  run {tracked_run['run_id']}  @production, @staging" in capsys.readouterr().out


def test_rollback_with_no_earlier_promotion_says_there_is_nothing_to_go_back_to(registry_store, tracked_run):
    registry.promote(tracked_run["model"], "production", version="2")
    with pytest.raises(MlopsError, match="nothing to roll back to"):
        registry.rollback(tracked_run["model"], "production")


def test_a_missing_alias_exits_2_with_the_known_aliases_and_no_traceback(registry_store, tracked_run, shapes, capsys):
    registry.promote(tracked_run["model"], "staging", version="1")
    image = next((shapes / "val" / "circle").glob("*.jpg"))
    with pytest.raises(SystemExit) as exit_info:
        main(["predict", str(image), "--checkpoint", f"models:/{tracked_run['model']}@prod"])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "has no alias 'prod' (aliases: staging -> 1)" in error and "Traceback" not in error


def test_serve_with_a_missing_alias_exits_2_before_starting_a_server(registry_store, tracked_run, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--checkpoint", f"models:/{tracked_run['model']}@production", "--port", "1"])
    assert exit_info.value.code == 2
    assert "has no alias 'production' (aliases: none)" in capsys.readouterr().err


def test_an_unreachable_tracking_server_exits_2_with_a_clear_error_and_no_traceback(package_env, tmp_path):
    env = {
        **package_env,
        "MLFLOW_TRACKING_URI": "http://127.0.0.1:9",
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
        "MLFLOW_HTTP_REQUEST_TIMEOUT": "2",
    }
    command = [sys.executable, "-m", PACKAGE, "promote", "--version", "1", "--alias", "production"]
    completed = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 2
    assert "the tracking server http://127.0.0.1:9 is unreachable" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_registry_commands_without_a_local_store_say_where_they_looked_and_create_nothing(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        main(["models"])
    assert exit_info.value.code == 2
    assert f"no tracking store at {tmp_path / 'mlruns.db'}" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_model_name_lists_the_registered_ones(registry_store, tracked_run):
    with pytest.raises(MlopsError, match=f"no registered model 'nope' .*registered: {tracked_run['model']}"):
        registry.resolve("models:/nope@production")


@pytest.mark.parametrize("uri", ["models:/", "models:/shapes", "models:/shapes@", "models:/shapes/latest", "runs:/x"])
def test_only_alias_and_version_references_are_accepted(uri):
    with pytest.raises(MlopsError, match="models:/<name>@<alias> or models:/<name>/<version>"):
        registry.parse_model_uri(uri)


def test_a_damaged_registered_checkpoint_ends_predict_in_one_line_naming_the_reference(
    registry_store, tracked_run, shapes, tmp_path, capsys
):
    from {{ cookiecutter.package_name }}.mlops import store

    client = store.client()
    experiment = client.get_experiment_by_name(tracked_run["experiment"]).experiment_id
    run_id = client.create_run(experiment).info.run_id
    folder = tmp_path / registry.MODEL_ARTIFACT
    folder.mkdir()
    good = (tracked_run["output"] / "best.pt").read_bytes()
    (folder / registry.CHECKPOINT_NAME).write_bytes(good[: len(good) // 3])
    client.log_artifacts(run_id, str(folder), registry.MODEL_ARTIFACT)
    version = registry.register(run_id, "damaged")
    image = next((shapes / "val" / "circle").glob("*.jpg"))
    with pytest.raises(SystemExit) as exit_info:
        main(["predict", str(image), "--checkpoint", f"models:/damaged/{version}", "--out", str(tmp_path / "p.csv")])
    error = capsys.readouterr().err  # MLflow's download progress comes first
    assert exit_info.value.code == 2 and "Traceback" not in error
    assert error.strip().splitlines()[-1].startswith(f"error: models:/damaged/{version}: truncated or corrupt")
