"""Splits by hash: a file's split follows from its own bytes, so adding data moves nothing."""

import csv
import hashlib

import numpy as np
import pytest

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.data.dataset import scan_image_folder
from {{ cookiecutter.package_name }}.data_engineering import DataError
from {{ cookiecutter.package_name }}.data_engineering.ingest import ingest
from {{ cookiecutter.package_name }}.data_engineering.params import SplitParams
from {{ cookiecutter.package_name }}.data_engineering.split import split_of, write_split
from {{ cookiecutter.package_name }}.data_engineering.store import RawStore


def placed(out) -> dict[str, tuple[str, str]]:
    """sha256 -> (split, label), from the manifest the split writes."""
    with open(out / "manifest.csv", newline="") as handle:
        return {row["sha256"]: (row["split"], row["label"]) for row in csv.DictReader(handle)}


def test_adding_files_never_moves_a_file_already_split(clean_folder, tmp_path, params):
    later = tmp_path / "later"
    later.mkdir()
    for label in ("square", "triangle"):
        (clean_folder / label).rename(later / label)
    ingest(str(clean_folder), tmp_path / "raw")
    write_split(tmp_path / "raw", tmp_path / "prepared", params.split)
    before = placed(tmp_path / "prepared")
    for label in ("square", "triangle"):  # the other two classes arrive
        (later / label).rename(clean_folder / label)
    ingest(str(clean_folder), tmp_path / "raw")
    write_split(tmp_path / "raw", tmp_path / "prepared", params.split)
    after = placed(tmp_path / "prepared")
    assert len(before) == 24 and len(after) == 48
    assert {sha: after[sha] for sha in before} == before


def test_the_fractions_hold_over_many_files():
    params = SplitParams(val_fraction=0.15, test_fraction=0.15, salt="")
    rng = np.random.default_rng(3)
    splits = [split_of(hashlib.sha256(rng.bytes(16)).hexdigest(), params) for _ in range(20000)]
    shares = {name: splits.count(name) / len(splits) for name in ("train", "val", "test")}
    assert shares == pytest.approx({"train": 0.70, "val": 0.15, "test": 0.15}, abs=0.01)


@pytest.mark.parametrize("raised", ["test_fraction", "val_fraction"])
def test_raising_a_held_out_fraction_moves_training_files_into_it_and_nothing_else(raised):
    rng = np.random.default_rng(4)
    hashes = [hashlib.sha256(rng.bytes(16)).hexdigest() for _ in range(3000)]
    old = SplitParams(val_fraction=0.10, test_fraction=0.10, salt="")
    new = SplitParams(**{**old.model_dump(), raised: 0.20})
    moves = {(split_of(h, old), split_of(h, new)) for h in hashes if split_of(h, old) != split_of(h, new)}
    assert moves == {("train", raised.removesuffix("_fraction"))}


def test_a_salt_reshuffles_the_files():
    hashes = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(500)]
    plain = SplitParams(val_fraction=0.15, test_fraction=0.15, salt="")
    salted = SplitParams(val_fraction=0.15, test_fraction=0.15, salt="v2")
    assert sum(split_of(h, plain) != split_of(h, salted) for h in hashes) > 100


def test_the_split_is_the_layout_training_reads_with_the_stored_bytes(clean_folder, tmp_path, params, capsys):
    ingest(str(clean_folder), tmp_path / "raw")
    main(["split", "--store", str(tmp_path / "raw"), "--out", str(tmp_path / "prepared")])
    assert f"split written to {tmp_path / 'prepared'}" in capsys.readouterr().out
    store = RawStore(tmp_path / "raw")
    samples, names = scan_image_folder(tmp_path / "prepared" / "train")
    assert names == ["circle", "cross", "square", "triangle"]
    counted = sum(len(list((tmp_path / "prepared" / split).rglob("*.jpg"))) for split in ("train", "val", "test"))
    assert counted == 48 == len(placed(tmp_path / "prepared"))
    for path, label in samples:
        sha = path.stem
        assert placed(tmp_path / "prepared")[sha] == ("train", names[label])
        assert path.read_bytes() == store.object_path(sha, ".jpg").read_bytes()


def test_conflicting_labels_are_refused_before_anything_is_written(clean_folder, tmp_path, params):
    image = next((clean_folder / "circle").glob("*.jpg"))
    (clean_folder / "square" / "copy.jpg").write_bytes(image.read_bytes())
    ingest(str(clean_folder), tmp_path / "raw")
    with pytest.raises(DataError, match="hold the same bytes labelled 'circle' and 'square'"):
        write_split(tmp_path / "raw", tmp_path / "prepared", params.split)
    assert not (tmp_path / "prepared").exists()


def test_a_split_that_leaves_no_validation_images_is_refused(clean_folder, tmp_path):
    ingest(str(clean_folder), tmp_path / "raw")
    with pytest.raises(DataError, match="leave no val images"):
        write_split(tmp_path / "raw", tmp_path / "prepared", SplitParams(val_fraction=0.0, test_fraction=0.2, salt=""))
