"""Experiment tracking: one MLflow run per training run, fed by the training loop's callbacks.

The run holds the config as params and as `config.yaml`, the per-epoch metrics, the evaluation of
the best checkpoint (metrics and confusion matrix PNG), training curves drawn with OpenCV, and a
`model/` folder (a slim `best.pt` plus the drift reference profile) that can be registered.
"""

import logging
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from ..config import Config
from ..extensions import TrainingCallback
from ..inference.evaluate import evaluate_checkpoint
from ..models.checkpoint import load_checkpoint, save_checkpoint
from ..settings import LoaderSettings
from ..training.train import TrainResult
from ..utils.atomic import atomic_write
from . import MlopsError, registry
from .drift import PROFILE_NAME
from .store import Metric, Param, client, mlflow_errors

log = logging.getLogger(__name__)
# What the registered checkpoint keeps of a training checkpoint: no optimizer or scheduler state.
MODEL_KEYS = ("model", "class_names", "config", "preprocessing", "epoch", "best_accuracy", "history")


def flatten(tree: dict, prefix: str = "") -> dict[str, object]:
    """{"train": {"lr": 0.1}} -> {"train.lr": 0.1}"""
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _panel(values: Sequence[float], title: str, color: tuple[int, int, int], width: int, height: int) -> np.ndarray:
    canvas = np.full((height, width, 3), 255, np.uint8)
    left, right, top, bottom = 60, 20, 36, 34
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    steps = max(1, len(values) - 1)
    points = np.array(
        [
            (left + (width - left - right) * i / steps, top + (height - top - bottom) * (high - v) / span)
            for i, v in enumerate(values)
        ],
        np.int32,
    )
    font, black, grey = cv2.FONT_HERSHEY_SIMPLEX, (0, 0, 0), (120, 120, 120)
    cv2.rectangle(canvas, (left, top), (width - right, height - bottom), grey, 1)
    cv2.polylines(canvas, [points], False, color, 2, cv2.LINE_AA)
    for x, y in points:
        cv2.circle(canvas, (int(x), int(y)), 3, color, -1, cv2.LINE_AA)
    cv2.putText(canvas, title, (left, 24), font, 0.6, black, 1, cv2.LINE_AA)
    cv2.putText(canvas, f"{high:.3g}", (4, top + 5), font, 0.4, black, 1, cv2.LINE_AA)
    cv2.putText(canvas, f"{low:.3g}", (4, height - bottom), font, 0.4, black, 1, cv2.LINE_AA)
    cv2.putText(canvas, "epoch 1", (left, height - 12), font, 0.4, black, 1, cv2.LINE_AA)
    cv2.putText(canvas, f"epoch {len(values)}", (width - right - 70, height - 12), font, 0.4, black, 1, cv2.LINE_AA)
    return canvas


def render_training_curves(history: Sequence[dict], width: int = 960, height: int = 320) -> np.ndarray:
    """Train loss and val accuracy per epoch, side by side, as a BGR image."""
    if not history:
        raise ValueError("no epochs to draw")
    loss = _panel([h["train_loss"] for h in history], "train loss", (40, 40, 220), width // 2, height)
    accuracy = _panel([h["val_accuracy"] for h in history], "val accuracy", (40, 160, 40), width // 2, height)
    return np.hstack([loss, accuracy])


def write_png(image: np.ndarray, path: Path) -> Path:
    ok, png = cv2.imencode(".png", image)
    if not ok:
        raise RuntimeError(f"OpenCV could not encode {path.name}")
    return atomic_write(path, lambda handle: handle.write(png.tobytes()))


class MlflowTracker(TrainingCallback):
    """Log one training run to MLflow, and optionally register its model (a TrainingCallback)."""

    def __init__(self, experiment: str, register_as: str | None = None):
        self.experiment = experiment
        self.register_as = register_as
        self.client = self.run_id = self.cfg = None
        self.registered_version: str | None = None

    def on_train_start(self, cfg: Config) -> None:
        self.cfg = cfg
        self.client = client(create=True)
        with mlflow_errors(f"starting a run in experiment {self.experiment!r}"):
            experiment = self.client.get_experiment_by_name(self.experiment)
            experiment_id = experiment.experiment_id if experiment else self.client.create_experiment(self.experiment)
            self.run_id = self.client.create_run(
                experiment_id, tags={"output_dir": str(cfg.train.output_dir)}
            ).info.run_id
            self._log(params={key: str(value) for key, value in flatten(cfg.to_plain()).items()})
            self.client.log_dict(self.run_id, cfg.to_plain(), "config.yaml")
        log.info("tracking run %s in experiment %r", self.run_id, self.experiment)

    def on_epoch_end(self, record: dict) -> None:
        metrics = {key: value for key, value in record.items() if key != "epoch"}
        with mlflow_errors(f"logging epoch {record['epoch']}"):
            self._log(metrics=metrics, step=record["epoch"])

    def on_train_end(self, result: TrainResult | None) -> None:
        if result is None:
            self._finish("FAILED")
            return
        try:
            self._log_outputs(result)
        except BaseException:
            self._finish("FAILED")
            raise
        self._finish("FINISHED")

    def _log(self, params: dict | None = None, metrics: dict | None = None, step: int = 0) -> None:
        now = int(time.time() * 1000)
        self.client.log_batch(
            self.run_id,
            metrics=[Metric(key, float(value), now, step) for key, value in (metrics or {}).items()],
            params=[Param(key, value) for key, value in (params or {}).items()],
        )

    def _log_outputs(self, result: TrainResult) -> None:
        cfg, out = self.cfg, Path(result.output_dir)
        best = out / "best.pt"
        loader = LoaderSettings(batch_size=cfg.data.batch_size, workers=cfg.data.num_workers, device=cfg.train.device)
        report = evaluate_checkpoint(best, cfg.data.root / "val", out / "evaluation", loader)
        write_png(render_training_curves(result.history), out / "training_curves.png")
        with mlflow_errors("logging the run's results"), tempfile.TemporaryDirectory() as tmp:
            self._log(metrics={"best_val_accuracy": result.best_accuracy, "eval_accuracy": report["accuracy"]})
            for name in ("history.json", "training_curves.png"):
                self.client.log_artifact(self.run_id, str(out / name))
            self.client.log_artifacts(self.run_id, str(out / "evaluation"), "evaluation")
            model_dir = Path(tmp) / registry.MODEL_ARTIFACT
            state = load_checkpoint(best)
            save_checkpoint(
                {key: state[key] for key in MODEL_KEYS if key in state}, model_dir / registry.CHECKPOINT_NAME
            )
            shutil.copy2(out / "config.yaml", model_dir / "config.yaml")
            if (out / PROFILE_NAME).is_file():
                shutil.copy2(out / PROFILE_NAME, model_dir / PROFILE_NAME)
            self.client.log_artifacts(self.run_id, str(model_dir), registry.MODEL_ARTIFACT)
        if self.register_as:
            self.registered_version = registry.register(self.run_id, self.register_as)
            with mlflow_errors("tagging the run"):
                self.client.set_tag(self.run_id, "registered_version", f"{self.register_as}/{self.registered_version}")
            log.info("registered %s version %s", self.register_as, self.registered_version)

    def _finish(self, status: str) -> None:
        """Close the run. Closing a failed run never raises: the failure is what needs reporting."""
        if self.run_id is None:
            return
        try:
            with mlflow_errors(f"closing run {self.run_id}"):
                self.client.set_terminated(self.run_id, status)
        except MlopsError as error:
            if status == "FINISHED":
                raise
            log.warning("%s", error)
