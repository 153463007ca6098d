"""Scheduled retraining: the champion/challenger rule, the whole loop on a real pipeline and registry,
and the two schedulers that run it (a GitHub Actions workflow and a Kubernetes CronJob)."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from {{ cookiecutter.package_name }}.data.synthetic import make_demo_data
from {{ cookiecutter.package_name }}.data_engineering.retrain import challenge, data_hash, retrain
from {{ cookiecutter.package_name }}.data_engineering.settings import RetrainSettings
from {{ cookiecutter.package_name }}.models.checkpoint import load_checkpoint, save_checkpoint
from {{ cookiecutter.package_name }}.settings import load

PACKAGE = "{{ cookiecutter.package_name }}"


def always(checkpoint: Path, label: str, out: Path, class_names: list[str] | None = None) -> Path:
    """The trained model with its head rewired to answer `label` for every image."""
    state = load_checkpoint(checkpoint)
    names = state["class_names"]
    weight, bias = [key for key in state["model"] if state["model"][key].shape[:1] == (len(names),)][-2:]
    state["model"][weight] = torch.zeros_like(state["model"][weight])
    state["model"][bias] = torch.full((len(names),), -10.0)
    state["model"][bias][names.index(label)] = 10.0
    if class_names:
        state["class_names"] = class_names
    return save_checkpoint(state, out)


@pytest.fixture(scope="module")
def held_out(tmp_path_factory) -> Path:
    """Three circles and a square: always-circle scores 0.75 there, always-square 0.25."""
    root = make_demo_data(tmp_path_factory.mktemp("held_out"), per_class_train=3, per_class_val=0, size=48) / "train"
    for label in ("cross", "triangle"):
        for path in (root / label).glob("*.jpg"):
            path.unlink()
    for path in sorted((root / "square").glob("*.jpg"))[1:]:
        path.unlink()
    return root


@pytest.fixture(scope="module")
def constant_models(trained_checkpoint, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("constant")
    return {label: always(trained_checkpoint, label, folder / f"{label}.pt") for label in ("circle", "square")}


def test_a_more_accurate_model_is_promoted_and_a_less_accurate_one_is_not(constant_models, held_out, tmp_path):
    better = challenge(str(constant_models["circle"]), str(constant_models["square"]), held_out, 0.0, "cpu", tmp_path)
    assert (better.candidate_accuracy, better.current_accuracy, better.promote) == (0.75, 0.25, True)
    worse = challenge(str(constant_models["square"]), str(constant_models["circle"]), held_out, 0.0, "cpu", tmp_path)
    assert (worse.candidate_accuracy, worse.current_accuracy, worse.promote) == (0.25, 0.75, False)
    assert worse.reason == "0.2500 does not beat 0.7500 by more than 0.0"


def test_a_tie_or_a_gain_below_min_gain_keeps_the_current_model(constant_models, held_out, tmp_path):
    circle = str(constant_models["circle"])
    assert not challenge(circle, circle, held_out, 0.0, "cpu", tmp_path).promote
    assert not challenge(circle, str(constant_models["square"]), held_out, 0.6, "cpu", tmp_path).promote


def test_without_a_current_model_the_new_one_is_promoted(constant_models, held_out, tmp_path):
    verdict = challenge(str(constant_models["square"]), None, held_out, 0.0, "cpu", tmp_path)
    assert (verdict.promote, verdict.reason) == (True, "there is no current model")


def test_a_current_model_with_other_classes_is_left_for_a_person_to_decide(constant_models, held_out, tmp_path):
    other = always(constant_models["circle"], "circle", tmp_path / "other.pt", ["a", "b", "c", "d"])
    verdict = challenge(str(constant_models["circle"]), str(other), held_out, 0.0, "cpu", tmp_path)
    assert not verdict.promote and "decide by hand" in verdict.reason


@pytest.mark.slow
def test_retraining_bootstraps_then_waits_for_drift_then_retrains_and_promotes_only_a_better_model(
    dvc_project, tools, monkeypatch
):
    from {{ cookiecutter.package_name }}.mlops import registry, store

    project, env = dvc_project
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MLOPS_TRACKING", "on")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(project)
    settings = load(RetrainSettings, {"model_name": "shapes", "device": "cpu"})

    first = retrain(settings)
    assert first["drift"] == "not checked: no model is shapes@production yet"
    assert (first["registered_version"], first["promote"], first["outcome"]) == (
        "1",
        True,
        "version 1 promoted to production: there is no current model",
    )
    assert json.loads(Path("reports/retrain.json").read_text()) == first

    quiet = retrain(settings)
    assert quiet["drift"].startswith("no drift") and quiet["outcome"] == "no drift: nothing to do"

    make_demo_data(project / "data" / "incoming" / "batch2", per_class_train=10, per_class_val=0, size=96, seed=5)
    tools.dvc(project, env, "add", "data/incoming")
    second = retrain(settings)
    assert second["drift"].startswith("drift;") and second["registered_version"] == "2"
    better = second["candidate_accuracy"] > second["current_accuracy"]
    assert second["promote"] is better
    production = [row["version"] for row in registry.list_versions("shapes") if "production" in row["aliases"]]
    assert production == (["2"] if better else ["1"])
    tag = store.client().get_model_version("shapes", "2").tags["dvc_data_md5"]
    assert tag == data_hash(project / "dvc.lock", "data/prepared") == second["data_md5"]


def fake_python(tmp_path: Path, fail_on: str = "") -> tuple[Path, Path]:
    """An interpreter stand-in that logs its arguments, and fails when they contain `fail_on`."""
    log, fake = tmp_path / "calls.log", tmp_path / "python"
    fake.write_text(
        f'#!/usr/bin/env bash\necho "$*" >> "{log}"\n'
        + (f'if [[ "$*" == *"{fail_on}"* ]]; then exit 3; fi\n' if fail_on else "")
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    return fake, log


def run_script(project_root: Path, fake: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    script = project_root / "data_engineering" / "retrain.sh"
    environment = {k: v for k, v in os.environ.items() if k != "DVC_REMOTE_URL"} | {"PYTHON": str(fake), **env}
    return subprocess.run([str(script), *args], env=environment, capture_output=True, text=True, timeout=60)


def test_the_retrain_script_pulls_retrains_then_pushes_with_the_shared_remote_first(project_root, tmp_path):
    fake, log = fake_python(tmp_path)
    done = run_script(project_root, fake, "--force", DVC_REMOTE_URL="s3://bucket/dvc")
    assert done.returncode == 0, done.stderr
    assert log.read_text().splitlines() == [
        "-m dvc remote add --local --force --default shared s3://bucket/dvc",
        "-m dvc pull --allow-missing",
        f"-m {PACKAGE} retrain --force",
        "-m dvc push",
    ]


def test_the_retrain_script_stops_at_a_failed_retraining_and_pushes_nothing(project_root, tmp_path):
    fake, log = fake_python(tmp_path, fail_on="retrain")
    done = run_script(project_root, fake)
    assert done.returncode == 3
    assert log.read_text().splitlines() == ["-m dvc pull --allow-missing", f"-m {PACKAGE} retrain"]


def test_the_retrain_script_refuses_the_example_remote_of_the_cronjob(project_root, tmp_path, cronjob):
    fake, log = fake_python(tmp_path)
    done = run_script(project_root, fake, DVC_REMOTE_URL=cronjob["ConfigMap"]["data"]["DVC_REMOTE_URL"])
    assert done.returncode == 2 and "still the example" in done.stderr
    assert not log.exists()


def test_the_retrain_script_passes_shellcheck(project_root, dev_tool):
    result = subprocess.run([dev_tool("shellcheck"), str(project_root / "data_engineering" / "retrain.sh")])
    assert result.returncode == 0


@pytest.fixture(scope="module")
def cronjob(project_root) -> dict:
    documents = list(
        yaml.safe_load_all((project_root / "data_engineering" / "kubernetes" / "retrain-cronjob.yaml").read_text())
    )
    return {document["kind"]: document for document in documents}


def test_the_cronjob_is_valid_kubernetes(project_root, dev_tool):
    manifest = project_root / "data_engineering" / "kubernetes" / "retrain-cronjob.yaml"
    result = subprocess.run(
        [dev_tool("kubernetes-validate"), "--strict", str(manifest)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_cronjob_clones_the_project_and_runs_the_retrain_script_one_run_at_a_time(cronjob, project_root):
    spec = cronjob["CronJob"]["spec"]
    assert spec["concurrencyPolicy"] == "Forbid"
    pod = spec["jobTemplate"]["spec"]["template"]["spec"]
    [checkout], [job] = pod["initContainers"], pod["containers"]
    assert checkout["args"][-1] == job["workingDir"] == "/workspace/project"
    assert job["command"][-1] == "data_engineering/retrain.sh" and (project_root / job["command"][-1]).is_file()
    assert pod["securityContext"]["runAsNonRoot"] and all(
        c["securityContext"]["readOnlyRootFilesystem"] for c in (checkout, job)
    )


def test_the_cronjob_sets_only_settings_that_retrain_and_its_script_read(cronjob, project_root):
    import dataclasses

    read = {field.metadata["env"] for field in dataclasses.fields(RetrainSettings) if field.metadata["env"]}
    script = (project_root / "data_engineering" / "retrain.sh").read_text()
    for name in cronjob["ConfigMap"]["data"]:
        assert name in read | {"GIT_REPOSITORY", "GIT_BRANCH", "MLFLOW_TRACKING_URI"} or "${" + name in script, name


@pytest.fixture(scope="module")
def workflow(project_root) -> dict:
    return yaml.safe_load((project_root / ".github" / "workflows" / "retrain.yml").read_text())


def test_the_workflow_is_valid_per_the_github_schema(project_root, assert_valid_per_schema):
    assert_valid_per_schema("vendor.github-workflows", project_root / ".github" / "workflows" / "retrain.yml")


def test_the_workflow_is_scheduled_off_until_enabled_and_runs_the_retrain_script(workflow):
    assert workflow[True]["schedule"] and "workflow_dispatch" in workflow[True]  # YAML reads `on` as True
    [job] = workflow["jobs"].values()
    assert job["if"] == "vars.RETRAIN_ENABLED == 'true'"
    assert any(step.get("run") == "data_engineering/retrain.sh" for step in job["steps"])
    assert workflow["concurrency"]["cancel-in-progress"] is False


def test_retrain_help_lists_its_settings(package_env):
    done = subprocess.run(
        [sys.executable, "-m", PACKAGE, "retrain", "--help"], env=package_env, capture_output=True, text=True
    )
    assert done.returncode == 0
    for flag in ("--model-name", "--alias", "--force", "--min-gain", "--pipeline", "--report"):
        assert flag in done.stdout
