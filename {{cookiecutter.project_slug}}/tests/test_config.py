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


def test_without_overlays_the_base_config_is_used_as_written():
    written = yaml.safe_load((PROJECT_ROOT / "configs/default.yaml").read_text())
    assert load_config(PROJECT_ROOT / "configs/default.yaml").to_plain() == written


def test_deep_merge_replaces_keys_section_by_section_and_changes_neither_input():
    base = {"data": {"batch_size": 64, "augment": True}, "train": {"epochs": 30}}
    overlay = {"data": {"batch_size": 16}, "train": {"epochs": 3, "device": "cpu"}}
    merged = deep_merge(base, overlay)
    assert merged == {"data": {"batch_size": 16, "augment": True}, "train": {"epochs": 3, "device": "cpu"}}
    assert base["data"]["batch_size"] == 64 and "device" not in base["train"]
