"""Training configuration: YAML validated into typed objects before anything runs.

One loader builds every config, in this order (later wins):
    base file (configs/*.yaml) < overlays from the extensions (extensions.config_overlays) < --set overrides
"""

import copy
import logging
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from . import extensions
from .errors import ProjectError
from .settings import BACKBONES

log = logging.getLogger(__name__)


class ConfigError(ProjectError, ValueError):
    """A config file or override is missing, malformed or has a bad value."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataConfig(_Strict):
    root: Path = Field(description="Folder with train/<class>/* and val/<class>/*")
    image_size: int = Field(ge=32, le=1024)
    batch_size: int = Field(ge=1)
    num_workers: int = Field(ge=0)
    augment: bool


class ModelConfig(_Strict):
    backbone: str
    weights: Path | None = Field(default=None, description="Optional local backbone state dict")

    @field_validator("backbone")
    @classmethod
    def _known_backbone(cls, value: str) -> str:
        if value not in BACKBONES:
            raise ValueError(f"must be one of {', '.join(BACKBONES)}")
        return value


class TrainConfig(_Strict):
    epochs: int = Field(ge=1)
    lr: float = Field(gt=0)
    weight_decay: float = Field(ge=0)
    warmup_epochs: float = Field(ge=0)
    patience: int = Field(ge=1, description="Epochs without val improvement before stopping")
    precision: Literal["auto", "bf16", "fp16", "fp32"]
    device: str
    seed: int
    output_dir: Path
    max_steps_per_epoch: int | None = Field(default=None, ge=1)
    compile: bool = Field(default=False, description="torch.compile the training step (measure with bench --train)")


class Config(_Strict):
    data: DataConfig
    model: ModelConfig
    train: TrainConfig

    def to_plain(self) -> dict[str, Any]:
        """JSON-safe dict, for checkpoints and the saved run config."""
        return self.model_dump(mode="json")


def parse_override(text: str) -> tuple[list[str], Any]:
    """`train.epochs=3` -> (["train", "epochs"], 3); the value is parsed as YAML."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise ConfigError(f"override {text!r} must look like section.key=value")
    return key.strip().split("."), yaml.safe_load(value)


def config_from_dict(raw: dict[str, Any], overrides: list[str] = (), source: str = "config") -> Config:
    data = copy.deepcopy(raw)  # overrides must never write into the caller's mapping
    for text in overrides:
        keys, value = parse_override(text)
        node = data
        for key in keys[:-1]:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override {text!r}: {key} is not a section")
        node[keys[-1]] = value
    try:
        return Config.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" + (f" (got {e['input']!r})" if e["type"] != "missing" else "")
            for e in error.errors()
        )
        raise ConfigError(f"{source}: {problems}") from None


def read_mapping(path: Path) -> dict[str, Any]:
    """A YAML file that holds a mapping (an empty file is an empty mapping)."""
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML ({error})") from None
    if raw is not None and not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of sections, got {type(raw).__name__}")
    return raw or {}


def deep_merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """A new mapping: `overlay` over `base`, section by section; neither input is changed."""
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_config(path: Path, overrides: list[str] = ()) -> Config:
    """Base file < the extensions' overlays < `--set` overrides, then validation of the result."""
    path = Path(path)
    raw = read_mapping(path)
    sources = [str(path)]
    for source, overlay in extensions.config_overlays(path):
        raw = deep_merge(raw, overlay)
        sources.append(source)
        log.info("config overlay %s over %s", source, path)
    return config_from_dict(raw, list(overrides), source=" + ".join(sources))
