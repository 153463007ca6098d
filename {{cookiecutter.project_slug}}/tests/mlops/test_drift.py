import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.mlops import registry
from {{ cookiecutter.package_name }}.mlops.drift import population_stability_index

SHIFTS = {
    "darkened": (lambda image: (image * 0.45).astype(np.uint8), "brightness"),
    "blurred": (lambda image: cv2.GaussianBlur(image, (0, 0), 2.5), "sharpness"),
    "enlarged": (lambda image: cv2.resize(image, (96, 96), interpolation=cv2.INTER_LINEAR), "width"),
}


def shifted_copy(source: Path, target: Path, change) -> Path:
    for path in source.rglob("*.jpg"):
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(destination), change(cv2.imread(str(path))))
    return target


def drift(inputs: Path, checkpoint, out: Path, *extra: str) -> int:
    """Exit code of the `drift` command (0 when it returns normally)."""
    try:
        main(["drift", str(inputs), "--checkpoint", str(checkpoint), "--out", str(out), "--device", "cpu", *extra])
    except SystemExit as exit_info:
        return exit_info.code
    return 0


def test_a_fresh_sample_of_the_training_distribution_does_not_alarm(tracked_run, fresh_sample, tmp_path):
    code = drift(fresh_sample, tracked_run["output"] / "best.pt", tmp_path / "drift.json")
    report = json.loads((tmp_path / "drift.json").read_text())
    assert code == 0 and report["drift"] is False and report["drifted_features"] == []
    assert report["current_images"] == 80
    assert set(report["features"]) == {"width", "height", "brightness", "contrast", "sharpness", "confidence"}


@pytest.mark.parametrize("shift", SHIFTS)
def test_shifted_copies_alarm_on_the_feature_that_moved_and_exit_1(shift, tracked_run, fresh_sample, tmp_path):
    change, feature = SHIFTS[shift]
    images = shifted_copy(fresh_sample, tmp_path / shift, change)
    code = drift(images, tracked_run["output"] / "best.pt", tmp_path / "drift.json")
    report = json.loads((tmp_path / "drift.json").read_text())
    assert code == 1 and report["drift"] is True
    assert feature in report["drifted_features"]
    result = report["features"][feature]
    assert result["p_value"] < 0.01 and result["psi"] > 0.2


def test_thresholds_decide_the_exit_code(tracked_run, fresh_sample, tmp_path):
    images = shifted_copy(fresh_sample, tmp_path / "darkened", SHIFTS["darkened"][0])
    code = drift(images, tracked_run["output"] / "best.pt", tmp_path / "drift.json", "--psi-threshold", "1000")
    assert code == 0


def test_drift_against_a_registered_model_uses_the_profile_registered_with_it(
    registry_store, tracked_run, fresh_sample, tmp_path
):
    registry.promote(tracked_run["model"], "production", version="1")
    production = f"models:/{tracked_run['model']}@production"
    blurred = shifted_copy(fresh_sample, tmp_path / "blurred", SHIFTS["blurred"][0])
    assert drift(fresh_sample, production, tmp_path / "same.json") == 0
    assert drift(blurred, production, tmp_path / "blurred.json") == 1


def test_a_profile_made_by_the_profile_command_serves_as_the_reference(tracked_run, fresh_sample, tmp_path):
    checkpoint = tracked_run["output"] / "best.pt"
    main(
        [
            "profile",
            str(fresh_sample),
            "--checkpoint",
            str(checkpoint),
            "--out",
            str(tmp_path / "p.json"),
            "--device",
            "cpu",
        ]
    )
    code = drift(fresh_sample, checkpoint, tmp_path / "drift.json", "--reference", str(tmp_path / "p.json"))
    report = json.loads((tmp_path / "drift.json").read_text())
    assert code == 0 and all(result["psi"] == 0 for result in report["features"].values())


def test_a_missing_profile_is_a_clear_error_with_exit_2(trained_checkpoint, fresh_sample, tmp_path, capsys):
    code = drift(fresh_sample, trained_checkpoint, tmp_path / "drift.json")
    assert code == 2
    assert "no reference profile" in capsys.readouterr().err and not (tmp_path / "drift.json").exists()


def test_psi_is_zero_for_the_same_sample_and_large_for_a_shift_or_an_unseen_value():
    rng = np.random.default_rng(0)
    reference = rng.normal(0, 1, 2000)
    assert population_stability_index(reference, reference) == pytest.approx(0)
    assert population_stability_index(reference, rng.normal(0, 1, 2000)) < 0.05
    assert population_stability_index(reference, rng.normal(1.5, 1, 2000)) > 1
    sizes = np.full(100, 48.0)
    assert population_stability_index(sizes, np.full(50, 48.0)) == pytest.approx(0)
    assert population_stability_index(sizes, np.full(50, 64.0)) > 5
