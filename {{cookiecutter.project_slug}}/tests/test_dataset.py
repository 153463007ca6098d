import logging

import pytest

from {{ cookiecutter.package_name }}.data.dataset import (
    ImageDataset,
    collate,
    list_images,
    scan_image_folder,
)
from {{ cookiecutter.package_name }}.data.loader import make_loader
from {{ cookiecutter.package_name }}.data.synthetic import SHAPES, make_demo_data
from {{ cookiecutter.package_name }}.utils.device import select_device


def test_synthetic_data_has_every_class_in_both_splits(tmp_path):
    root = make_demo_data(tmp_path, per_class_train=3, per_class_val=2, size=32)
    for split, count in (("train", 3), ("val", 2)):
        samples, names = scan_image_folder(root / split)
        assert names == sorted(SHAPES)
        assert len(samples) == count * len(SHAPES)


def test_synthetic_data_is_the_same_for_the_same_seed(tmp_path):
    a = make_demo_data(tmp_path / "a", per_class_train=2, per_class_val=1, size=32, seed=5)
    b = make_demo_data(tmp_path / "b", per_class_train=2, per_class_val=1, size=32, seed=5)
    files = sorted(p.relative_to(a) for p in a.rglob("*.jpg"))
    assert files and all((a / f).read_bytes() == (b / f).read_bytes() for f in files)


def test_val_split_uses_the_class_order_of_train(demo_data):
    _, names = scan_image_folder(demo_data / "train")
    samples, val_names = scan_image_folder(demo_data / "val", names)
    assert val_names == names
    assert {label for _, label in samples} == set(range(len(names)))


def test_a_class_folder_unknown_to_the_model_is_an_error(demo_data):
    with pytest.raises(ValueError, match="not among the model's classes"):
        scan_image_folder(demo_data / "val", ["circle"])


def test_missing_dataset_folder_names_the_expected_layout(tmp_path):
    with pytest.raises(FileNotFoundError, match="<class>/<image>"):
        scan_image_folder(tmp_path / "missing")


def test_corrupt_file_is_reported_and_dropped_not_replaced(tmp_path, caplog):
    root = make_demo_data(tmp_path, per_class_train=2, per_class_val=1, size=32)
    broken = root / "train" / "circle" / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 truncated jpeg")
    samples, _ = scan_image_folder(root / "train")
    dataset = ImageDataset(samples, 32)
    with caplog.at_level(logging.WARNING):
        batches = list(make_loader(dataset, batch_size=4, num_workers=0, device=select_device("cpu")))
    seen = [i for batch in batches for i in batch.indices.tolist()]
    failed = [i for batch in batches for i, _ in batch.failed]
    broken_index = [p for p, _ in samples].index(broken)
    assert failed == [broken_index]
    assert sorted(seen) == sorted(set(range(len(samples))) - {broken_index})
    assert "broken.jpg" in caplog.text


def test_a_batch_of_only_corrupt_files_has_no_images(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"nope")
    batch = collate([ImageDataset([(bad, 0)], 32)[0]])
    assert batch.images is None and len(batch.failed) == 1


def test_loader_yields_uint8_chw_batches_with_labels(demo_data):
    samples, _ = scan_image_folder(demo_data / "train")
    loader = make_loader(ImageDataset(samples, 32, train=True), 5, num_workers=2, device=select_device("cpu"))
    batch = next(iter(loader))
    assert batch.images.shape == (5, 3, 32, 32) and str(batch.images.dtype) == "torch.uint8"
    assert batch.labels.shape == (5,)


def test_list_images_finds_nested_images_and_rejects_missing_paths(demo_data, tmp_path):
    assert len(list_images([demo_data / "val"])) == len(scan_image_folder(demo_data / "val")[0])
    with pytest.raises(FileNotFoundError):
        list_images([tmp_path / "nothing-here"])
