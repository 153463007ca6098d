"""Checkpoints as plain data: tensors, numbers, strings, lists and dicts only.

That keeps `torch.load(weights_only=True)` able to read them, so loading a checkpoint never runs
pickled code. Writes go through a temp file and a rename: a crash never leaves half a checkpoint.

Wherever a checkpoint path is read, a registered model (`models:/<name>@<alias>` or
`models:/<name>/<version>`) can stand in for it in projects with the intermediate tier's registry.
"""

from pathlib import Path
from typing import Any

import torch

from ..utils.atomic import atomic_write
from .classifier import Classifier

REGISTRY_PREFIX = "models:/"


def save_checkpoint(state: dict[str, Any], path: Path) -> Path:
    return atomic_write(path, lambda handle: torch.save(state, handle))


def is_registry_uri(reference: str | Path) -> bool:
    return str(reference).startswith(REGISTRY_PREFIX)


def _registry():
    """The model registry of the intermediate tier: the one place the core imports it."""
    try:
        from ..mlops import registry
    except ModuleNotFoundError as error:
        if error.name != f"{__package__.rpartition('.')[0]}.mlops":
            raise
        raise ValueError(
            f"{REGISTRY_PREFIX} references need the model registry of the intermediate tier, which this "
            "project does not have: pass a checkpoint file instead"
        ) from None
    return registry


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint file, or the checkpoint of a registered model (`models:/...`)."""
    if is_registry_uri(path):
        return _registry().load_registered_checkpoint(str(path))
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: checkpoint not found (train a model first)")
    return torch.load(path, map_location="cpu", weights_only=True)


def load_classifier(path: str | Path) -> tuple[Classifier, dict[str, Any]]:
    """Rebuild the trained model from a checkpoint; also returns the checkpoint's metadata."""
    state = load_checkpoint(path)
    config = state["config"]
    model = Classifier(config["model"]["backbone"], len(state["class_names"]))
    model.load_state_dict(state["model"])
    model.eval()
    return model, state
