"""Datasets and artefacts in object storage, through fsspec: local paths and `s3://` URLs alike.

`copy` moves a file or a folder between any two of them (upload, download, or bucket to bucket);
`resolve_checkpoint` lets every command that reads a checkpoint take an `s3://` URL, by the seam's
checkpoint references. S3 credentials come the usual AWS ways (environment, profile, instance
role); `S3_ENDPOINT_URL` points at an S3-compatible service (MinIO, Ceph, ...). Another protocol
(gs://, az://) works the same once its fsspec package (gcsfs, adlfs) is installed and its prefix
is added to `PROTOCOLS`.
"""

import logging
import shutil
from pathlib import Path

from .. import settings
from . import IntegrationError
from .settings import StorageSettings

log = logging.getLogger(__name__)
PROTOCOLS = ("s3://",)
CHUNK = 8 * 1024 * 1024


def filesystem(url: str):
    """(fsspec filesystem, path inside it) for a URL or a local path."""
    import fsspec

    options = {}
    if str(url).startswith("s3://"):
        endpoint = settings.load(StorageSettings).s3_endpoint_url
        if endpoint:
            options["endpoint_url"] = endpoint
    try:
        fs, path = fsspec.core.url_to_fs(str(url), **options)
    except (ImportError, ValueError) as error:
        raise IntegrationError(f"{url}: no filesystem for it ({error})") from None
    return fs, path


def is_remote(url: str | Path) -> bool:
    return str(url).startswith(PROTOCOLS)


def listing(url: str) -> list[str]:
    """Every file under `url` (or `url` itself when it is a file), as full URLs or paths."""
    fs, path = filesystem(url)
    if not fs.exists(path):
        raise FileNotFoundError(f"{url}: not found")
    prefix = f"{str(url).split('://')[0]}://" if is_remote(url) else ""
    files = fs.find(path) if fs.isdir(path) else [path]
    return [f"{prefix}{file}" for file in sorted(files)]


def copy(source: str, target: str) -> list[str]:
    """Copy a file or a folder (recursively) from `source` to `target`; returns the files written.

    A folder's files keep their paths below it. Local targets are written through a temporary
    name and renamed, so an interrupted download never leaves half a file under its real name.
    """
    src_fs, src_path = filesystem(source)
    dst_fs, dst_path = filesystem(target)
    if not src_fs.exists(src_path):
        raise FileNotFoundError(f"{source}: not found")
    if src_fs.isdir(src_path):
        pairs = [
            (file, f"{dst_path.rstrip('/')}/{file[len(src_path.rstrip('/')) + 1 :]}")
            for file in sorted(src_fs.find(src_path))
        ]
    else:
        pairs = [(src_path, dst_path)]
    local = not is_remote(target)
    written = []
    for src_file, dst_file in pairs:
        final = Path(dst_file) if local else None
        if local:
            final.parent.mkdir(parents=True, exist_ok=True)
            dst_file = f"{dst_file}.partial"
        with src_fs.open(src_file, "rb") as reader, dst_fs.open(dst_file, "wb") as writer:
            shutil.copyfileobj(reader, writer, CHUNK)
        if local:
            Path(dst_file).replace(final)
            dst_file = str(final)
        written.append(dst_file)
    log.info("copied %d files from %s to %s", len(written), source, target)
    return written


def resolve_checkpoint(reference: str, workdir: Path) -> Path:
    """An `s3://.../best.pt` checkpoint, downloaded into `workdir` (the caller deletes it after reading)."""
    local = Path(workdir) / Path(reference.rstrip("/")).name
    copy(reference, str(local))
    return local
