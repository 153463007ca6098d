"""Batch results as Parquet shards: streamed to storage as they finish, each input written once.

A job's output folder (a local path or an fsspec URL) holds

    _job.json              the model (sha256 of its checkpoint) and top-k the shards were made with
    part-00000.parquet     one row per input: path, labels, probabilities (top-k), error
    part-00001.parquet     ... each written whole (a temp file renamed, or one object upload)
    _summary.json          the accounting of the last run: listed = predicted + unreadable

Only the driver writes, one shard at a time, so at most `shard_size` rows wait in memory. A rerun
into the same folder reads the `path` column of every complete shard and skips those inputs; a
shard cut short by a crash was never renamed into place, so its inputs are simply done again.
A row whose path is already written (a retried task delivering twice) is dropped, not duplicated.
"""

import io
import json
import logging
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..utils.atomic import atomic_write
from . import ScaleOutError
from .listing import filesystem, is_url

log = logging.getLogger(__name__)

SCHEMA = pa.schema(
    [
        ("path", pa.string()),
        ("labels", pa.list_(pa.string())),
        ("probabilities", pa.list_(pa.float64())),
        ("error", pa.string()),
    ]
)
JOB_FILE, SUMMARY_FILE = "_job.json", "_summary.json"
_SHARD = re.compile(r"part-(\d{5,})\.parquet$")


class Folder:
    """The few file operations the shards need, on a local folder or any fsspec URL."""

    def __init__(self, location: str | Path):
        self.location = str(location).rstrip("/")
        self.local = not is_url(self.location)
        if self.local:
            self.fs, self.root = None, Path(self.location)
        else:
            self.fs, self.root = filesystem(self.location)

    def path(self, name: str) -> str:
        return str(self.root / name) if self.local else f"{self.root}/{name}"

    def names(self) -> list[str]:
        if self.local:
            return sorted(p.name for p in self.root.iterdir()) if self.root.is_dir() else []
        if not self.fs.exists(self.root):
            return []
        return sorted(Path(p).name for p in self.fs.ls(self.root, detail=False))

    def read(self, name: str) -> bytes:
        if self.local:
            return Path(self.path(name)).read_bytes()
        return self.fs.cat_file(self.path(name))

    def write(self, name: str, data: bytes) -> None:
        """Whole or not at all: a renamed temp file locally, a single upload to object storage."""
        if self.local:
            atomic_write(Path(self.path(name)), lambda handle: handle.write(data))
        else:
            self.fs.makedirs(str(self.root), exist_ok=True)
            self.fs.pipe_file(self.path(name), data)

    def remove(self, name: str) -> None:
        if self.local:
            Path(self.path(name)).unlink(missing_ok=True)
        else:
            self.fs.rm_file(self.path(name))


def shard_names(folder: Folder) -> list[str]:
    return [name for name in folder.names() if _SHARD.fullmatch(name)]


def read_columns(folder: Folder, name: str, columns: Sequence[str] = ("path",)) -> dict[str, list] | None:
    """Some columns of a shard, or None when the shard cannot be read back whole."""
    try:
        table = pq.read_table(io.BytesIO(folder.read(name)), columns=list(columns))
    except (OSError, pa.ArrowException) as error:
        log.warning("shard %s is unreadable (%s): its inputs will be predicted again", name, error)
        return None
    return {column: table.column(column).to_pylist() for column in columns}


