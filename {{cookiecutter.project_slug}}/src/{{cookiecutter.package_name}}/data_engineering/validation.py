"""Validation: every check that should stop a dataset before it trains, with a JSON report.

It reads the raw store (its current versions, with the split each file will get), or a folder of
`<split>/<label>/<image>` (the layout training reads) or of `<label>/<image>`. Each distinct
content is decoded once, with OpenCV (what training sees) and Pillow (structure and EXIF):

    unreadable, truncated     the bytes do not decode, or end before the image data does
    too_small, channels       below validate.min_width / min_height; a channel count not allowed
    corrupt_exif              an EXIF block whose header, offsets or entries do not parse
    duplicate                 the same bytes more than once (conflicting labels say so)
    near_duplicate            a perceptual hash (imagehash's pHash) within
                              validate.near_duplicate_max_distance bits of an image in another split
    empty_label, unknown_label, imbalance

Near-duplicates are found without comparing every pair: a hash is cut into max_distance + 1
pieces, and two hashes that differ in at most max_distance bits agree on at least one whole piece
(pigeonhole), so only images that share a piece are compared.
"""

import io
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .params import CHECKS, DataParams, ValidationParams
from .split import SPLITS, label_problem, split_of
from .store import RawStore, sha256_of

PNG = b"\x89PNG\r\n\x1a\n"
TIFF_HEADERS = {b"II*\x00": "little", b"MM\x00*": "big"}
SHOWN = 5  # examples per check in the printed summary (the report lists every defect)


@dataclass(frozen=True)
class Item:
    key: str  # the source (raw store) or the file path (folder)
    path: Path
    sha256: str
    label: str
    split: str


@dataclass
class Facts:
    """What one distinct content turned out to be."""

    problems: list[tuple[str, str]] = field(default_factory=list)
    width: int = 0
    height: int = 0
    channels: int = 0
    phash: np.ndarray | None = None


def items_of(data: Path, params: DataParams) -> list[Item]:
    """The images to validate, with the split each has (or will get) and its label."""
    data = Path(data)
    store = RawStore(data)
    if store.exists():
        return [
            Item(e.source, store.object_path(e.sha256, e.suffix), e.sha256, e.label, split_of(e.sha256, params.split))
            for e in store.current()
        ]
    from ..data.dataset import list_images

    if not data.is_dir():
        raise FileNotFoundError(f"{data}: neither a raw store (index.jsonl) nor a folder of images")
    split_folders = [split for split in SPLITS if (data / split).is_dir()]
    items = []
    for path in list_images([data]):
        relative = path.relative_to(data).parts
        split = relative[0] if split_folders else None
        inside = relative[1:] if split_folders else relative
        if split_folders and split not in split_folders:
            continue
        label = inside[-2] if len(inside) > 1 else ""
        sha256 = sha256_of(path)
        items.append(Item(str(path), path, sha256, label, split or split_of(sha256, params.split)))
    return items


def _exif_messages(caught) -> list[str]:
    return [str(w.message).strip() for w in caught if "exif" in str(w.message).lower()]


