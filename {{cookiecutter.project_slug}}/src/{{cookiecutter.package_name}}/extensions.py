"""The seam between the core and the tiers: what a tier may contribute, and where the core finds it.

The core never imports a tier. A tier's Python code is a subpackage `src/<package>/<area>/` whose
`extension.py` defines one `EXTENSION = Extension(...)`, and `INSTALLED` names the subpackages
this project has. The template writes that list from its tier table when it generates the
project, so a tier that was not chosen leaves no import, guard or branch behind. Your own
subpackage plugs in the same way: give it an `extension.py` and add its name to `INSTALLED`.

The core calls the functions at the end of this module, at these places:

    the command line     add_commands          new commands, and options on the core's commands
    training             training_callbacks    observers of a run (tracking, drift profiles)
    checkpoint loading   resolve_checkpoint    a reference such as models:/name@alias -> a local file
    the config loader    config_overlays       mappings laid over the base config (environments)
    loading a predictor  onnx_graph            a graph a checkpoint carries, run by ONNX Runtime instead
                                               of the exported fp32 one (an INT8 graph from `quantize`)
    the API              serving_wrappers      wrappers around the serving strategy (or replacements of it)
                         setup_api             routers and middleware
    anywhere             emit                  an event that happened (training finished, a model
                                               promoted, ...), for whoever listens (`on_event`)

Events named so far (an emitter adds its own; listeners ignore names they do not know):
    training_finished   best_accuracy, epochs, output_dir          (core, rank 0, after a run)
    drift_detected      checkpoint, drifted_features, report       (mlops `drift`)
    model_promoted      name, alias, version, previous             (mlops `promote`, `rollback`; `retrain`)
    predictions_written images, unreadable, seconds, out           (core `predict`, after writing its output)
    validation_failed   report, data, defects (check -> count)     (data_engineering `validate`)

An `extension.py` must import nothing heavy (torch, OpenCV, FastAPI...) at module level: every
command, `--help` included, loads the installed extensions.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The subpackages plugged into the seam, in the order their hooks run (written from the tier table).
{%- set tier_names = cookiecutter._tiers | map(attribute="tier") | list %}
{%- set packages = [] %}
{%- for entry in cookiecutter._tiers[: tier_names.index(cookiecutter.tier) + 1] %}{% for name in entry.packages %}{% set _ = packages.append(name) %}{% endfor %}{% endfor %}
{%- if packages %}
INSTALLED: tuple[str, ...] = (
{%- for name in packages %}
    "{{ name }}",
{%- endfor %}
)
{%- else %}
INSTALLED: tuple[str, ...] = ()
{%- endif %}

log = logging.getLogger(__name__)
_REFERENCE = re.compile(r"^([a-z][a-z0-9+.-]*):/")


class TrainingCallback:
    """An observer of a training run, called on rank 0 only; override what you need.

    `on_train_end` gets None when training failed (after the callbacks that had started); an
    exception raised by a callback stops training with that error.
    """

    def on_train_start(self, cfg: Any) -> None:
        """Before the first epoch, with the validated config."""

    def on_epoch_end(self, record: dict) -> None:
        """After each epoch's checkpoint is written, with that epoch's row of the history."""

    def on_train_end(self, result: Any) -> None:
        """After the last epoch with the `TrainResult`, or with None if training failed."""


# (reference, a folder the caller deletes after reading) -> the checkpoint file it names
Resolver = Callable[[str, Path], Path]


@dataclass(frozen=True)
class Extension:
    """What one subpackage contributes; every part is optional."""

    name: str
    add_commands: Callable[[argparse._SubParsersAction], None] | None = None
    training_callbacks: Callable[[argparse.Namespace], Sequence[TrainingCallback]] | None = None
    checkpoint_resolvers: Mapping[str, Resolver] = field(default_factory=dict)
    config_overlay: Callable[[Path], tuple[str, dict] | None] | None = None
    # (serve options) -> a function that wraps (or replaces) the serving strategy built so far, or None
    serving: Callable[[Mapping[str, Any]], Callable | None] | None = None
    setup_api: Callable[[Any, Mapping[str, Any]], None] | None = None
    # The settings classes `serving` and `setup_api` read: their fields are valid serve options.
    settings: tuple[type, ...] = ()
    # (event name, details) -> None: hears every `emit`; must not raise (a failure is logged, never fatal)
    on_event: Callable[[str, Mapping[str, Any]], None] | None = None
    # (checkpoint state) -> a serialised ONNX graph (uint8 images in, logits out) to run on ONNX
    # Runtime instead of exporting the model's, or None; the extension vouches for its accuracy
    onnx_graph: Callable[[Mapping[str, Any]], bytes | None] | None = None
    # Environment variables under which the core's tests run untouched by this extension
    # (tests/conftest.py sets them; the extension's own tests set what they need).
    test_environment: Mapping[str, str] = field(default_factory=dict)


@functools.cache
def installed() -> tuple[Extension, ...]:
    """The `EXTENSION` of every subpackage in `INSTALLED`, imported once."""
    return tuple(importlib.import_module(f"{__package__}.{name}.extension").EXTENSION for name in INSTALLED)


def add_commands(commands: argparse._SubParsersAction) -> None:
    for extension in installed():
        if extension.add_commands:
            extension.add_commands(commands)


def training_callbacks(args: argparse.Namespace) -> list[TrainingCallback]:
    return [
        callback
        for extension in installed()
        if extension.training_callbacks
        for callback in extension.training_callbacks(args)
    ]


def resolve_checkpoint(reference: str | Path, workdir: Path) -> Path:
    """The local checkpoint file `reference` names: itself, or what an extension resolves it to.

    A reference of the form `scheme:/...` that no installed extension resolves is refused with the
    schemes this project knows, rather than looked up as a file that cannot exist.
    """
    text = str(reference)
    resolvers = {prefix: resolve for ext in installed() for prefix, resolve in ext.checkpoint_resolvers.items()}
    for prefix, resolve in resolvers.items():
        if text.startswith(prefix):
            return Path(resolve(text, Path(workdir)))
    scheme = _REFERENCE.match(text)
    if scheme and not Path(text).exists():
        known = ", ".join(sorted(resolvers)) or "none, only checkpoint files"
        raise FileNotFoundError(f"{text}: no installed extension resolves {scheme[1]}:/ references (known: {known})")
    return Path(reference)


def config_overlays(config_path: Path) -> list[tuple[str, dict]]:
    """(source, mapping) of every overlay the extensions lay over a base config, in order."""
    overlays = []
    for extension in installed():
        if extension.config_overlay:
            overlay = extension.config_overlay(Path(config_path))
            if overlay is not None:
                overlays.append(overlay)
    return overlays


def serving_wrappers(options: Mapping[str, Any]) -> list[Callable]:
    """The wrappers these options ask for, in INSTALLED order: the app applies each in turn to the
    strategy built so far, starting from the single model (api/serving.py)."""
    return [
        wrap
        for extension in installed()
        if extension.serving
        for wrap in [extension.serving(options)]
        if wrap is not None
    ]


def onnx_graph(state: Mapping[str, Any]) -> bytes | None:
    """The graph the first extension that recognises this checkpoint supplies, or None: export as usual."""
    for extension in installed():
        if extension.onnx_graph:
            graph = extension.onnx_graph(state)
            if graph is not None:
                return graph
    return None


def setup_api(app: Any, options: Mapping[str, Any]) -> None:
    for extension in installed():
        if extension.setup_api:
            extension.setup_api(app, options)


def emit(event: str, **details: Any) -> None:
    """Tell every listening extension that `event` happened. A listener that fails is logged and
    skipped: telling others about work must never undo the work."""
    for extension in installed():
        if extension.on_event:
            try:
                extension.on_event(event, details)
            except Exception:
                log.exception("extension %s failed to handle event %s", extension.name, event)


def test_environment() -> dict[str, str]:
    return {name: value for extension in installed() for name, value in extension.test_environment.items()}


def settings_classes() -> tuple[type, ...]:
    """The settings classes the extensions read when serving."""
    return tuple(cls for extension in installed() for cls in extension.settings)
