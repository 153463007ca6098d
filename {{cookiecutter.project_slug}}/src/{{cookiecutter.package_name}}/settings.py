"""Settings of each command family: every default defined once, read from flags and the environment.

A settings class is a frozen dataclass whose fields carry a default, a help text and, where a
container or a deployment needs it, an environment variable. The command line adds one flag per
field (`add_flags`), and `load` builds the object from whatever sources there are, later winning:

    the field's default  <  its environment variable  <  an explicit value (a flag, or a keyword)

so `serve --max-batch-size 8`, `MAX_BATCH_SIZE=8 uvicorn --factory ...` and
`create_app(max_batch_size=8)` all arrive at the same `ServeSettings`. This module imports nothing
heavy: the command line parses its flags before torch, OpenCV or FastAPI are loaded.
"""

import argparse
import dataclasses
import os
import types
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

from .errors import ProjectError

BACKBONES = (
    "resnet18",
    "resnet50",
    "mobilenet_v3_small",
    "mobilenet_v3_large",
    "efficientnet_b0",
    "convnext_tiny",
)
BACKENDS = ("auto", "torch", "onnxruntime")
DECODERS = ("auto", "opencv", "nvjpeg")
PRECISIONS = ("auto", "bf16", "fp16", "fp32")
TOP_K = 3  # labels per image in `predict` and in the API's answer, unless asked otherwise
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


class SettingsError(ProjectError, ValueError):
    """A setting has a value of the wrong type or outside its range."""


def setting(default: Any, help: str, env: str | None = None, choices: tuple[str, ...] | None = None) -> Any:
    """A settings field: its one default, what it means, and the environment variable that sets it."""
    return dataclasses.field(default=default, metadata={"help": help, "env": env, "choices": choices})


@dataclasses.dataclass(frozen=True)
class Settings:
    """Base of every settings class: checks each field's choices, and each subclass its ranges."""

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            choices = field.metadata.get("choices")
            value = getattr(self, field.name)
            if choices and value not in choices:
                raise SettingsError(f"{field.name}={value!r} must be one of {', '.join(choices)}")

    def at_least(self, name: str, low: float) -> None:
        values = getattr(self, name)
        for value in values if isinstance(values, tuple) else (values,):
            if value < low:
                raise SettingsError(f"{name} must be at least {low}, got {value}")


@dataclasses.dataclass(frozen=True)
class LoaderSettings(Settings):
    """How `predict`, `evaluate` and `bench` read images and where the model runs."""

    batch_size: int = setting(64, "images per batch")
    workers: int = setting(2, "DataLoader decode worker processes (0: decode in the main process)")
    device: str = setting("auto", "auto (cuda > mps > cpu), cpu, cuda, cuda:1, ...")
    backend: str = setting("auto", "auto: ONNX Runtime on a CPU, PyTorch on a GPU", choices=BACKENDS)
    decode: str = setting("auto", "auto: nvjpeg (on the GPU) with CUDA, else opencv", choices=DECODERS)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.at_least("batch_size", 1)
        self.at_least("workers", 0)


@dataclasses.dataclass(frozen=True)
class DecodeLimits(Settings):
    """Images larger than this are refused from their header, before any pixel is decoded, wherever
    images are read (training, `predict`, `evaluate`, the API). 50 megapixels is a large camera's
    photo; decoding it takes about 150 MB as RGB."""

    max_image_pixels: int = setting(
        50_000_000, "largest image accepted, in pixels (width x height)", "MAX_IMAGE_PIXELS"
    )
    max_image_side: int = setting(20_000, "largest width or height accepted, in pixels", "MAX_IMAGE_SIDE")

    def __post_init__(self) -> None:
        super().__post_init__()
        self.at_least("max_image_pixels", 1)
        self.at_least("max_image_side", 1)


@dataclasses.dataclass(frozen=True)
class ServeSettings(Settings):
    """What `serve` and `uvicorn --factory <package>.api.app:app_from_env` serve, and how."""

    checkpoint: str = setting(
        "models/run/best.pt",
        "the checkpoint to serve: a file, or a reference an installed extension resolves",
        "MODEL_PATH",
    )
    host: str = setting("127.0.0.1", "address to listen on (0.0.0.0: every interface)")
    port: int = setting(8000, "port to listen on")
    device: str = setting("auto", "auto (cuda > mps > cpu), cpu, cuda, cuda:1, ...", "DEVICE")
    backend: str = setting("auto", "auto: ONNX Runtime on a CPU, PyTorch on a GPU", "BACKEND", BACKENDS)
    max_upload_bytes: int = setting(
        10 * 1024 * 1024, "largest upload accepted, in bytes (413 above)", "MAX_UPLOAD_BYTES"
    )
    max_batch_size: int = setting(32, "images per shared forward pass (1: no micro-batching)", "MAX_BATCH_SIZE")
    batch_wait_ms: float = setting(0.0, "how long a forming batch waits for more requests", "BATCH_WAIT_MS")

    def __post_init__(self) -> None:
        super().__post_init__()
        self.at_least("max_upload_bytes", 1)
        self.at_least("max_batch_size", 1)
        self.at_least("batch_wait_ms", 0)