def _exif_problem(image, earlier: list[str]) -> str | None:
    """Why the EXIF block of a Pillow image does not parse, or None (also None without EXIF).
    `earlier`: what Pillow warned about EXIF while opening the image (it reads the block then)."""
    raw = image.info.get("exif")
    if not raw:
        return None
    tiff = raw[6:] if raw.startswith(b"Exif\x00\x00") else raw
    order = TIFF_HEADERS.get(tiff[:4])
    if order is None:
        return f"the EXIF block does not start with a TIFF header (starts {tiff[:4]!r})"
    offset = int.from_bytes(tiff[4:8], order)
    if not 8 <= offset < len(tiff):
        return f"the EXIF block points its first directory at byte {offset} of {len(tiff)}"
    if earlier:
        return earlier[0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exif = image.getexif()
            for tag in (0x8769, 0x8825):  # the Exif and GPS sub-directories
                if tag in exif:
                    exif.get_ifd(tag)
        except Exception as error:  # Pillow raises a variety of errors on a malformed block
            return f"the EXIF block does not parse ({type(error).__name__}: {error})"
    messages = _exif_messages(caught)
    return messages[0] if messages else None


def inspect(data: bytes, hash_size: int) -> Facts:
    """Decode one content and note every problem it has."""
    import cv2
    import imagehash
    from PIL import Image

    facts = Facts()
    if data.startswith(b"\xff\xd8"):
        scan = data.find(b"\xff\xda")
        if scan < 0 or data.rfind(b"\xff\xd9") < scan:
            facts.problems.append(("truncated", "a JPEG without its end-of-image marker after the scan data"))
    elif data.startswith(PNG) and data.rfind(b"IEND") < 0:
        facts.problems.append(("truncated", "a PNG without its IEND chunk"))
    image = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            image = Image.open(io.BytesIO(data))
            image.load()
        except Exception as error:  # Pillow's decoders raise OSError, SyntaxError, ValueError...
            if "truncated" in str(error) and not facts.problems:
                facts.problems.append(("truncated", str(error)))
            image = None
    array = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED) if data else None
    if array is None or array.size == 0:
        if not facts.problems:
            facts.problems.append(("unreadable", "neither OpenCV nor Pillow decodes it"))
        return facts
    facts.height, facts.width = array.shape[:2]
    facts.channels = 1 if array.ndim == 2 else array.shape[2]
    if image is not None:
        problem = _exif_problem(image, _exif_messages(caught))
        if problem:
            facts.problems.append(("corrupt_exif", problem))
        facts.phash = np.asarray(imagehash.phash(image.convert("RGB"), hash_size=hash_size).hash, bool).ravel()
    return facts


def near_duplicates(hashes: dict[str, np.ndarray], max_distance: int) -> list[tuple[str, str, int]]:
    """Pairs of keys whose hashes differ in at most `max_distance` bits (see the module docstring)."""
    if not hashes:
        return []
    bits = len(next(iter(hashes.values())))
    pieces = min(max_distance + 1, bits)
    bounds = np.linspace(0, bits, pieces + 1).astype(int)
    buckets: dict[tuple[int, bytes], list[str]] = defaultdict(list)
    for key, value in hashes.items():
        for piece in range(pieces):
            buckets[(piece, value[bounds[piece] : bounds[piece + 1]].tobytes())].append(key)
    pairs = set()
    for keys in buckets.values():
        for i, first in enumerate(keys):
            for second in keys[i + 1 :]:
                pairs.add((first, second) if first < second else (second, first))
    found = []
    for first, second in sorted(pairs):
        distance = int(np.count_nonzero(hashes[first] != hashes[second]))
        if distance <= max_distance:
            found.append((first, second, distance))
    return found


def _defect(check: str, item: str, detail: str, sha256: str | None = None) -> dict:
    return {"check": check, "item": item, "sha256": sha256, "detail": detail}


