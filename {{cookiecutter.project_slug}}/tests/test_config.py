import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.config import ConfigError, deep_merge, load_config

PROJECT_ROOT = Path(__file__).resolve().parents[1]

CONFIGS = ["configs/default.yaml", "configs/demo.yaml"]


@pytest.mark.parametrize("name", CONFIGS)
def test_shipped_configs_validate(name):
    cfg = load_config(PROJECT_ROOT / name)
    assert cfg.model.backbone == "{{ cookiecutter.backbone }}"


def test_overrides_are_parsed_as_yaml_values(tiny_config):
    cfg = load_config(PROJECT_ROOT / "configs/default.yaml", ["train.epochs=7", "data.augment=false"])
    assert cfg.train.epochs == 7 and cfg.data.augment is False


def test_unknown_key_is_named_in_the_error(tmp_path):
    with pytest.raises(ConfigError, match=r"train\.epoch\b"):
        load_config(PROJECT_ROOT / "configs/default.yaml", ["train.epoch=3"])


def test_bad_value_is_named_with_what_was_given():
    with pytest.raises(ConfigError, match=r"data\.batch_size.*'many'"):
        load_config(PROJECT_ROOT / "configs/default.yaml", ["data.batch_size=many"])


def test_unknown_backbone_lists_the_choices():
    with pytest.raises(ConfigError, match="model.backbone.*resnet18"):
        load_config(PROJECT_ROOT / "configs/default.yaml", ["model.backbone=alexnet"])


def test_missing_section_and_missing_file_and_bad_yaml_are_config_errors(tmp_path):
    (tmp_path / "partial.yaml").write_text("data: {}\n")
    with pytest.raises(ConfigError, match="train: Field required"):
        load_config(tmp_path / "partial.yaml")
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "absent.yaml")
    (tmp_path / "broken.yaml").write_text("data: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(tmp_path / "broken.yaml")


def test_malformed_override_is_rejected():
    with pytest.raises(ConfigError, match="section.key=value"):
        load_config(PROJECT_ROOT / "configs/default.yaml", ["train.epochs"])


def a_project_without_environments(tmp_path: Path) -> Path:
    """A project folder (pyproject.toml, configs/) as the beginner tier has it: no environments/."""
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "configs").mkdir()
    return Path(shutil.copy(PROJECT_ROOT / "configs" / "default.yaml", tmp_path / "configs"))


def test_without_app_env_the_base_config_is_used_as_written():
    written = yaml.safe_load((PROJECT_ROOT / "configs/default.yaml").read_text())
    assert load_config(PROJECT_ROOT / "configs/default.yaml").to_plain() == written


def test_an_empty_app_env_means_no_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_ENV", "")
    config = a_project_without_environments(tmp_path)
    assert load_config(config) == load_config(PROJECT_ROOT / "configs/default.yaml", env="")


def test_app_env_in_a_project_without_environments_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_ENV", "local")
    with pytest.raises(ConfigError, match=r"APP_ENV='local' is set, but this project has no environments folder"):
        load_config(a_project_without_environments(tmp_path))


def test_app_env_with_a_config_outside_any_project_asks_for_environments_dir(monkeypatch, tmp_path):
    config = shutil.copy(PROJECT_ROOT / "configs" / "default.yaml", tmp_path)
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
    assert line.startswith("error: APP_ENV='staging' is set, but this project has no environments folder")


def test_deep_merge_replaces_keys_section_by_section_and_changes_neither_input():
    base = {"data": {"batch_size": 64, "augment": True}, "train": {"epochs": 30}}
    overlay = {"data": {"batch_size": 16}, "train": {"epochs": 3, "device": "cpu"}}
    merged = deep_merge(base, overlay)
    assert merged == {"data": {"batch_size": 16, "augment": True}, "train": {"epochs": 3, "device": "cpu"}}
    assert base["data"]["batch_size"] == 64 and "device" not in base["train"]
