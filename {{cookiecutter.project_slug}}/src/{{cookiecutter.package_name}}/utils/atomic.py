"""Write files so that a reader sees the old content or the new, never half of one."""

import glob
import json
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO


def _process_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp creates files readable by their owner only; finished files get the usual mode instead,
# so a checkpoint written on the host can be read by the non-root user of the serving container.
_FILE_MODE = 0o666 & ~_process_umask()


def atomic_write(path: Path, write: Callable[[IO[bytes]], object]) -> Path:
    """Call `write` on a temp file beside `path`, flush it to disk, then rename it over `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, _FILE_MODE)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path


def remove_stale_temp_files(folder: Path, names: list[str]) -> list[Path]:
    """Delete the temp files that `atomic_write` left in `folder` for these file names when a
    process died mid-write (`.<name>.<random>.tmp`); nobody else's files. Returns what it removed."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    stale = [
        path
        for name in names
        for path in folder.glob(f".{glob.escape(name)}.*.tmp")
        if re.fullmatch(r"\." + re.escape(name) + r"\.[a-z0-9_]{8}\.tmp", path.name)  # mkstemp's 8 characters
    ]
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda handle: handle.write(text.encode("utf-8")))


def atomic_write_json(path: Path, data: object) -> Path:
    return atomic_write_text(path, json.dumps(data, indent=2, sort_keys=False) + "\n")
