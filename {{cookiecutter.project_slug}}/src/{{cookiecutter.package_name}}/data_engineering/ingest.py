"""Ingestion: image files from a folder tree, a manifest or an fsspec URL into the raw store.

    a folder          data/incoming/<label>/<image> (any depth: the label is the image's own folder)
    a manifest        .csv, .json or .jsonl with a `label` and a `path` (or `url`) per image; relative
                      paths are read beside the manifest, URLs (http, https, s3, gs...) as they are
    an fsspec URL     s3://bucket/prefix, gs://..., memory://... read like a folder, where the
                      filesystem's package is installed (s3fs, gcsfs...)

Idempotent: a source whose stamp (size and modification time, or ETag) or, failing that, whose
bytes are unchanged adds nothing; a changed source adds a new version. Resumable: objects are
written whole before their index line, lines are put on disk in batches, and a run that stopped
half way is simply run again. Files are fetched by a pool of threads, in the order they are listed.
"""

import csv
import io
import json
import logging
import posixpath
import re
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

from . import DataError
from .store import CHUNK, Entry, RawStore

log = logging.getLogger(__name__)
MANIFEST_SUFFIXES = (".csv", ".json", ".jsonl")
PATH_COLUMNS = ("path", "url", "uri", "image")
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_MAGIC = (
    (b"\xff\xd8\xff", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", ".png"),
    (b"BM", ".bmp"),
    (b"II*\x00", ".tif"),
    (b"MM\x00*", ".tif"),
)
INDEX_BATCH = 256  # index lines put on disk together: at most this many files are fetched again after a crash
HTTP_TIMEOUT = 60


@dataclass(frozen=True)
class Item:
    """One file a source lists: where to read it (also its identity in the index) and its label."""

    uri: str
    label: str


@dataclass
class Summary:
    source: str
    listed: int = 0
    added: list[Entry] = field(default_factory=list)
    unchanged: int = 0
    failed: dict[str, str] = field(default_factory=dict)

    def line(self) -> str:
        return (
            f"{self.source}: {self.listed} listed, {len(self.added)} added, "
            f"{self.unchanged} unchanged, {len(self.failed)} failed"
        )


def is_url(text: str) -> bool:
    return bool(_URL.match(text))


def image_suffixes() -> frozenset[str]:
    from ..data.image import IMAGE_SUFFIXES

    return IMAGE_SUFFIXES


def _suffix_of(name: str) -> str:
    return PurePosixPath(name.split("?", 1)[0]).suffix.lower()


def _label_of(relative: PurePosixPath) -> str:
    """The folder an image sits in is its label; an image at the top of the source has none."""
    return relative.parent.name if len(relative.parts) > 1 else ""


def list_folder(source: str) -> list[Item]:
    suffixes = image_suffixes()
    if is_url(source):
        import fsspec

        fs, root = fsspec.core.url_to_fs(source)
        if not fs.isdir(root):
            raise DataError(f"{source}: no such folder")
        found = sorted(fs.find(root))
        base = PurePosixPath(root.rstrip("/"))
        return [
            Item(fs.unstrip_protocol(path), _label_of(PurePosixPath(path).relative_to(base)))
            for path in found
            if _suffix_of(path) in suffixes
        ]
    root = Path(source)
    if not root.is_dir():
        raise DataError(f"{source}: no such folder, manifest ({', '.join(MANIFEST_SUFFIXES)}) or URL")
    return [
        Item(path.as_posix(), _label_of(PurePosixPath(path.relative_to(root).as_posix())))
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.suffix.lower() in suffixes
    ]


def _rows(text: str, suffix: str, source: str) -> list[dict]:
    if suffix == ".csv":
        return list(csv.DictReader(io.StringIO(text)))
    if suffix == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    data = json.loads(text)
    rows = data.get("images") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise DataError(f"{source}: a JSON manifest is a list of objects, or an object with an `images` list")
    return rows


def beside(manifest: str, relative: str) -> str:
    """`relative` read from the manifest's folder: `data/m.csv` + `a/1.jpg` -> `data/a/1.jpg`,
    `s3://bucket/m.csv` + `a/1.jpg` -> `s3://bucket/a/1.jpg`."""
    scheme, separator, path = manifest.rpartition("://")
    folder = posixpath.dirname(path)
    joined = posixpath.normpath(posixpath.join(folder, relative)) if folder else posixpath.normpath(relative)
    return f"{scheme}{separator}{joined}"


def list_manifest(source: str) -> list[Item]:
    """Rows of a manifest; a relative path is read beside the manifest (locally or under its URL)."""
    try:
        with open_stream(source) as handle:
            text = handle.read().decode("utf-8-sig")
        rows = _rows(text, _suffix_of(source), source)
    except (OSError, ValueError) as error:
        raise DataError(f"{source}: cannot read the manifest ({error})") from None
    items = []
    for number, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise DataError(f"{source}: row {number} is not an object with a label and a path")
        column = next((name for name in PATH_COLUMNS if row.get(name)), None)
        if column is None or "label" not in row:
            raise DataError(f"{source}: row {number} needs `label` and one of {', '.join(PATH_COLUMNS)}")
        location = str(row[column]).strip()
        if not is_url(location) and not PurePosixPath(location).is_absolute():
            location = beside(source, location)
        items.append(Item(location, str(row["label"] or "").strip()))
    return items


def list_source(source: str) -> list[Item]:
    """Every file a source lists, each once; a file listed twice with two labels is refused."""
    items = list_manifest(source) if _suffix_of(source) in MANIFEST_SUFFIXES else list_folder(source)
    unique: dict[str, Item] = {}
    for item in items:
        seen = unique.setdefault(item.uri, item)
        if seen.label != item.label:
            raise DataError(f"{source}: {item.uri} is listed twice, as {seen.label!r} and as {item.label!r}")
    return list(unique.values())


@contextmanager
def open_stream(uri: str) -> Iterator[IO[bytes]]:
    if uri.startswith(("http://", "https://")):
        with urllib.request.urlopen(uri, timeout=HTTP_TIMEOUT) as response:  # noqa: S310 (http and https only)
            yield response
    elif is_url(uri):
        import fsspec

        with fsspec.open(uri, "rb") as handle:
            yield handle
    else:
        with open(uri, "rb") as handle:
            yield handle


def stamp_of(uri: str) -> str | None:
    """What tells that a source is unchanged without reading it; None where nothing reliable exists."""
    if uri.startswith(("http://", "https://")):
        return None
    if is_url(uri):
        import fsspec

        fs, path = fsspec.core.url_to_fs(uri)
        info = fs.info(path)
        tag = info.get("ETag") or info.get("etag") or info.get("md5")
        modified = info.get("mtime") or info.get("LastModified") or info.get("updated")
        if tag:
            return f"etag:{tag}"
        return f"{info.get('size')}:{modified}" if modified is not None else None
    status = Path(uri).stat()
    return f"{status.st_size}:{status.st_mtime_ns}"


def sniff_suffix(head: bytes, name: str) -> str:
    """The image type by its first bytes, else by its name; `.bin` when neither says image."""
    for magic, suffix in _MAGIC:
        if head.startswith(magic):
            return suffix
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ".webp"
    suffix = _suffix_of(name)
    return ".jpg" if suffix == ".jpeg" else suffix if suffix in image_suffixes() else ".bin"


def _copy_hashing(uri: str, target: Path) -> tuple[str, int, bytes]:
    import hashlib

    digest, size, head = hashlib.sha256(), 0, b""
    with open_stream(uri) as source, open(target, "wb") as out:
        while chunk := source.read(CHUNK):
            if len(head) < 16:
                head += chunk[:16]
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    return digest.hexdigest(), size, head


def _fetch(item: Item, latest: Entry | None, store: RawStore) -> tuple[str, Entry | str | None]:
    """("added", entry), ("unchanged", None) or ("failed", reason) for one listed file."""
    try:
        stamp = stamp_of(item.uri)
        if latest is not None and stamp is not None and latest.stamp == stamp:
            if latest.label == item.label:
                return "unchanged", None
            return "added", Entry(latest.sha256, item.label, item.uri, latest.suffix, latest.size, stamp)
        temporary = store.tmp / uuid.uuid4().hex
        sha256, size, head = _copy_hashing(item.uri, temporary)
        if latest is not None and latest.sha256 == sha256 and latest.label == item.label:
            temporary.unlink()
            return "unchanged", None
        suffix = sniff_suffix(head, item.uri)
        store.put(temporary, sha256, suffix)
        return "added", Entry(sha256, item.label, item.uri, suffix, size, stamp)
    except Exception as error:  # one unreachable or unreadable source must not stop the others
        return "failed", f"{type(error).__name__}: {error}"


def ingest(source: str, store_root: Path, workers: int = 8, progress: bool | None = None) -> Summary:
    """Bring every file `source` lists into the store at `store_root`; see the module's docstring."""
    from tqdm import tqdm

    items = list_source(source)
    store = RawStore(store_root)
    latest = {entry.source: entry for entry in store.entries()}
    summary = Summary(source, listed=len(items))
    pending: list[Entry] = []
    with store.open_for_append() as index, ThreadPoolExecutor(workers) as pool:
        try:
            outcomes = pool.map(lambda item: _fetch(item, latest.get(item.uri), store), items)
            bar = tqdm(
                outcomes,
                total=len(items),
                desc="ingest",
                unit="file",
                disable=None if progress is None else not progress,
            )
            for item, (kind, result) in zip(items, bar, strict=True):
                if kind == "added":
                    pending.append(result)
                    summary.added.append(result)
                elif kind == "unchanged":
                    summary.unchanged += 1
                else:
                    summary.failed[item.uri] = result
                    log.warning("could not ingest %s: %s", item.uri, result)
                if len(pending) >= INDEX_BATCH:
                    store.append(index, pending)
                    pending.clear()
        except BaseException:
            pool.shutdown(cancel_futures=True)  # stop at once (Ctrl-C); what was fetched is indexed below
            raise
        finally:
            store.append(index, pending)
    store.close()
    return summary
