"""The raw store: every ingested file once, named by the SHA-256 of its bytes, and where each came from.

    data/raw/
        index.jsonl                  one line per (source, content) ever ingested, in ingestion order
        objects/ab/ab12...ef.jpg     the bytes, named by their SHA-256 (the first two hex digits: a folder)

The index only grows. When a source's bytes change, it gets a new line, a new version: its latest
line is its current content, and the older content stays in the store. Lines carry no timestamps,
so ingesting the same files into an empty store always writes the same index (DVC sees no change).

A crash can leave objects that no line names yet (the next run indexes them without copying them
again), temporary files in `tmp/` (removed at the next start) and at worst a last line without its
newline, which readers ignore and the next writer cuts off.
"""

import hashlib
import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from . import DataError

INDEX = "index.jsonl"
CHUNK = 1 << 20


@dataclass(frozen=True)
class Entry:
    """One version of one source: its content hash, label and where it came from."""

    sha256: str
    label: str
    source: str
    suffix: str
    size: int
    stamp: str | None = None  # size and modification time (or ETag) when ingested: unchanged sources are not re-read

    def to_line(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, ensure_ascii=False) + "\n"


class RawStore:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.index = self.root / INDEX
        self.objects = self.root / "objects"
        self.tmp = self.root / "tmp"

    def object_path(self, sha256: str, suffix: str) -> Path:
        return self.objects / sha256[:2] / f"{sha256}{suffix}"

    def exists(self) -> bool:
        return self.index.is_file()

    def entries(self) -> list[Entry]:
        """Every line of the index, oldest first; a torn last line (a crash mid-write) is ignored."""
        if not self.index.is_file():
            return []
        text = self.index.read_text(encoding="utf-8")
        lines = text.split("\n")
        complete = lines[:-1]  # the piece after the last newline is empty, or torn
        entries = []
        for number, line in enumerate(complete, 1):
            if not line.strip():
                continue
            try:
                entries.append(Entry(**json.loads(line)))
            except (ValueError, TypeError) as error:
                raise DataError(f"{self.index}:{number}: not an index line ({error})") from None
        return entries

    def current(self) -> list[Entry]:
        """The latest version of every source, in the order the sources were first ingested."""
        latest: dict[str, Entry] = {}
        for entry in self.entries():
            latest[entry.source] = entry
        return list(latest.values())

    def open_for_append(self):
        """Start a writing session: cut off a torn last line and clear temporary files left by a crash."""
        self.objects.mkdir(parents=True, exist_ok=True)
        if self.tmp.exists():
            shutil.rmtree(self.tmp)
        self.tmp.mkdir(parents=True)
        if self.index.is_file():
            data = self.index.read_bytes()
            if data and not data.endswith(b"\n"):
                with open(self.index, "r+b") as handle:
                    handle.truncate(data.rfind(b"\n") + 1)
        return open(self.index, "a", encoding="utf-8")

    @staticmethod
    def append(handle, entries: Iterable[Entry]) -> None:
        """Add lines and put them on disk before going on: a line is written only once its object is."""
        for entry in entries:
            handle.write(entry.to_line())
        handle.flush()
        os.fsync(handle.fileno())

    def put(self, temporary: Path, sha256: str, suffix: str) -> Path:
        """Move a fully written temporary file to its object path (or drop it: the object exists)."""
        target = self.object_path(sha256, suffix)
        if target.exists():
            temporary.unlink()
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temporary, target)
        return target

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
