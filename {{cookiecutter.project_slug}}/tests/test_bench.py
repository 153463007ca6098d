import json

import cv2
import pytest

from {{ cookiecutter.package_name }} import settings
from {{ cookiecutter.package_name }}.bench import make_corpus
from {{ cookiecutter.package_name }}.cli import build_parser, main
from {{ cookiecutter.package_name }}.settings import BenchSettings

FIGURES = {"model_only", "decode_only", "naive", "project"}


def run_bench(capsys, corpus_root, *extra: str) -> dict:
    tiny = ["--backbone", "resnet18", "--image-size", "32", "--images", "6", "--batch-size", "4", "--device", "cpu"]
    main(["bench", *tiny, "--corpus-root", str(corpus_root), *extra])
    return json.loads(capsys.readouterr().out)


def test_bench_prints_every_figure_its_ratios_and_the_machine_as_one_json_document(tmp_path, capsys):
    report = run_bench(capsys, tmp_path, "--workers", "1")
    figures = report["images_per_second"]
    assert report["mode"] == "predict" and set(figures) == FIGURES
    assert all(value > 0 for value in figures.values())
    ceiling = min(figures["model_only"], figures["decode_only"])
    assert report["ratios"]["project_vs_naive"] == pytest.approx(figures["project"] / figures["naive"], rel=0.01)
    assert report["ratios"]["project_vs_ceiling"] == pytest.approx(figures["project"] / ceiling, rel=0.01)
    settings = report["settings"]
    assert (settings["precision"], settings["images"]) == ("fp32", 6)
    assert (settings["backend"], settings["decode"]) == ("onnxruntime", "opencv")  # what predict picks on a CPU
    assert report["machine"]["cpu_count"] >= 1 and report["machine"]["gpu"] is None
    assert {"torch", "torchvision", "opencv", "onnxruntime", "python"} <= set(report["machine"])


def test_bench_measures_the_backend_it_is_given(tmp_path, capsys):
    report = run_bench(capsys, tmp_path, "--workers", "0", "--backend", "torch")
    assert report["settings"]["backend"] == "torch" and all(v > 0 for v in report["images_per_second"].values())


def test_bench_refuses_to_compile_an_onnxruntime_model(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_bench(capsys, tmp_path, "--backend", "onnxruntime", "--compile")
    assert exit_info.value.code == 2 and "--compile compiles the PyTorch model" in capsys.readouterr().err


def test_bench_train_measures_the_training_step_against_its_ceilings(tmp_path, capsys):
    report = run_bench(capsys, tmp_path, "--workers", "0", "--train")
    assert report["mode"] == "train" and report["settings"]["train"] is True
    assert set(report["images_per_second"]) == FIGURES
    assert all(value > 0 for value in report["images_per_second"].values())


def test_bench_parses_compile_precision_and_workers_without_running():
    args = build_parser().parse_args(
        ["bench", "--compile", "--precision", "bf16", "--workers", "3", "--decode", "nvjpeg"]
    )
    given = settings.load(BenchSettings, settings.options(args))
    assert (given.compile, given.precision, given.workers, given.train) == (True, "bf16", 3, False)
    assert (given.backend, given.decode) == ("auto", "nvjpeg")


def test_the_corpus_is_made_once_and_only_missing_images_are_rewritten(tmp_path):
    folder = make_corpus(tmp_path, 3)
    files = sorted(folder.glob("*.jpg"))
    assert len(files) == 3 and folder.name == "corpus-3"
    height, width = cv2.imread(str(files[0])).shape[:2]
    assert 340 <= height <= 410 and 450 <= width <= 550
    first_bytes = files[1].read_bytes()
    kept = files[0].stat().st_mtime_ns
    files[1].unlink()
    (folder / "00001.tmp").write_bytes(b"left by an interrupted run")

    assert make_corpus(tmp_path, 3) == folder
    assert files[0].stat().st_mtime_ns == kept
    assert files[1].read_bytes() == first_bytes
    assert sorted(folder.glob("*.jpg")) == files and not (folder / "00001.tmp").exists()
