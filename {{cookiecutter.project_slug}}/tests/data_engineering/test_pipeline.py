"""The DVC pipeline: wired stage to stage, one home per parameter, and `dvc repro` end to end."""

import hashlib
import json
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.data_engineering.params import load_params

# Keys of configs/default.yaml that the train stage does not track, and why: the command sets the
# paths itself, and the device and decode workers change how fast training runs, not what it learns.
UNTRACKED = {"data.root", "data.num_workers", "train.output_dir", "train.device"}


def flat(tree: dict, prefix: str = "") -> set[str]:
    keys = set()
    for key, value in tree.items():
        keys |= flat(value, f"{prefix}{key}.") if isinstance(value, dict) else {f"{prefix}{key}"}
    return keys


@pytest.fixture(scope="module")
def pipeline(project_root) -> dict:
    return yaml.safe_load((project_root / "dvc.yaml").read_text())


def test_the_train_stage_tracks_every_training_value_of_the_config(pipeline, project_root):
    config = flat(yaml.safe_load((project_root / "configs" / "default.yaml").read_text()))
    [params] = pipeline["stages"]["train"]["params"]
    tracked = set(params["configs/default.yaml"])
    assert tracked <= config, f"the pipeline tracks keys the config does not have: {tracked - config}"
    assert config - tracked == UNTRACKED


def test_params_yaml_holds_only_the_data_parameters_and_all_of_them(project_root):
    params = yaml.safe_load((project_root / "params.yaml").read_text())
    config = yaml.safe_load((project_root / "configs" / "default.yaml").read_text())
    assert set(params) == {"validate", "split"}
    assert not set(params) & set(config)
    load_params(project_root / "params.yaml")  # every key the commands need, valid


def test_each_stage_reads_what_the_stage_before_it_wrote(pipeline):
    stages = pipeline["stages"]
    assert list(stages) == ["ingest", "validate", "split", "train", "evaluate"]

    def outs(name):
        written = stages[name].get("outs", []) + stages[name].get("metrics", [])
        return {next(iter(o)) if isinstance(o, dict) else o for o in written}

    for stage, before in (("validate", "ingest"), ("split", "validate"), ("train", "split"), ("evaluate", "train")):
        assert outs(before) & set(stages[stage]["deps"]), f"{stage} does not depend on what {before} writes"


def tree_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@pytest.mark.slow
def test_dvc_repro_runs_end_to_end_reruns_only_what_a_change_affects_and_the_remote_restores_the_data(
    dvc_project, tools
):
    project, env = dvc_project
    first = tools.dvc(project, env, "repro")
    assert tools.stages_run(first.stdout) == ["ingest", "validate", "split", "train", "evaluate"]
    assert tools.stages_run(tools.dvc(project, env, "repro").stdout) == []

    metrics = json.loads(tools.dvc(project, env, "metrics", "show", "--json").stdout)
    found = {path: data["data"] for revision in metrics.values() for path, data in revision["data"].items()}
    assert 0 <= found["reports/pipeline/evaluation/metrics.json"]["accuracy"] <= 1
    assert found["reports/pipeline/validation_metrics.json"]["images"] == 40
    plots = json.loads(tools.dvc(project, env, "plots", "show", "--json").stdout)
    assert {"models/run/history.json", "reports/pipeline/evaluation/confusion_matrix.png"} <= set(plots["data"])

    params = project / "params.yaml"
    params.write_text(params.read_text().replace("max_class_ratio: 10.0", "max_class_ratio: 8.0"))
    assert tools.stages_run(tools.dvc(project, env, "repro").stdout) == ["validate"]  # same counts: split is skipped
    config = project / "configs" / "default.yaml"
    shipped = config.read_text()
    config.write_text(shipped.replace("  lr: 0.001", "  lr: 0.002"))
    stale = json.loads(tools.dvc(project, env, "status", "--json").stdout)  # evaluate follows what train writes
    assert list(stale) == ["train"] and "train.lr" in json.dumps(stale["train"])
    config.write_text(shipped)

    tools.git("add", "--all", cwd=project)
    tools.git("commit", "--quiet", "-m", "pipeline run", cwd=project)
    tools.dvc(project, env, "push")
    clone = project.parent / "clone"
    tools.git("clone", "--quiet", str(project), str(clone), cwd=project.parent)
    tools.dvc(clone, env, "pull")
    for folder in ("data/raw", "data/prepared", "models/run"):
        assert tree_hash(clone / folder) == tree_hash(project / folder), folder
    assert "up to date" in tools.dvc(clone, env, "status").stdout
