"""Validation: a clean set passes, and each defect of a known-bad set is found, alone and by name."""

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from {{ cookiecutter.package_name }} import extensions
from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.data_engineering import DataError
from {{ cookiecutter.package_name }}.data_engineering.ingest import ingest
from {{ cookiecutter.package_name }}.data_engineering.params import CHECKS, load_params
from {{ cookiecutter.package_name }}.data_engineering.split import split_of
from {{ cookiecutter.package_name }}.data_engineering.store import sha256_of
from {{ cookiecutter.package_name }}.data_engineering.validation import near_duplicates, validate


def first(folder: Path, label: str = "circle") -> Path:
    return sorted((folder / label).glob("*.jpg"))[0]


def add_unreadable(folder, tools, params):
    (folder / "circle" / "noise.jpg").write_bytes(np.random.default_rng(0).bytes(3000))
    return folder / "circle" / "noise.jpg"


def add_truncated_jpeg(folder, tools, params):
    data = first(folder).read_bytes()
    (folder / "circle" / "cut.jpg").write_bytes(data[: len(data) * 2 // 3])
    return folder / "circle" / "cut.jpg"


def add_truncated_png(folder, tools, params):
    data = tools.png(tools.pixels(first(folder, "square")))
    (folder / "square" / "cut.png").write_bytes(data[:-12])  # without its IEND chunk
    return folder / "square" / "cut.png"


def add_too_small(folder, tools, params):
    small = tools.pixels(first(folder))[:16, :16]
    (folder / "circle" / "small.jpg").write_bytes(tools.jpeg(np.ascontiguousarray(small)))
    return folder / "circle" / "small.jpg"


def add_grey(folder, tools, params):
    grey = tools.pixels(first(folder, "cross")).mean(axis=2).astype(np.uint8)
    (folder / "cross" / "grey.png").write_bytes(tools.png(grey))
    return folder / "cross" / "grey.png"


def add_bad_exif(folder, tools, params):
    data = tools.with_app1(tools.jpeg(255 - tools.pixels(first(folder))), b"Exif\x00\x00XX\x00\x2a\x00\x00\x00\x08")
    (folder / "circle" / "exif.jpg").write_bytes(data)
    return folder / "circle" / "exif.jpg"


def add_bad_exif_directory(folder, tools, params):
    """A well-formed header whose first directory claims more entries than the block holds."""
    payload = b"Exif\x00\x00II\x2a\x00\x08\x00\x00\x00" + (300).to_bytes(2, "little") + b"\x00" * 12
    (folder / "cross" / "exif.jpg").write_bytes(
        tools.with_app1(tools.jpeg(255 - tools.pixels(first(folder, "cross"))), payload)
    )
    return folder / "cross" / "exif.jpg"


def add_duplicate(folder, tools, params):
    shutil.copy(first(folder), folder / "circle" / "again.jpg")
    return folder / "circle" / "again.jpg"


def add_conflicting_duplicate(folder, tools, params):
    shutil.copy(first(folder), folder / "square" / "mislabelled.jpg")
    return folder / "square" / "mislabelled.jpg"


def add_near_duplicate(folder, tools, params):
    """The same picture re-encoded, with bytes whose hash puts it in another split than the original."""
    original = first(folder, "triangle")
    home = split_of(sha256_of(original), params.split)
    for quality in range(60, 100):
        data = tools.jpeg(tools.pixels(original), quality)
        target = folder / "triangle" / "again.jpg"
        target.write_bytes(data)
        if split_of(sha256_of(target), params.split) != home:
            return target
    raise AssertionError("no re-encoding of the image lands in another split")


def add_unlabelled(folder, tools, params):
    shutil.copy(first(folder), folder / "loose.jpg")
    (folder / "circle" / sorted((folder / "circle").glob("*.jpg"))[0].name).unlink()
    return folder / "loose.jpg"


def add_unknown_label(folder, tools, params):
    (folder / "hexagon").mkdir()
    (folder / "hexagon" / "h.jpg").write_bytes(tools.jpeg(255 - tools.pixels(first(folder, "square"))))
    return folder / "hexagon" / "h.jpg"


def make_imbalanced(folder, tools, params):
    for path in sorted((folder / "triangle").glob("*.jpg"))[1:]:
        path.unlink()
    return None  # a defect of the dataset, not of a file


DEFECTS = [
    ("unreadable", add_unreadable),
    ("truncated", add_truncated_jpeg),
    ("truncated", add_truncated_png),
    ("too_small", add_too_small),
    ("channels", add_grey),
    ("corrupt_exif", add_bad_exif),
    ("corrupt_exif", add_bad_exif_directory),
    ("duplicate", add_duplicate),
    ("duplicate", add_conflicting_duplicate),
    ("near_duplicate", add_near_duplicate),
    ("empty_label", add_unlabelled),
    ("unknown_label", add_unknown_label),
    ("imbalance", make_imbalanced),
]


def stored(folder: Path, tmp_path: Path) -> Path:
    summary = ingest(str(folder), tmp_path / "raw")
    assert not summary.failed
    return tmp_path / "raw"


def test_a_clean_set_passes_every_check(clean_folder, tmp_path, params):
    report = validate(stored(clean_folder, tmp_path), params)
    assert report["ok"], report["defects"]
    assert report["defects"] == [] and report["failing_checks"] == []
    assert report["images"] == 48 and sum(report["splits"].values()) == 48
    assert set(report["checks"]) == set(CHECKS)


@pytest.mark.parametrize(("check", "plant"), DEFECTS, ids=[plant.__name__ for _, plant in DEFECTS])
def test_each_defect_is_found_alone_and_names_its_file(check, plant, clean_folder, tmp_path, params, tools):
    bad = plant(clean_folder, tools, params)
    report = validate(stored(clean_folder, tmp_path), params)
    assert not report["ok"]
    assert report["failing_checks"] == [check], report["defects"]
    if bad is not None:  # a near-duplicate names the pair: the held-out copy, and the other in the detail
        named = [
            d
            for d in report["defects"]
            if bad.as_posix() in (d["item"], d["detail"].split(" bits from ")[-1].split(" (")[0])
        ]
        assert named, report["defects"]


def test_conflicting_labels_say_so(clean_folder, tmp_path, params, tools):
    add_conflicting_duplicate(clean_folder, tools, params)
    [defect] = validate(stored(clean_folder, tmp_path), params)["defects"]
    assert "but labelled 'square', not 'circle'" in defect["detail"]


def test_a_failed_validation_exits_1_writes_its_report_and_tells_the_listeners(
    clean_folder, tmp_path, tools, params, monkeypatch, capsys
):
    add_truncated_jpeg(clean_folder, tools, params)
    add_grey(clean_folder, tools, params)
    heard = []
    ear = extensions.Extension("ear", on_event=lambda event, details: heard.append((event, dict(details))))
    installed = extensions.installed
    monkeypatch.setattr(extensions, "installed", lambda: (*installed(), ear))
    raw, report = stored(clean_folder, tmp_path), tmp_path / "reports" / "validation.json"
    metrics = tmp_path / "reports" / "metrics.json"
    with pytest.raises(SystemExit) as exit_info:
        main(["validate", str(raw), "--report", str(report), "--metrics", str(metrics)])
    assert exit_info.value.code == 1
    written = json.loads(report.read_text())
    assert written["failing_checks"] == ["channels", "truncated"]
    assert json.loads(metrics.read_text())["defects"]["truncated"] == 1
    assert heard == [
        ("validation_failed", {"report": str(report), "data": str(raw), "defects": {"truncated": 1, "channels": 1}})
    ]
    out = capsys.readouterr().out
    assert re.search(r"^ +FAIL +truncated +1 +.*cut\.jpg: ", out, re.M) and re.search(
        r"^ +ok +unreadable +0$", out, re.M
    )
    assert f"FAILED: 2 defects in channels, truncated; report in {report}" in out


def test_checks_listed_as_warn_only_are_reported_without_failing(clean_folder, tmp_path, tools, params_file):
    add_duplicate(clean_folder, tools, load_params(params_file))
    lenient = tmp_path / "params.yaml"
    lenient.write_text(params_file.read_text().replace("warn_only: []", "warn_only: [duplicate]"))
    report = validate(stored(clean_folder, tmp_path), load_params(lenient))
    assert report["ok"] and report["checks"]["duplicate"] == {
        **report["checks"]["duplicate"],
        "defects": 1,
        "fails": False,
    }


def test_thresholds_come_from_the_parameter_file(clean_folder, tmp_path, params_file):
    strict = tmp_path / "params.yaml"
    strict.write_text(params_file.read_text().replace("min_width: 32", "min_width: 64"))
    report = validate(stored(clean_folder, tmp_path), load_params(strict))
    assert report["failing_checks"] == ["too_small"] and report["checks"]["too_small"]["defects"] == 48


def test_a_parameter_file_without_a_key_is_refused_with_the_key_named(tmp_path, params_file):
    broken = tmp_path / "params.yaml"
    broken.write_text(params_file.read_text().replace("  max_class_ratio: 10.0", ""))
    with pytest.raises(DataError, match=r"validate\.max_class_ratio: Field required"):
        load_params(broken)


def test_a_folder_of_splits_is_validated_with_the_splits_it_has(tmp_path, params, tools):
    from {{ cookiecutter.package_name }}.data.synthetic import make_demo_data

    root = make_demo_data(tmp_path / "demo", per_class_train=12, per_class_val=4, size=48)
    report = validate(root, params)
    assert report["ok"] and report["splits"] == {"train": 48, "val": 16, "test": 0}
    leaked = sorted((root / "train" / "cross").glob("*.jpg"))[0]
    shutil.copy(leaked, root / "val" / "cross" / "leaked.jpg")
    [defect] = validate(root, params)["defects"]
    assert defect["check"] == "duplicate" and "in val, not train" in defect["detail"]


def test_the_near_duplicate_search_finds_exactly_the_pairs_a_full_comparison_finds():
    rng = np.random.default_rng(7)
    hashes = {f"{i:03d}": rng.random(256) < 0.5 for i in range(400)}
    for i in range(0, 120, 2):  # plant pairs at every distance from 0 to 14
        twin = hashes[f"{i:03d}"].copy()
        flip = rng.choice(256, i % 15, replace=False)
        twin[flip] = ~twin[flip]
        hashes[f"{i + 1:03d}"] = twin
    keys = sorted(hashes)
    for distance in (0, 4, 10):
        brute = {
            (a, b)
            for n, a in enumerate(keys)
            for b in keys[n + 1 :]
            if np.count_nonzero(hashes[a] != hashes[b]) <= distance
        }
        found = {(a, b) for a, b, _ in near_duplicates(hashes, distance)}
        assert found == brute and brute
