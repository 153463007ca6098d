"""Checking and restoring archives: everything is verified before the first file is written.

`verify` reads the whole archive and compares it with its checksum file and with every checksum
in its manifest: a truncated or corrupted archive is refused with the reason. `restore` verifies
first, extracts into a staging folder inside the target (same filesystem), checks each file again,
and only then moves the files into place; files that already exist are replaced only with
`force`. Then the registry's stored paths are moved to the new root, and every model in the
archive must give the predictions it gave when the archive was made.
"""

import hashlib
import json
import logging
import os
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from pathlib import Path, PurePosixPath

from . import BackupError
from .archive import FORMAT, MANIFEST, model_answers, sha256_of

log = logging.getLogger(__name__)
PROBABILITY_TOLERANCE = 1e-6  # answers are stored rounded to 6 decimals


def _safe(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts


def verify(archive: Path, checksum_file: Path | None) -> dict:
    """The manifest of a complete, uncorrupted archive; otherwise a BackupError saying what is wrong."""
    archive = Path(archive)
    if checksum_file is None or not Path(checksum_file).is_file():
        raise BackupError(f"{archive.name}: its checksum file {archive.name}.sha256 is missing; refusing to trust it")
    expected = Path(checksum_file).read_text().split()[0] if Path(checksum_file).read_text().strip() else ""
    actual = sha256_of(archive)
    if actual != expected:
        raise BackupError(
            f"{archive.name}: checksum mismatch (sha256 {actual[:12]}..., expected {expected[:12]}...): "
            "the archive is truncated or corrupted; restore an older one"
        )
    digests, manifest = {}, None
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                if not _safe(member.name) or not (member.isfile() or member.isdir()):
                    raise BackupError(f"{archive.name}: unsafe or unexpected entry {member.name!r}; refusing it")
                if not member.isfile():
                    continue
                data = tar.extractfile(member).read()
                if member.name == MANIFEST:
                    manifest = json.loads(data)
                else:
                    digests[member.name] = hashlib.sha256(data).hexdigest()
    except (tarfile.TarError, EOFError, OSError, zlib.error, json.JSONDecodeError) as error:
        raise BackupError(f"{archive.name}: unreadable archive ({error}); restore an older one") from None
    if manifest is None or manifest.get("format") != FORMAT:
        raise BackupError(f"{archive.name}: no {MANIFEST} of format {FORMAT}: not an archive of this project's backups")
    listed = {f"files/{entry['path']}": entry["sha256"] for entry in manifest["files"]}
    for name, digest in listed.items():
        if digests.get(name) != digest:
            raise BackupError(f"{archive.name}: {name} is {'missing' if name not in digests else 'corrupted'}")
    extra = sorted(name for name in digests if name.startswith("files/") and name not in listed)
    if extra:
        raise BackupError(f"{archive.name}: holds files its manifest does not list ({extra[0]}, ...)")
    return manifest


def relocate_registry(database: Path, old_root: str, new_root: str) -> int:
    """Rewrite the absolute paths a SQLite registry stores (artifact locations, sources) from the
    backed-up project root to the restored one; returns how many values changed."""
    if old_root == new_root:
        return 0
    changed = 0
    with sqlite3.connect(database) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for column in db.execute(f'PRAGMA table_info("{table}")').fetchall():
                kind, name = column[2].upper(), column[1]
                if "CHAR" in kind or "TEXT" in kind or kind == "":
                    for old, new in ((f"{old_root}/", f"{new_root}/"),):
                        cursor = db.execute(
                            f'UPDATE "{table}" SET "{name}" = replace("{name}", ?, ?) WHERE instr("{name}", ?) > 0',
                            (old, new, old),
                        )
                        changed += cursor.rowcount
                    cursor = db.execute(f'UPDATE "{table}" SET "{name}" = ? WHERE "{name}" = ?', (new_root, old_root))
                    changed += cursor.rowcount
    return changed


def check_models(manifest: dict, target: Path, images: Path) -> list[str]:
    """Each archived model's answers on the fixed images, compared with those it gave at backup
    time; returns the checkpoints checked, or raises a BackupError on the first difference."""
    checked = []
    paths = [images / name for name in manifest["verification"]["images"]]
    for relative, expected in manifest["verification"]["predictions"].items():
        answers = model_answers(target / relative, paths)
        if answers is None:
            raise BackupError(f"restored {relative} is no longer a readable checkpoint")
        for image, rows in expected.items():
            got = answers.get(image, [])
            same = [r["label"] for r in got] == [r["label"] for r in rows] and all(
                abs(a["probability"] - b["probability"]) <= PROBABILITY_TOLERANCE
                for a, b in zip(got, rows, strict=True)
            )
            if not same:
                raise BackupError(f"restored {relative} answers {image} differently than when it was backed up")
        checked.append(relative)
    return checked


def restore(archive: Path, checksum_file: Path | None, target: Path, force: bool = False, check: bool = True) -> dict:
    """Verify, then restore `archive` into `target`; returns what was done."""
    manifest = verify(archive, checksum_file)
    target = Path(target).resolve()
    existing = [entry["path"] for entry in manifest["files"] if (target / entry["path"]).exists()]
    if existing and not force:
        shown = ", ".join(existing[:3]) + (", ..." if len(existing) > 3 else "")
        raise BackupError(
            f"{target} already holds {len(existing)} of the archive's files ({shown}); "
            "nothing was restored. Restore into an empty folder, or pass --force to replace them"
        )
    target.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=target))
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                if member.isfile() and member.name != MANIFEST:
                    destination = staging / member.name
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    with tar.extractfile(member) as source, open(destination, "wb") as handle:
                        shutil.copyfileobj(source, handle)
        for entry in manifest["files"]:
            if sha256_of(staging / "files" / entry["path"]) != entry["sha256"]:
                raise BackupError(f"{entry['path']} changed while it was extracted; nothing was restored")
        for entry in manifest["files"]:  # every file verified: now, and only now, into place
            destination = target / entry["path"]
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / "files" / entry["path"], destination)
        relocated = sum(
            relocate_registry(target / e["path"], manifest["root"], str(target))
            for e in manifest["files"]
            if e["kind"] == "registry" and e["path"].endswith(".db")
        )
        checked = check_models(manifest, target, staging / "verification") if check else []
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {
        "files": len(manifest["files"]),
        "replaced": len(existing),
        "relocated": relocated,
        "models_checked": checked,
    }