@dataclasses.dataclass(frozen=True)
class LoadTestSettings(Settings):
    """`load-test`: what a client of a running `serve` sees with a fixed number of requests in flight."""

    url: str = setting("http://127.0.0.1:8000", "base URL of `serve`")
    image: Path | None = setting(None, "the image file to send; none: a synthetic 500x375 JPEG")
    concurrency: tuple[int, ...] = setting((1, 32), "requests in flight, one run each")
    requests: int = setting(256, "counted requests per run, after a short warm-up")

    def __post_init__(self) -> None:
        super().__post_init__()
        self.at_least("requests", 1)
        self.at_least("concurrency", 1)


@dataclasses.dataclass(frozen=True)
class BenchSettings(LoaderSettings):
    """`bench`: throughput of `predict` (or of training) next to its ceilings."""

    backbone: str = setting("{{ cookiecutter.backbone }}", "torchvision backbone to measure", choices=BACKBONES)
    image_size: int = setting({{ cookiecutter.image_size }}, "square input size in pixels")
    precision: str = setting("auto", "auto (bf16 on recent GPUs, else fp32), bf16, fp16, fp32", choices=PRECISIONS)
    images: int = setting(512, "synthetic JPEGs in the corpus")
    corpus_root: Path = setting(Path("runs/bench"), "where the corpus is written once and reused")
    compile: bool = setting(False, "wrap the model in torch.compile")
    train: bool = setting(False, "measure the training step instead of inference")

    def __post_init__(self) -> None:
        super().__post_init__()
        self.at_least("images", 1)


def _base_type(hint: Any) -> Any:
    """`int | None` -> int; `tuple[int, ...]` -> tuple; anything else unchanged."""
    if isinstance(hint, types.UnionType):
        hint = next(arg for arg in get_args(hint) if arg is not type(None))
    return get_origin(hint) or hint


def _element_type(hint: Any) -> Any:
    """`tuple[int, ...]` -> int (the type of each item); str for anything else."""
    if isinstance(hint, types.UnionType):
        hint = next(arg for arg in get_args(hint) if arg is not type(None))
    return (get_args(hint) or (str,))[0]


def _parse(text: str, kind: Any) -> Any:
    if kind is bool:
        if text.strip().lower() not in _TRUE + _FALSE:
            raise ValueError(text)
        return text.strip().lower() in _TRUE
    return kind(text)


def _converter(hint: Any, name: str):
    """A function that turns a flag's or an environment variable's text into the field's type."""
    kind, item = _base_type(hint), _element_type(hint)

    def convert(value: Any) -> Any:
        try:
            if kind is tuple:
                parts = value.split(",") if isinstance(value, str) else value
                return tuple(_parse(p.strip(), item) if isinstance(p, str) else p for p in parts if str(p).strip())
            return _parse(value, kind) if isinstance(value, str) else value
        except ValueError:
            raise SettingsError(f"{name}={value!r} is not a valid {getattr(kind, '__name__', kind)}") from None

    convert.__name__ = getattr(kind, "__name__", "value")  # argparse names it in "invalid int value"
    return convert


def load(cls: type, options: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None):
    """An instance of settings class `cls`: defaults < environment variables < `options` (not None)."""
    options = options or {}
    environ = os.environ if environ is None else environ
    hints = get_type_hints(cls)
    values = {}
    for field in dataclasses.fields(cls):
        env = field.metadata.get("env")
        if options.get(field.name) is not None:
            values[field.name] = _converter(hints[field.name], field.name)(options[field.name])
        elif env and environ.get(env, "") != "":
            values[field.name] = _converter(hints[field.name], env)(environ[env])
    return cls(**values)


def names(classes: Iterable[type]) -> set[str]:
    """The field names of settings classes: what a caller may pass as options."""
    return {field.name for cls in classes for field in dataclasses.fields(cls)}


def add_flags(parser: argparse.ArgumentParser, cls: type, skip: Iterable[str] = ()) -> None:
    """One `--flag` per field of `cls` (except `skip`), defaulting to None so that `load` decides."""
    hints = get_type_hints(cls)
    for field in dataclasses.fields(cls):
        if field.name in skip:
            continue
        env = field.metadata.get("env")
        default = field.default
        shown = " ".join(map(str, default)) if isinstance(default, tuple) else default
        help_text = f"{field.metadata['help']} (default: {shown}{f'; env {env}' if env else ''})"
        flag = "--" + field.name.replace("_", "-")
        kind = _base_type(hints[field.name])
        if kind is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=help_text)
        elif kind is tuple:
            item = _converter(_element_type(hints[field.name]), flag)
            parser.add_argument(flag, type=item, nargs="+", default=None, help=help_text)
        else:
            kind = _converter(hints[field.name], flag)
            choices = field.metadata.get("choices")
            parser.add_argument(flag, type=kind, choices=choices, default=None, help=help_text)


def options(args: argparse.Namespace) -> dict[str, Any]:
    """The values given on the command line, as options for `load`."""
    return {name: value for name, value in vars(args).items() if value is not None}
