"""Data drift: a reference profile of the training data, and per-feature tests of new images against it.

Each image becomes a few numbers: its stored width and height; the brightness (mean), contrast
(standard deviation) and sharpness (variance of the Laplacian) of the grey square the model sees;
and the model's confidence (its top class probability). A profile keeps these numbers for up to
`max_images` images. After training, the image statistics come from the training split and the
confidences from the validation split: the model has fitted its training images, so confidences
on them would be higher than on any fresh sample.

A feature drifts when the two-sample Kolmogorov-Smirnov test rejects "same distribution"
(p < `p_value`) and the population stability index calls the change large (PSI > `psi_threshold`).
The test alone flags tiny shifts in large samples; PSI alone is noisy in small ones.
"""

import json
import logging
import tempfile
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from .. import extensions
from ..data.dataset import list_images, scan_image_folder
from ..data.image import ImageDecodeError, load_image
from ..data.transforms import resize
from ..extensions import TrainingCallback
from ..inference.predict import Predictor
from ..training.train import TrainResult
from ..utils.atomic import atomic_write_json
from . import MlopsError
from .settings import DriftSettings

log = logging.getLogger(__name__)
PROFILE_NAME = "reference_profile.json"
PROFILE_FORMAT = 1
FEATURES = ("width", "height", "brightness", "contrast", "sharpness", "confidence")
DEFAULTS = DriftSettings()
PSI_BINS = 10


def describe(image: np.ndarray, square: np.ndarray) -> dict[str, float]:
    """The image statistics of one decoded image and its resized square (the model's input)."""
    grey = cv2.cvtColor(square, cv2.COLOR_RGB2GRAY)
    return {
        "width": float(image.shape[1]),
        "height": float(image.shape[0]),
        "brightness": float(grey.mean()),
        "contrast": float(grey.std()),
        "sharpness": float(cv2.Laplacian(grey, cv2.CV_64F).var()),
    }


def sample_paths(paths: Sequence[Path], max_images: int, seed: int = 0) -> list[Path]:
    """All paths, or a fixed random `max_images` of them."""
    paths = sorted(paths)
    if len(paths) <= max_images:
        return paths
    chosen = np.random.default_rng(seed).choice(len(paths), max_images, replace=False)
    return [paths[i] for i in sorted(chosen)]


def measure(paths: Sequence[Path], predictor: Predictor, batch_size: int = 64) -> tuple[dict[str, list], dict]:
    """Feature values of every readable image, and {path: reason} for the unreadable ones."""
    values: dict[str, list] = {name: [] for name in FEATURES}
    unreadable = {}
    for start in range(0, len(paths), batch_size):
        squares = []
        for path in paths[start : start + batch_size]:
            try:
                image = load_image(path)
            except ImageDecodeError as error:
                unreadable[str(path)] = str(error)
                continue
            squares.append(resize(image, predictor.image_size))
            for name, value in describe(image, squares[-1]).items():
                values[name].append(value)
        if squares:
            values["confidence"] += [row[0]["probability"] for row in predictor.predict_arrays(squares, k=1)]
    return values, unreadable


def _summary(values: np.ndarray) -> dict[str, float]:
    p05, p50, p95 = (float(q) for q in np.quantile(values, [0.05, 0.5, 0.95]))
    return {"mean": float(values.mean()), "std": float(values.std()), "p05": p05, "p50": p50, "p95": p95}


def build_profile(
    images: Sequence[Path],
    predictor: Predictor,
    confidence_images: Sequence[Path] | None = None,
    max_images: int = DEFAULTS.max_images,
) -> dict:
    """Profile `images`; confidences come from `confidence_images` (held-out images) when given."""
    values, unreadable = measure(sample_paths(images, max_images), predictor)
    if confidence_images:
        held_out, more_unreadable = measure(sample_paths(confidence_images, max_images), predictor)
        values["confidence"], unreadable = held_out["confidence"], {**unreadable, **more_unreadable}
    empty = [name for name in FEATURES if not values[name]]
    if empty:
        raise ValueError(f"no readable images to profile ({', '.join(empty)} has no values)")
    features = {}
    for name in FEATURES:
        array = np.asarray(values[name], dtype=np.float64)
        features[name] = {"count": len(array), **_summary(array), "values": [round(v, 6) for v in array.tolist()]}
    return {
        "format": PROFILE_FORMAT,
        "image_size": predictor.image_size,
        "class_names": predictor.class_names,
        "unreadable": len(unreadable),
        "features": features,
    }


def write_profile(profile: dict, path: Path) -> Path:
    return atomic_write_json(path, profile)


