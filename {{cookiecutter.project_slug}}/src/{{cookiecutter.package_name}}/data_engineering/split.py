"""Train / val / test by hash: each file's split follows from its own bytes, never from the others.

A file's SHA-256 (salted with `split.salt`) is read as a number u in [0, 1): test when
u < test_fraction, val when u >= 1 - val_fraction, train in between. Adding or removing files
therefore never moves another file between splits (the held-out set stays held out), the same
bytes always land in the same split (an exact duplicate cannot leak), and raising a fraction only
moves training files into that split: val and test never trade files. A changed file is new
content, so it is placed afresh.
"""

import csv
import hashlib
import io
import os
import shutil
from collections import Counter
from pathlib import Path

from . import DataError
from .params import SplitParams
from .store import Entry, RawStore

SPLITS = ("train", "val", "test")
MANIFEST = "manifest.csv"


def split_of(sha256: str, params: SplitParams) -> str:
    draw = int(hashlib.sha256(f"{params.salt}{sha256}".encode()).hexdigest()[:16], 16) / 2**64
    if draw < params.test_fraction:
        return "test"
    return "val" if draw >= 1 - params.val_fraction else "train"


def label_problem(label: str) -> str | None:
    """Why a label cannot name a class folder, or None."""
    if not label.strip():
        return "empty"
    if label in (".", "..") or "/" in label or "\\" in label or label != label.strip():
        return "not usable as a folder name"
    return None


def dataset(store: RawStore) -> dict[str, Entry]:
    """sha256 -> the entry that carries it, over the store's current versions; refuses what would
    make a wrong training set (conflicting or unusable labels). `validate` reports all of them."""
    if not store.exists():
        raise DataError(f"{store.root}: no raw store here (ingest first: it writes {store.index.name})")
    chosen: dict[str, Entry] = {}
    for entry in store.current():
        problem = label_problem(entry.label)
        if problem:
            raise DataError(f"{entry.source}: label {entry.label!r} is {problem}; fix it and run validate")
        seen = chosen.setdefault(entry.sha256, entry)
        if seen.label != entry.label:
            raise DataError(
                f"{seen.source} and {entry.source} hold the same bytes labelled {seen.label!r} and "
                f"{entry.label!r}; fix one and run validate"
            )
    return chosen


def _place(source: Path, target: Path) -> None:
    """A hard link where the filesystem allows one (no second copy of the bytes), else a copy."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def write_split(store_root: Path, out: Path, params: SplitParams) -> dict[str, Counter]:
    """Rebuild `out/<split>/<label>/<sha256><suffix>` and `out/manifest.csv`; returns the counts per
    split and label. train and val must both get images: training needs both."""
    store = RawStore(store_root)
    chosen = dataset(store)
    counts: dict[str, Counter] = {split: Counter() for split in SPLITS}
    rows = []
    for sha256, entry in chosen.items():
        split = split_of(sha256, params)
        counts[split][entry.label] += 1
        rows.append((split, entry.label, sha256, entry.suffix, entry.source))
    empty = [split for split in ("train", "val") if not counts[split]]
    if empty:
        raise DataError(
            f"{len(chosen)} images leave no {' and no '.join(empty)} images with these fractions: "
            "ingest more images or change split.val_fraction / split.test_fraction"
        )
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    for split, label, sha256, suffix, _ in rows:
        _place(store.object_path(sha256, suffix), out / split / label / f"{sha256}{suffix}")
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["split", "label", "sha256", "source"])
    writer.writerows(sorted((split, label, sha, source) for split, label, sha, _, source in rows))
    (out / MANIFEST).write_text(text.getvalue(), encoding="utf-8")
    return counts