class ShardWriter:
    """Appends result rows to a job's folder, one complete shard at a time, each input once."""

    def __init__(self, location: str | Path, job: Mapping[str, object], shard_size: int):
        self.folder = Folder(location)
        self.shard_size = shard_size
        self._check_job(dict(job))
        self.done: set[str] = set()
        self.next_index = 0
        for name in shard_names(self.folder):
            columns = read_columns(self.folder, name)
            if columns is None:
                self.folder.remove(name)
                continue
            self.done.update(columns["path"])
            self.next_index = max(self.next_index, int(_SHARD.fullmatch(name)[1]) + 1)
        self.already_done = len(self.done)
        self.written = self.duplicates = 0
        self._rows: list[dict] = []

    def _check_job(self, job: dict) -> None:
        if JOB_FILE in self.folder.names():
            previous = json.loads(self.folder.read(JOB_FILE))
            changed = [key for key in job if previous.get(key) != job[key]]
            if changed:
                raise ScaleOutError(
                    f"{self.folder.location} holds results of another job (its {', '.join(changed)} differ); "
                    "write to a new --out, or delete that folder to start over"
                )
            return
        self.folder.write(JOB_FILE, (json.dumps(job, indent=2) + "\n").encode())

    def pending(self, paths: Sequence[str]) -> list[str]:
        """The inputs whose results are not written yet, in order."""
        return [path for path in paths if path not in self.done]

    def add(self, rows: Iterable[Mapping[str, object]]) -> None:
        for row in rows:
            path = str(row["path"])
            if path in self.done:
                self.duplicates += 1
                continue
            self.done.add(path)
            self._rows.append(
                {
                    "path": path,
                    "labels": list(row.get("labels") or []),
                    "probabilities": [float(p) for p in row.get("probabilities") or []],
                    "error": row.get("error") or None,
                }
            )
            if len(self._rows) >= self.shard_size:
                self.flush()

    def flush(self) -> None:
        if not self._rows:
            return
        buffer = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(self._rows, schema=SCHEMA), buffer)
        self.folder.write(f"part-{self.next_index:05d}.parquet", buffer.getvalue())
        self.next_index += 1
        self.written += len(self._rows)
        self._rows = []

    def finish(self, listed: Sequence[str], seconds: float, engine: str) -> dict:
        """Flush, then account for every listed input from what is in storage, and record it."""
        self.flush()
        counts: Counter[str] = Counter()
        errors = 0
        for name in shard_names(self.folder):
            columns = read_columns(self.folder, name, ("path", "error")) or {"path": [], "error": []}
            counts.update(columns["path"])
            errors += sum(1 for error in columns["error"] if error)
        missing = sorted(set(listed) - set(counts))
        repeated = sorted(path for path, count in counts.items() if count > 1)
        summary = {
            "finished": datetime.now(timezone(timedelta(0))).isoformat(timespec="seconds"),
            "engine": engine,
            "listed": len(listed),
            "rows": sum(counts.values()),
            "predicted": sum(counts.values()) - errors,
            "unreadable": errors,
            "already_done": self.already_done,
            "written_now": self.written,
            "duplicates_dropped": self.duplicates,
            "missing": len(missing),
            "repeated": len(repeated),
            "shards": len(shard_names(self.folder)),
            "seconds": round(seconds, 3),
            "images_per_second": round(self.written / seconds, 1) if seconds > 0 else None,
        }
        self.folder.write(SUMMARY_FILE, (json.dumps(summary, indent=2) + "\n").encode())
        if missing or repeated:
            raise ScaleOutError(
                f"{self.folder.location}: {len(missing)} listed inputs have no result and {len(repeated)} "
                f"have more than one (e.g. {(missing + repeated)[0]}); rerun to fill the gaps"
            )
        return summary


def iter_rows(location: str | Path) -> Iterable[dict]:
    """Every result row of a job's folder, shard by shard."""
    folder = Folder(location)
    for name in shard_names(folder):
        yield from pq.read_table(io.BytesIO(folder.read(name))).to_pylist()


def read_results(location: str | Path) -> dict[str, dict]:
    """{path: row} of a job's folder (for checks and small jobs: it holds every row in memory)."""
    return {row["path"]: row for row in iter_rows(location)}


def job_record(checkpoint_sha256: str, class_names: Sequence[str], top_k: int) -> dict:
    return {"checkpoint_sha256": checkpoint_sha256, "class_names": list(class_names), "top_k": top_k}
