"""The `local` engine: `predict`'s own path (its DataLoader workers, decoder and backend), one
shard of inputs at a time, so that each finished shard is written before the next is read.

Inputs named by URL are copied into a temporary folder shard by shard and read from there.
"""

import logging
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..inference.predict import Predictor, predict_files
from ..settings import LoaderSettings
from .listing import filesystem, is_url
from .results import ShardWriter

log = logging.getLogger(__name__)


def _fetch(urls: Sequence[str], folder: Path) -> dict[str, str]:
    """Copy each URL into `folder`; {local path: url}. A URL that cannot be read is left out here
    and reported by the caller as unreadable."""
    local = {}
    for index, url in enumerate(urls):
        target = folder / f"{index:07d}{Path(url).suffix.lower()}"
        fs, path = filesystem(url)
        try:
            target.write_bytes(fs.cat_file(path))
        except OSError as error:
            log.warning("cannot read %s: %s", url, error)
            continue
        local[str(target)] = url
    return local


def predict_shard(predictor: Predictor, paths: Sequence[str], loader: LoaderSettings, k: int) -> list[dict]:
    """Result rows for `paths` (local files or URLs), unreadable ones with their reason."""
    urls = [path for path in paths if is_url(path)]
    with tempfile.TemporaryDirectory(prefix="batch-predict-") as tmp:
        names = {path: path for path in paths if not is_url(path)}
        names.update(_fetch(urls, Path(tmp)))
        rows = [{"path": url, "error": f"{url}: cannot read file"} for url in urls if url not in names.values()]
        if names:
            predictions = predict_files(predictor, list(names), loader, k)
            for name, top in predictions.results.items():
                rows.append(
                    {
                        "path": names[name],
                        "labels": [item["label"] for item in top],
                        "probabilities": [item["probability"] for item in top],
                    }
                )
            for name, error in predictions.errors.items():
                rows.append({"path": names[name], "error": error.replace(name, names[name])})
    return rows


def run(
    checkpoint: str, paths: Sequence[str], writer: ShardWriter, loader: LoaderSettings, k: int, shard_size: int
) -> None:
    predictor = Predictor.from_checkpoint(checkpoint, loader.device, backend=loader.backend)
    for start in range(0, len(paths), shard_size):
        writer.add(predict_shard(predictor, paths[start : start + shard_size], loader, k))
        writer.flush()
        log.info("%d of %d inputs written", min(start + shard_size, len(paths)), len(paths))
