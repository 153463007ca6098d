"""Checkpoints as plain data: tensors, numbers, strings, lists and dicts only.

That keeps `torch.load(weights_only=True)` able to read them, so loading a checkpoint never runs
pickled code. Writes go through a temp file and a rename: a crash never leaves half a checkpoint.

Wherever a checkpoint is read, a reference that an installed extension resolves (such as
`models:/<name>@<alias>`) can stand in for the file: see `extensions.resolve_checkpoint`.
Everything that can be wrong with a file ends in one `CheckpointError` naming the file and the
problem, never in a traceback.
"""

import pickle
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import torch

from .. import extensions
from ..data.preprocessing import Preprocessing
from ..errors import ProjectError
from ..utils.atomic import atomic_write
from .classifier import Classifier

PACKAGE = __package__.partition(".")[0]
# What every checkpoint of this project holds; training checkpoints add optimizer state and history.
REQUIRED_KEYS = ("model", "class_names", "config")


class CheckpointError(ProjectError):
    """A checkpoint file is missing, damaged, foreign or does not fit the model asked for."""


def save_checkpoint(state: dict[str, Any], path: Path) -> Path:
    """Write `state` atomically, stamped with this package's name."""
    return atomic_write(path, lambda handle: torch.save({**state, "package": PACKAGE}, handle))


def read_checkpoint(path: Path, shown: str | Path | None = None) -> dict[str, Any]:
    """A checkpoint file of this project, checked; `shown` is the name used in messages."""
    path, shown = Path(path), shown or path
    if not path.is_file():
        raise FileNotFoundError(f"{shown}: checkpoint not found (train a model first)")
    if path.stat().st_size == 0:
        raise CheckpointError(f"{shown}: the file is empty (0 bytes), not a checkpoint")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        # torch's own message suggests the unsafe way round; this one does not.
        raise CheckpointError(
            f"{shown}: refused, the file holds pickled objects other than tensors and plain data "
            "(code that loading would run); only checkpoints written by this project are read"
        ) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CheckpointError(f"{shown}: truncated or corrupt, not a complete PyTorch file ({first_line})") from None
    missing = [key for key in REQUIRED_KEYS if not isinstance(state, dict) or key not in state]
    if missing:
        raise CheckpointError(f"{shown}: not a checkpoint of this project (no {', '.join(missing)})")
    if state.get("package", PACKAGE) != PACKAGE:
        raise CheckpointError(f"{shown}: a checkpoint of package {state['package']!r}, not of {PACKAGE!r}")
    return state


def load_checkpoint(reference: str | Path) -> dict[str, Any]:
    """Read a checkpoint file, or the checkpoint a reference such as `models:/name@alias` names."""
    with tempfile.TemporaryDirectory(prefix="checkpoint-") as workdir:
        path = extensions.resolve_checkpoint(reference, Path(workdir))
        return read_checkpoint(path, shown=reference)


def build_classifier(state: dict[str, Any], shown: str | Path) -> Classifier:
    """The classifier a checkpoint describes, with its weights; a mismatch is one CheckpointError."""
    backbone, classes = state["config"]["model"]["backbone"], len(state["class_names"])
    spec = Preprocessing.from_checkpoint(state)
    try:
        model = Classifier(backbone, classes, mean=spec.mean, std=spec.std)
        model.load_state_dict(state["model"])
    except (RuntimeError, ValueError, KeyError, TypeError) as error:
        detail = " ".join(str(error).split())[:300]
        raise CheckpointError(
            f"{shown}: its weights do not fit a {backbone} with {classes} classes ({detail})"
        ) from None
    return model.eval()


def load_classifier(reference: str | Path) -> tuple[Classifier, dict[str, Any]]:
    """Rebuild the trained model from a checkpoint; also returns the checkpoint's metadata."""
    state = load_checkpoint(reference)
    return build_classifier(state, reference), state
