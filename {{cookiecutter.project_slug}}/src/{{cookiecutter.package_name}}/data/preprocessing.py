"""The preprocessing spec: how an image's pixels become the model's input, saved with the model.

Training writes it into every checkpoint; `predict`, `evaluate`, the API and the GPU decoder read
it back from there, so no inference path can disagree with training about the input size, the
crop, the normalisation or the channel order.
"""

from dataclasses import asdict, dataclass

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
RESIZE = "shorter-side-then-center-crop"


@dataclass(frozen=True)
class Preprocessing:
    """Decoded RGB uint8 -> resize -> crop -> uint8 NCHW batch; the model normalises on its device."""

    image_size: int  # the square side the model sees
    resize: str = RESIZE  # scale the shorter side to image_size, then take the centre square
    mean: tuple[float, float, float] = IMAGENET_MEAN  # per channel, of pixel values scaled to 0..1
    std: tuple[float, float, float] = IMAGENET_STD
    channels: str = "RGB"
    dtype: str = "uint8"

    def __post_init__(self) -> None:
        if self.resize != RESIZE or self.channels != "RGB" or self.dtype != "uint8":
            raise ValueError(f"unsupported preprocessing {self}: this project reads {RESIZE}, RGB, uint8")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_checkpoint(cls, state: dict) -> "Preprocessing":
        """The spec a checkpoint was trained with (checkpoints before 0.3.0 only had the config's size)."""
        spec = state.get("preprocessing")
        if spec is None:
            return cls(state["config"]["data"]["image_size"])
        return cls(**{**spec, "mean": tuple(spec["mean"]), "std": tuple(spec["std"])})
