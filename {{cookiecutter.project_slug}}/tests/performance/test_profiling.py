"""Profiling: torch.profiler traces of predict and of training steps, and a py-spy flame graph."""

import json
import subprocess
import sys

import pytest

from {{ cookiecutter.package_name }}.cli import main


def trace_events(path) -> list[dict]:
    return json.loads(path.read_text())["traceEvents"]


def test_profiling_predict_writes_a_browser_trace_with_the_forward_pass_labelled(
    trained_checkpoint, demo_data, tmp_path, capsys
):
    main(["profiler", "predict", str(demo_data / "val"), "--checkpoint", str(trained_checkpoint), "--out",
          str(tmp_path), "--batches", "2", "--batch-size", "4", "--workers", "0", "--device", "cpu"])  # fmt: skip
    summary = json.loads(capsys.readouterr().out)
    assert summary["images"] == 8 and summary["backend"] == "onnxruntime"
    names = {event.get("name") for event in trace_events(tmp_path / "predict.trace.json")}
    assert "model forward (onnxruntime)" in names and "predict" in names
    table = (tmp_path / "predict.ops.txt").read_text()
    assert "Self CPU" in table and "model forward (onnxruntime)" in table


def test_profiling_training_steps_records_the_backward_pass(make_config, project_root, demo_data, tmp_path, capsys):
    overrides = [f"data.root={demo_data}", "data.image_size=32", "data.batch_size=8", "data.num_workers=0",
                 "train.device=cpu", "train.precision=fp32"]  # fmt: skip
    config = ["--config", str(project_root / "configs" / "default.yaml"), *[a for o in overrides for a in ("--set", o)]]
    main(["profiler", "train", *config, "--steps", "2", "--out", str(tmp_path)])
    summary = json.loads(capsys.readouterr().out)
    assert summary["steps"] == 2 and summary["batch_size"] == 8
    names = {event.get("name", "") for event in trace_events(tmp_path / "train_step.trace.json")}
    assert "training steps" in names
    assert any("backward" in name.lower() for name in names), "the trace holds the backward pass"
    assert any(name.startswith("Optimizer.step") for name in names), "and the optimizer step"


def test_py_spy_writes_a_flame_graph_of_predict(trained_checkpoint, demo_data, project_root, package_env, tmp_path,
                                                dev_tool):  # fmt: skip
    script = project_root / "performance" / "profiling" / "flamegraph.sh"
    command = [sys.executable, "-m", "{{ cookiecutter.package_name }}", "predict", str(demo_data / "val"),
               "--checkpoint", str(trained_checkpoint), "--out", str(tmp_path / "p.csv"), "--workers", "0"]  # fmt: skip
    env = {**package_env, "OUT_DIR": str(tmp_path), "PY_SPY": dev_tool("py-spy")}
    result = subprocess.run(["bash", str(script), "predict", "--", *command], env=env, capture_output=True, text=True,
                            timeout=300)  # fmt: skip
    if result.returncode != 0 and "ptrace" in (result.stdout + result.stderr).lower():
        pytest.skip(f"py-spy may not trace processes here (no ptrace permission): {result.stderr.strip()[-200:]}")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    svg = (tmp_path / "predict.flame.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "predict_files" in svg, "the flame graph names the project's own functions"
    assert (tmp_path / "p.csv").is_file(), "the profiled command ran to its end"


@pytest.mark.parametrize("script", ["flamegraph.sh", "profile.sh"])
def test_profiling_scripts_pass_shellcheck(script, project_root, dev_tool):
    path = project_root / "performance" / "profiling" / script
    result = subprocess.run([dev_tool("shellcheck"), "--severity=style", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