def validate(data: Path, params: DataParams) -> dict:
    """The report of every check over `data` (see the module docstring); `ok` says whether it passes."""
    from tqdm import tqdm

    rules: ValidationParams = params.validate_
    items = items_of(data, params)
    by_content: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        by_content[item.sha256].append(item)
    defects: list[dict] = []
    facts: dict[str, Facts] = {}
    for sha256, group in tqdm(by_content.items(), desc="validate", unit="image", disable=None):
        first = group[0]
        facts[sha256] = found = inspect(first.path.read_bytes(), rules.near_duplicate_hash_size)
        for check, detail in found.problems:
            defects.append(_defect(check, first.key, detail, sha256))
        if found.width and (found.width < rules.min_width or found.height < rules.min_height):
            detail = f"{found.width}x{found.height}, below {rules.min_width}x{rules.min_height}"
            defects.append(_defect("too_small", first.key, detail, sha256))
        if found.channels and found.channels not in rules.channels:
            detail = f"{found.channels} channels; allowed: {', '.join(map(str, rules.channels))}"
            defects.append(_defect("channels", first.key, detail, sha256))
        for other in group[1:]:
            labels = "" if other.label == first.label else f" but labelled {other.label!r}, not {first.label!r}"
            where = "" if other.split == first.split else f" in {other.split}, not {first.split}"
            defects.append(_defect("duplicate", other.key, f"the same bytes as {first.key}{labels}{where}", sha256))

    for item in items:
        problem = label_problem(item.label)
        if problem == "empty":
            defects.append(_defect("empty_label", item.key, "no label", item.sha256))
        elif problem:
            defects.append(_defect("unknown_label", item.key, f"label {item.label!r} is {problem}", item.sha256))
        elif rules.classes and item.label not in rules.classes:
            detail = f"label {item.label!r} is not one of {', '.join(rules.classes)}"
            defects.append(_defect("unknown_label", item.key, detail, item.sha256))

    splits_of = {sha256: {item.split for item in group} for sha256, group in by_content.items()}
    hashes = {sha256: f.phash for sha256, f in facts.items() if f.phash is not None}
    for first, second, distance in near_duplicates(hashes, rules.near_duplicate_max_distance):
        if len(splits_of[first] | splits_of[second]) > 1:  # not all in one split
            a, b = by_content[first][0], by_content[second][0]
            if a.split == "train":  # name the held-out copy: that is the one to remove
                a, b = b, a
            detail = f"{distance} bits from {b.key} ({a.split} / {b.split})"
            defects.append(_defect("near_duplicate", a.key, detail, a.sha256))

    # Balance among the allowed classes (a label outside them is already a defect), or among all labels.
    counts = Counter(
        group[0].label
        for group in by_content.values()
        if not label_problem(group[0].label) and (not rules.classes or group[0].label in rules.classes)
    )
    for name in rules.classes:
        counts.setdefault(name, 0)
    if len(counts) > 1:
        largest, smallest = max(counts.values()), min(counts.values())
        if smallest == 0 or largest / smallest > rules.max_class_ratio:
            ratio = "no images" if smallest == 0 else f"{largest / smallest:.1f}x"
            detail = (
                f"{', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}: largest over smallest is {ratio}, "
                f"above {rules.max_class_ratio}"
            )
            defects.append(_defect("imbalance", str(data), detail))

    per_check = Counter(defect["check"] for defect in defects)
    failing = sorted(check for check in per_check if check not in rules.warn_only)
    return {
        "ok": not failing,
        "data": str(data),
        "images": len(items),
        "distinct_images": len(by_content),
        "labels": dict(sorted(Counter(item.label for item in items).items())),
        "splits": {split: sum(1 for item in items if item.split == split) for split in SPLITS},
        "failing_checks": failing,
        "checks": {
            check: {"defects": per_check.get(check, 0), "fails": check in failing, "description": description}
            for check, description in CHECKS.items()
        },
        "params": {"validate": rules.model_dump(), "split": params.split.model_dump()},
        "defects": defects,
    }


def counts_of(report: dict) -> dict:
    """The numbers of a report alone: images per split and defects per check."""
    return {
        "images": report["images"],
        "distinct_images": report["distinct_images"],
        "splits": report["splits"],
        "defects": {check: result["defects"] for check, result in report["checks"].items()},
    }


def summary(report: dict, report_path: Path) -> str:
    """The report in a few lines, for people."""
    splits = ", ".join(f"{split} {count}" for split, count in report["splits"].items())
    lines = [f"validation of {report['data']}: {report['images']} images, {len(report['labels'])} labels ({splits})"]
    by_check = defaultdict(list)
    for defect in report["defects"]:
        by_check[defect["check"]].append(defect)
    for check, result in report["checks"].items():
        count = result["defects"]
        flag = "ok" if not count else ("FAIL" if result["fails"] else "warn")
        shown = "; ".join(f"{d['item']}: {d['detail']}" for d in by_check[check][:SHOWN])
        more = f" (+{count - SHOWN} more)" if count > SHOWN else ""
        lines.append(f"  {flag:<4} {check:<15} {count:>5}  {shown}{more}".rstrip())
    total = sum(result["defects"] for result in report["checks"].values() if result["fails"])
    verdict = "passed" if report["ok"] else f"FAILED: {total} defects in {', '.join(report['failing_checks'])}"
    lines.append(f"{verdict}; report in {report_path}")
    return "\n".join(lines)