def read_profile(path: Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: no reference profile (training writes one beside best.pt; `profile` makes one for any model)"
        )
    profile = json.loads(path.read_text())
    missing = [name for name in FEATURES if name not in profile.get("features", {})]
    if profile.get("format") != PROFILE_FORMAT or missing:
        raise ValueError(f"{path}: not a format-{PROFILE_FORMAT} reference profile (missing {missing or 'format'})")
    return profile


def population_stability_index(reference: Sequence[float], current: Sequence[float], bins: int = PSI_BINS) -> float:
    """PSI = sum((current - reference) * ln(current / reference)) over bins of the reference.

    Bins are cut at the reference's deciles; a feature with few distinct values (image sizes) gets
    one bin per value plus one for anything else, so a new value counts as a change.
    """
    reference, current = np.asarray(reference, np.float64), np.asarray(current, np.float64)
    distinct = np.unique(reference)
    if len(distinct) <= bins:
        position = np.minimum(np.searchsorted(distinct, current), len(distinct) - 1)
        current_bins = np.where(distinct[position] == current, position, len(distinct))
        reference_bins = np.searchsorted(distinct, reference)
        count = len(distinct) + 1
    else:
        edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1]))
        current_bins = np.searchsorted(edges, current, side="right")
        reference_bins = np.searchsorted(edges, reference, side="right")
        count = len(edges) + 1
    expected = np.bincount(reference_bins, minlength=count) / len(reference)
    actual = np.bincount(current_bins, minlength=count) / len(current)
    expected, actual = np.clip(expected, 1e-4, None), np.clip(actual, 1e-4, None)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def compare(
    profile: dict,
    current: dict[str, list],
    p_value: float = DEFAULTS.p_value,
    psi_threshold: float = DEFAULTS.psi_threshold,
) -> dict:
    """Test every feature of `current` against the profile; `drift` is True if any feature drifted."""
    try:
        from scipy.stats import ks_2samp
    except ModuleNotFoundError as error:
        raise MlopsError(f"drift tests need SciPy ({error.name} is not installed): pip install -e '.[mlops]'") from None
    if not current["confidence"]:
        raise ValueError("no readable images to compare with the reference")
    features = {}
    for name in FEATURES:
        reference, values = profile["features"][name]["values"], current[name]
        test = ks_2samp(reference, values)
        psi = population_stability_index(reference, values)
        features[name] = {
            "ks_statistic": round(float(test.statistic), 6),
            "p_value": float(test.pvalue),
            "psi": round(psi, 6),
            "reference_count": profile["features"][name]["count"],
            "reference_mean": profile["features"][name]["mean"],
            "current_mean": float(np.mean(values)),
            "drift": bool(test.pvalue < p_value and psi > psi_threshold),
        }
    drifted = [name for name, result in features.items() if result["drift"]]
    return {
        "drift": bool(drifted),
        "drifted_features": drifted,
        "thresholds": {"p_value": p_value, "psi": psi_threshold},
        "current_images": len(current["confidence"]),
        "features": features,
    }


def check_drift(
    checkpoint: str | Path,
    data: Sequence[Path],
    reference: Path | None = None,
    device: str = "auto",
    settings: DriftSettings = DEFAULTS,
) -> dict:
    """Compare the images in `data` with the model's reference profile (beside the checkpoint,
    in the registered version's files, or at `reference`)."""
    with tempfile.TemporaryDirectory(prefix="drift-") as tmp:
        local = extensions.resolve_checkpoint(checkpoint, Path(tmp))
        profile = read_profile(reference or local.with_name(PROFILE_NAME))
        predictor = Predictor.from_checkpoint(local, device)
    values, unreadable = measure(sample_paths(list_images(data), settings.max_images), predictor)
    report = compare(profile, values, settings.p_value, settings.psi_threshold)
    return {"checkpoint": str(checkpoint), "data": [str(d) for d in data], **report, "unreadable": unreadable}


class ReferenceProfiler(TrainingCallback):
    """Training callback: profile the data with the best model and save the profile beside best.pt."""

    def __init__(self, max_images: int = DEFAULTS.max_images):
        self.max_images = max_images
        self.cfg = None

    def on_train_start(self, cfg) -> None:
        self.cfg = cfg

    def on_train_end(self, result: TrainResult | None) -> None:
        if result is None:
            return
        out = Path(result.output_dir)
        predictor = Predictor.from_checkpoint(out / "best.pt", self.cfg.train.device)
        train_samples, _ = scan_image_folder(self.cfg.data.root / "train", predictor.class_names)
        val_samples, _ = scan_image_folder(self.cfg.data.root / "val", predictor.class_names)
        profile = build_profile(
            [path for path, _ in train_samples], predictor, [path for path, _ in val_samples], self.max_images
        )
        write_profile(profile, out / PROFILE_NAME)
        log.info("reference profile of %d images written to %s", profile["features"]["width"]["count"], out)
