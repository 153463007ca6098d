import json
import subprocess
import sys

import pytest

from {{ cookiecutter.package_name }}.cli import build_parser, main


def test_every_lifecycle_command_is_available():
    commands = build_parser()._subparsers._group_actions[0].choices
    lifecycle = {"make-demo-data", "train", "evaluate", "predict", "bench", "serve", "export", "demo", "openapi"}
    assert lifecycle <= set(commands)


def test_openapi_writes_the_same_sorted_schema_every_time_without_a_model(tmp_path, capsys):
    first, second = tmp_path / "first.json", tmp_path / "sub" / "second.json"
    main(["openapi", "--out", str(first)])
    main(["openapi", "--out", str(second)])
    text = first.read_text(encoding="utf-8")
    assert text == second.read_text(encoding="utf-8") and text.endswith("}\n")
    schema = json.loads(text)
    assert list(schema) == sorted(schema)
    assert {"/health", "/ready", "/v1/predict"} == set(schema["paths"])
    assert text == json.dumps(schema, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def test_a_bad_config_value_exits_2_with_the_key_and_no_traceback(project_root, package_env):
    command = [
        sys.executable,
        "-m",
        "{{ cookiecutter.package_name }}",
        "train",
        "--config",
        str(project_root / "configs" / "default.yaml"),
        "--set",
        "train.epochs=zero",
    ]
    completed = subprocess.run(command, env=package_env, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 2
    assert "train.epochs" in completed.stderr and "Traceback" not in completed.stderr


def test_predict_on_a_missing_checkpoint_says_what_to_do(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["predict", str(tmp_path), "--checkpoint", str(tmp_path / "none.pt")])
    assert exit_info.value.code == 2
    assert "train a model first" in capsys.readouterr().err


def test_cli_pipeline_trains_evaluates_and_predicts(demo_data, project_root, tmp_path, capsys):
    config = str(project_root / "configs" / "default.yaml")
    overrides = [
        f"data.root={demo_data}",
        "data.image_size=32",
        "data.num_workers=0",
        "data.batch_size=8",
        "train.epochs=1",
        "train.device=cpu",
        f"train.output_dir={tmp_path / 'run'}",
    ]
    main(["train", "--config", config, *[arg for o in overrides for arg in ("--set", o)]])
    checkpoint = str(tmp_path / "run" / "best.pt")
    main(
        [
            "evaluate",
            "--checkpoint",
            checkpoint,
            "--data",
            str(demo_data / "val"),
            "--out",
            str(tmp_path / "rep"),
            "--workers",
            "0",
            "--device",
            "cpu",
        ]
    )
    main(
        [
            "predict",
            str(demo_data / "val"),
            "--checkpoint",
            checkpoint,
            "--out",
            str(tmp_path / "p.json"),
            "--workers",
            "0",
            "--device",
            "cpu",
        ]
    )
    assert (tmp_path / "rep" / "confusion_matrix.png").is_file()
    assert len(json.loads((tmp_path / "p.json").read_text())["predictions"]) == 16


@pytest.mark.slow
def test_demo_runs_the_whole_lifecycle_and_answers_over_http(tmp_path, project_root, capsys):
    main(
        [
            "demo",
            "--config",
            str(project_root / "configs" / "demo.yaml"),
            "--workdir",
            str(tmp_path),
            "--set",
            "train.epochs=1",
            "--set",
            "data.num_workers=0",
            "--set",
            "data.image_size=32",
        ]
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["predictions"] == 80
    assert len(summary["api_request"]["answer"]["predictions"]) == 3
