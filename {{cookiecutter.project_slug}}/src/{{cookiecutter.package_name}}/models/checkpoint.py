"""Checkpoints as plain data: tensors, numbers, strings, lists and dicts only.

That keeps `torch.load(weights_only=True)` able to read them, so loading a checkpoint never runs
pickled code. Writes go through a temp file and a rename: a crash never leaves half a checkpoint.
"""

from pathlib import Path
from typing import Any

import torch

from ..utils.atomic import atomic_write
from .classifier import Classifier


def save_checkpoint(state: dict[str, Any], path: Path) -> Path:
    return atomic_write(path, lambda handle: torch.save(state, handle))


def load_checkpoint(path: Path) -> dict[str, Any]:
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: checkpoint not found (train a model first)")
    return torch.load(path, map_location="cpu", weights_only=True)


def load_classifier(path: Path) -> tuple[Classifier, dict[str, Any]]:
    """Rebuild the trained model from a checkpoint; also returns the checkpoint's metadata."""
    state = load_checkpoint(path)
    config = state["config"]
    model = Classifier(config["model"]["backbone"], len(state["class_names"]))
    model.load_state_dict(state["model"])
    model.eval()
    return model, state
