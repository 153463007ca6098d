"""Making an archive: the files `backup.yaml` names, a checksum for each, and the answers of every
model in it on a fixed set of images, so that a restore can prove the models came back intact.

    <prefix>-backup-20261129T181500Z.tar.gz          the archive
        MANIFEST.json                                 format, project, root, files (sha256, size, kind),
                                                      verification images and expected predictions
        files/<path relative to the project>          the backed-up files
        verification/<NN>.png                         the fixed images
    <prefix>-backup-20261129T181500Z.tar.gz.sha256    the archive's own checksum (sha256sum format)

SQLite databases (the registry's `mlruns.db`) are copied with SQLite's online backup, so a store in
use is captured consistent; every other file is copied as it is.
"""

import fnmatch
import hashlib
import io
import json
import logging
import sqlite3
import tarfile
import tempfile
from datetime import datetime
from pathlib import Path

import yaml

from .. import __version__
from . import BackupError
from .retention import UTC, archive_name

log = logging.getLogger(__name__)
FORMAT = 1
MANIFEST = "MANIFEST.json"
VERIFY_IMAGES = 8
_CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def load_sources(path: Path) -> dict[str, list[str]]:
    """{kind: [glob, ...]} from backup.yaml, checked."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: no backup sources file (backup/backup.yaml in the project lists them)")
    data = yaml.safe_load(Path(path).read_text()) or {}
    if not isinstance(data, dict) or not all(
        isinstance(p, list) and all(isinstance(g, str) for g in p) for p in data.values()
    ):
        raise BackupError(f"{path}: expected a mapping of kind -> list of glob patterns")
    return data


def _matches(relative: str, pattern: str) -> bool:
    """Glob with `**` for any depth (`models/**` is everything under models/)."""
    if pattern.endswith("/**"):
        return relative.startswith(pattern[:-2])
    if pattern.startswith("**/"):
        return fnmatch.fnmatchcase(relative, pattern[3:]) or fnmatch.fnmatchcase(Path(relative).name, pattern[3:])
    return fnmatch.fnmatchcase(relative, pattern)


SKIPPED_DIRS = {".git", ".venv", "__pycache__", "node_modules", ".dvc/cache", ".dvc/tmp"}


def collect(root: Path, sources: dict[str, list[str]]) -> dict[str, str]:
    """{relative path: kind} of every file under `root` that a pattern names (first kind wins)."""
    root = Path(root)
    chosen: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if any(relative == d or relative.startswith(f"{d}/") for d in SKIPPED_DIRS) or not path.is_file():
            continue
        if path.name.startswith(".env") and not path.name.endswith(".example"):
            continue  # secrets are never archived
        for kind, patterns in sources.items():
            if any(_matches(relative, pattern) for pattern in patterns):
                chosen[relative] = kind
                break
    return chosen


def is_sqlite(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(16) == b"SQLite format 3\x00"


def _snapshot(path: Path, folder: Path) -> Path:
    """A consistent copy of a SQLite database, even while another process writes to it."""
    copy = folder / f"{hashlib.sha256(str(path).encode()).hexdigest()[:16]}.db"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    return copy


def verification_images(folder: Path, given: Path | None) -> list[Path]:
    """The fixed set: up to 8 of the given images (sorted), or 8 synthetic shapes, as PNG files."""
    import cv2

    from ..data.dataset import list_images
    from ..data.image import load_image
    from ..data.synthetic import make_demo_data

    if given is not None:
        sources = list_images([given])[:VERIFY_IMAGES]
        if not sources:
            raise BackupError(f"{given}: no images to verify restored models on")
    else:
        demo = make_demo_data(folder / "synthetic", per_class_train=2, per_class_val=0, size=64, seed=20)
        sources = sorted((demo / "train").rglob("*.jpg"))
    images = []
    for index, source in enumerate(sources):
        target = folder / f"{index:02d}.png"
        cv2.imwrite(str(target), cv2.cvtColor(load_image(source), cv2.COLOR_RGB2BGR))
        images.append(target)
    return images


def model_answers(checkpoint: Path, images: list[Path]) -> dict[str, list[dict]] | None:
    """Every class's probability for each image, on the CPU in fp32 PyTorch (the same everywhere);
    None when the file is not a checkpoint of this project."""
    from ..inference.predict import Predictor, predict_files
    from ..models.checkpoint import CheckpointError
    from ..settings import LoaderSettings

    try:
        predictor = Predictor.from_checkpoint(checkpoint, device="cpu", precision="fp32", backend="torch")
    except (CheckpointError, FileNotFoundError):
        return None
    loader = LoaderSettings(batch_size=len(images), workers=0, device="cpu", backend="torch", decode="opencv")
    predictions = predict_files(predictor, images, loader, k=len(predictor.class_names))
    return {Path(path).name: row for path, row in predictions.results.items()}


def create(
    root: Path, sources_file: Path, verify_images: Path | None = None, now: datetime | None = None
) -> tuple[Path, str]:
    """Write an archive of `root` into a temp folder; returns (its local path, its name)."""
    root = Path(root).resolve()
    now = now or datetime.now(UTC)
    chosen = collect(root, load_sources(sources_file))
    if not chosen:
        raise BackupError(f"nothing to back up under {root}: no file matches {sources_file}")
    staging = Path(tempfile.mkdtemp(prefix="backup-"))
    name = archive_name(root.name, now)
    archive = staging / name
    files, snapshots = [], staging / "snapshots"
    snapshots.mkdir()
    # Level 1: checkpoints are float weights that gzip barely shrinks at any level, only slower.
    with tarfile.open(archive, "w:gz", compresslevel=1) as tar:
        for relative, kind in chosen.items():
            path = root / relative
            copy = _snapshot(path, snapshots) if relative.endswith(".db") and is_sqlite(path) else path
            files.append({"path": relative, "kind": kind, "size": copy.stat().st_size, "sha256": sha256_of(copy)})
            tar.add(copy, arcname=f"files/{relative}", recursive=False)
        verification = _verification(root, chosen, verify_images, staging, tar)
        manifest = {
            "format": FORMAT,
            "created": now.astimezone(UTC).isoformat(timespec="seconds"),
            "project": root.name,
            "package_version": __version__,
            "root": str(root),
            "files": files,
            "verification": verification,
        }
        data = (json.dumps(manifest, indent=2) + "\n").encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mtime = len(data), int(now.timestamp())
        tar.addfile(info, io.BytesIO(data))
    (staging / f"{name}.sha256").write_text(f"{sha256_of(archive)}  {name}\n")
    log.info("archived %d files into %s", len(files), name)
    return archive, name


def _verification(root: Path, chosen: dict[str, str], given: Path | None, staging: Path, tar: tarfile.TarFile) -> dict:
    checkpoints = [relative for relative in chosen if relative.endswith((".pt", ".pth"))]
    if not checkpoints:
        return {"images": [], "predictions": {}}
    folder = staging / "verification"
    folder.mkdir()
    images = verification_images(folder, given)
    for image in images:
        tar.add(image, arcname=f"verification/{image.name}", recursive=False)
    predictions = {}
    for relative in checkpoints:
        answers = model_answers(root / relative, images)
        if answers is not None:
            predictions[relative] = answers
    return {"images": [image.name for image in images], "predictions": predictions}
