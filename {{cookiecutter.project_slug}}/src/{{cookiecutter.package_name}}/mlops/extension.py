"""The mlops tier's part of the seam: commands, training callbacks, `models:/` references and the
rollout's serving strategy. Imports nothing heavy: MLflow loads only when one of these runs."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .. import settings
from ..extensions import Extension
from ..settings import ServeSettings
from .commands import add_commands, training_callbacks
from .settings import RolloutSettings

REFERENCE_PREFIX = "models:/"


def resolve_registered(reference: str, workdir: Path) -> Path:
    """`models:/<name>@<alias>` or `models:/<name>/<version>` -> its checkpoint, downloaded into `workdir`."""
    from .registry import CHECKPOINT_NAME, download

    return download(reference, workdir) / CHECKPOINT_NAME


def rollout_serving(options: Mapping[str, Any]):
    """When a candidate model is set, the A/B or shadow rollout replaces the strategy it is given
    (keeping that strategy's primary model); else None."""
    rollout = settings.load(RolloutSettings, options)
    if rollout.candidate is None:
        return None
    from .rollout import Rollout

    device = settings.load(ServeSettings, options).device
    return lambda serving: Rollout.load(serving.primary, rollout, device)


EXTENSION = Extension(
    name="mlops",
    add_commands=add_commands,
    training_callbacks=training_callbacks,
    checkpoint_resolvers={REFERENCE_PREFIX: resolve_registered},
    serving=rollout_serving,
    settings=(RolloutSettings,),
    # The core's tests train untracked: a tracked run writes an MLflow store into the working folder.
    test_environment={"MLOPS_TRACKING": "off"},
)
