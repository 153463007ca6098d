"""The pipeline's data parameters: the `validate` and `split` sections of the parameter file.

Every key is required and checked before any file is read, like the training config: the file is
the one place their values live (DVC tracks it, so changing a value reruns the stages that read
it). Training parameters are not here: they stay in configs/, which the pipeline reads directly.
"""

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from . import DataError

CHECKS = {
    "unreadable": "the bytes do not decode as an image",
    "truncated": "the file ends before its image data does",
    "too_small": "narrower than validate.min_width or shorter than validate.min_height",
    "channels": "a channel count that validate.channels does not allow",
    "corrupt_exif": "an EXIF block that does not parse",
    "duplicate": "the same bytes more than once (with the same or conflicting labels)",
    "near_duplicate": "perceptually the same image in two splits: leakage between train, val and test",
    "empty_label": "no label",
    "unknown_label": "a label that validate.classes does not list, or that cannot be a folder name",
    "imbalance": "the largest class holds more than validate.max_class_ratio times the smallest",
}
Check = Literal[tuple(CHECKS)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ValidationParams(_Strict):
    min_width: int = Field(ge=1)
    min_height: int = Field(ge=1)
    channels: list[Literal[1, 3, 4]] = Field(min_length=1, description="channel counts allowed as stored")
    max_class_ratio: float = Field(ge=1)
    near_duplicate_hash_size: int = Field(ge=4, le=32, description="side of the perceptual hash: size**2 bits")
    near_duplicate_max_distance: int = Field(ge=0, description="Hamming distance at or below which images match")
    classes: list[str] = Field(description="the labels allowed; empty: any label")
    warn_only: list[Check] = Field(description="checks that are reported but do not fail validation")


class SplitParams(_Strict):
    val_fraction: float = Field(ge=0, lt=1)
    test_fraction: float = Field(ge=0, lt=1)
    salt: str = Field(description="mixed into each file's hash; changing it reshuffles every file")

    @model_validator(mode="after")
    def _train_keeps_some(self) -> "SplitParams":
        if self.val_fraction + self.test_fraction >= 1:
            raise ValueError("val_fraction + test_fraction must leave a share for train")
        return self


class DataParams(_Strict):
    validate_: ValidationParams = Field(alias="validate")
    split: SplitParams


def load_params(path: Path) -> DataParams:
    """The `validate` and `split` sections of `path` (other sections are the business of others)."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: parameter file not found (the project's is params.yaml, beside dvc.yaml)")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise DataError(f"{path}: not valid YAML ({error})") from None
    if not isinstance(raw, dict):
        raise DataError(f"{path}: expected a mapping of sections, got {type(raw).__name__}")
    try:
        return DataParams.model_validate({key: raw.get(key) for key in ("validate", "split")})
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise DataError(f"{path}: {problems}") from None
