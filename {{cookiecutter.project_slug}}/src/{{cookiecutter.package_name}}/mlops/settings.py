"""The mlops tier's settings: tracking, drift tests and rollouts, each default defined once.

Light on purpose: the command line reads these classes to build its flags before anything heavy
is imported (see the core's settings.py for how flags, environment variables and defaults mix).
"""

import dataclasses

from ..settings import Settings, SettingsError, setting

ROLLOUT_MODES = ("ab", "shadow")


@dataclasses.dataclass(frozen=True)
class TrackingSettings(Settings):
    """How `train` records runs in MLflow."""

    track: bool = setting(True, "record the run in MLflow and write the drift reference profile", "MLOPS_TRACKING")
    experiment: str = setting(__package__.partition(".")[0], "MLflow experiment of new runs", "MLFLOW_EXPERIMENT_NAME")


@dataclasses.dataclass(frozen=True)
class DriftSettings(Settings):
    """How `profile` and `drift` sample images and when a feature counts as drifted."""

    max_images: int = setting(2000, "sample at most this many images")
    p_value: float = setting(0.01, "KS test significance per feature")
    psi_threshold: float = setting(0.2, "PSI above which a change is large")

    def __post_init__(self) -> None:
        super().__post_init__()
        self.at_least("max_images", 1)
        if not 0 < self.p_value < 1:
            raise SettingsError(f"p_value={self.p_value} must be between 0 and 1")


@dataclasses.dataclass(frozen=True)
class RolloutSettings(Settings):
    """A second model beside the primary: `serve --candidate ...` or CANDIDATE_MODEL."""

    candidate: str | None = setting(
        None, "a second model (checkpoint or models:/ reference) for an A/B or shadow rollout", "CANDIDATE_MODEL"
    )
    candidate_share: float = setting(0.1, "share of requests sent to the candidate", "CANDIDATE_SHARE")
    rollout_mode: str = setting(
        "ab", "ab: the candidate answers its share; shadow: it only runs", "ROLLOUT_MODE", ROLLOUT_MODES
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 <= self.candidate_share <= 1:
            raise SettingsError(f"candidate_share={self.candidate_share} must be between 0 and 1")
