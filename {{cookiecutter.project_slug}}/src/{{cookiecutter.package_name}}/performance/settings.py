"""The performance tier's settings, each default defined once (see the core's settings.py).

Light on purpose: the command line reads these classes to build its flags before anything heavy
is imported.
"""

import dataclasses

from ..settings import Settings, SettingsError, setting

CALIBRATION_METHODS = ("minmax", "percentile", "entropy")


@dataclasses.dataclass(frozen=True)
class QuantizeSettings(Settings):
    """`quantize`: post-training INT8 quantization of the ONNX graph, kept only if accurate enough."""

    max_accuracy_drop: float = setting(
        1.0, "largest top-1 accuracy drop on the validation set, in points, for the INT8 graph to be kept"
    )
    calibration_images: int = setting(256, "training images whose activations set the INT8 ranges")
    calibration_method: str = setting("minmax", "how activation ranges are chosen", choices=CALIBRATION_METHODS)
    per_channel: bool = setting(True, "one scale per output channel of each weight (better accuracy for CNNs)")
    reduce_range: bool = setting(
        True, "7-bit weights: avoids saturation on x86 CPUs without VNNI (AVX2 only); off for VNNI/ARM"
    )
    batch_size: int = setting(32, "images per batch for calibration, scoring and timing")
    timing_batches: int = setting(8, "batches timed per graph for the images/s figures")

    def __post_init__(self) -> None:
        super().__post_init__()
        self.at_least("calibration_images", 1)
        self.at_least("batch_size", 1)
        self.at_least("timing_batches", 1)
        if self.max_accuracy_drop < 0:
            raise SettingsError(f"max_accuracy_drop={self.max_accuracy_drop} must be 0 or more (points of top-1)")


@dataclasses.dataclass(frozen=True)
class CapacitySettings(Settings):
    """`capacity`: replicas and batch settings for a target load, from measured figures."""

    target_rps: float | None = setting(None, "requests per second the fleet must serve")
    target_p99_ms: float | None = setting(None, "99th percentile latency the fleet must stay under, in ms")
    headroom: float = setting(0.3, "share of each replica's measured capacity kept free (bursts, a slow node)")
    min_replicas: int = setting(2, "never fewer replicas than this (one may fail or be redeployed)")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.target_rps is None or self.target_rps <= 0:
            raise SettingsError("target_rps must be given and above 0 (requests per second)")
        if self.target_p99_ms is None or self.target_p99_ms <= 0:
            raise SettingsError("target_p99_ms must be given and above 0 (milliseconds)")
        if not 0 <= self.headroom < 1:
            raise SettingsError(f"headroom={self.headroom} must be at least 0 and below 1")
        self.at_least("min_replicas", 1)
