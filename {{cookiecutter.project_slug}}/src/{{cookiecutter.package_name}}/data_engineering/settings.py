"""Settings of the data-engineering commands, each default defined once (see the core's settings.py).

Thresholds and split fractions are not here: they are data, in the parameter file the DVC pipeline
tracks (`params.yaml`, read by `params.py`). These are the places and switches of each command.
"""

import dataclasses
from pathlib import Path

from ..settings import Settings, setting

PROJECT = __package__.partition(".")[0]
STORE = setting(Path("data/raw"), "the content-addressed raw store (index.jsonl + objects/)")
PARAMS = setting(Path("params.yaml"), "parameter file with the validate and split sections")


@dataclasses.dataclass(frozen=True)
class IngestSettings(Settings):
    store: Path = STORE
    workers: int = setting(8, "files fetched at once (remote sources gain the most)")

    def __post_init__(self) -> None:
        super().__post_init__()
        self.at_least("workers", 1)


@dataclasses.dataclass(frozen=True)
class ValidateSettings(Settings):
    params: Path = PARAMS
    report: Path = setting(Path("reports/validation.json"), "where the JSON report is written")
    metrics: Path | None = setting(None, "also write the counts alone here (for `dvc metrics show`)")


@dataclasses.dataclass(frozen=True)
class SplitSettings(Settings):
    store: Path = STORE
    out: Path = setting(Path("data/prepared"), "where <split>/<label>/<image> is written (replaced)")
    params: Path = PARAMS


@dataclasses.dataclass(frozen=True)
class RetrainSettings(Settings):
    """`retrain`: the scheduled loop from a drift alarm to a promoted model."""

    model_name: str = setting(PROJECT, "registered model that retraining adds versions to", "RETRAIN_MODEL_NAME")
    alias: str = setting("production", "the alias a better model is promoted to", "RETRAIN_ALIAS")
    force: bool = setting(False, "retrain even when the drift check finds no drift", "RETRAIN_FORCE")
    min_gain: float = setting(0.0, "held-out accuracy the new model must gain over the current one", "RETRAIN_MIN_GAIN")
    pipeline: Path = setting(Path("dvc.yaml"), "the DVC pipeline to reproduce")
    config: Path = setting(Path("configs/default.yaml"), "the training config the pipeline trains with")
    report: Path = setting(Path("reports/retrain.json"), "where the outcome is written as JSON")
    device: str = setting("auto", "device of the drift check and the held-out evaluation", "DEVICE")

    def __post_init__(self) -> None:
        super().__post_init__()
        self.at_least("min_gain", 0.0)
