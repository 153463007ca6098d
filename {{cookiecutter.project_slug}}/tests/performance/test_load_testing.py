"""The Locust scenarios: their stages as data, a real headless run against a live server through
run.sh, and the CSV summary (p50/p95/p99, requests/s) that `capacity` reads."""

import json
import os
import subprocess
import sys

import pytest
import yaml

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.performance import PerformanceError
from {{ cookiecutter.package_name }}.performance.load_shapes import Stage, duration, load_scenarios, users_at
from {{ cookiecutter.package_name }}.performance.locust_report import summarize


@pytest.fixture(scope="module")
def folder(project_root):
    return project_root / "performance" / "load_testing"


def test_the_three_scenarios_are_defined_with_bounded_durations(folder):
    scenarios = load_scenarios(folder / "scenarios.yaml")
    assert set(scenarios) == {"steady", "spike", "soak"}
    spike = scenarios["spike"]
    assert max(stage.users for stage in spike) >= 4 * spike[0].users, "a spike rises well above the base load"
    assert spike[-1].users == spike[0].users, "and comes back down, to show the recovery"
    assert duration(scenarios["soak"]) > duration(scenarios["steady"]) and duration(scenarios["soak"]) <= 4 * 3600


def test_users_follow_the_stages_in_order_and_stop_after_the_last():
    stages = [Stage(10, 2, 1), Stage(5, 20, 20)]
    assert users_at(stages, 0) == (2, 1) and users_at(stages, 9.9) == (2, 1)
    assert users_at(stages, 10) == (20, 20) and users_at(stages, 14.9) == (20, 20)
    assert users_at(stages, 15) is None
    assert users_at(stages, 1.4, time_scale=0.1) == (20, 20) and users_at(stages, 1.5, time_scale=0.1) is None


def test_a_scenario_with_a_bad_stage_is_refused_by_name(tmp_path):
    path = tmp_path / "scenarios.yaml"
    path.write_text(yaml.safe_dump({"broken": {"stages": [{"seconds": 0, "users": 3, "spawn_rate": 1}]}}))
    with pytest.raises(PerformanceError, match="broken"):
        load_scenarios(path)


@pytest.fixture(scope="module")
def spike_run(live_server, folder, package_env, tmp_path_factory):
    """The spike scenario, a hundred times shorter (2.4 s), with short think times and many bad uploads."""
    out = tmp_path_factory.mktemp("load")
    env = {
        **package_env,
        "LOAD_TIME_SCALE": "0.01",
        "LOAD_THINK_TIME": "0.05,0.2",
        "LOAD_BAD_SHARE": "0.4",
        "PYTHON": sys.executable,
    }
    result = subprocess.run(
        ["bash", str(folder / "run.sh"), "spike", live_server, str(out)], env=env, capture_output=True, text=True,
        timeout=180,
    )  # fmt: skip
    return result, out


def test_a_headless_spike_against_a_live_server_has_no_unexpected_failures(spike_run):
    result, out = spike_run
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = json.loads((out / "spike.json").read_text())
    [run] = summary["runs"]
    assert run["requests"] >= 5 and run["errors"] == 0 and run["throughput_rps"] > 0
    latency = run["latency_ms"]
    assert 0 < latency["p50"] <= latency["p95"] <= latency["p99"] and latency["max"] > 0  # Locust rounds percentiles
    names = summary["requests_by_name"]
    assert names["POST /v1/predict"]["requests"] > 0
    assert names["POST /v1/predict [bad upload]"]["requests"] > 0, "bad uploads were sent and refused as such"


def test_load_report_prints_the_same_summary_and_capacity_reads_it(spike_run, capsys, tmp_path):
    _, out = spike_run
    main(["load-report", str(out / "spike")])
    printed = json.loads(capsys.readouterr().out)
    assert printed["runs"] == json.loads((out / "spike.json").read_text())["runs"]
    run = printed["runs"][0]
    target_p99 = run["latency_ms"]["p99"] + 1
    main(["capacity", "--load-test", str(out / "spike.json"), "--target-rps", "100", "--target-p99-ms", str(target_p99),
          "--out", str(tmp_path / "plan.json")])  # fmt: skip
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert plan["chosen_run"]["throughput_rps"] == run["throughput_rps"] and plan["replicas"] >= 2


def test_an_unexpected_answer_fails_the_run(folder, package_env, tmp_path):
    """Against a server that answers nothing (a closed port), every request fails and run.sh says so."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    env = {**package_env, "LOAD_TIME_SCALE": "0.003", "LOAD_THINK_TIME": "0.05,0.1", "PYTHON": sys.executable}
    result = subprocess.run(
        ["bash", str(folder / "run.sh"), "steady", closed, str(tmp_path)], env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert json.loads((tmp_path / "steady.json").read_text())["runs"][0]["errors"] > 0


def test_a_missing_stats_file_is_reported_with_the_flag_to_use(tmp_path):
    with pytest.raises(PerformanceError, match="--csv"):
        summarize(tmp_path / "nothing")


def test_run_sh_passes_shellcheck(folder, dev_tool):
    result = subprocess.run([dev_tool("shellcheck"), "--severity=style", str(folder / "run.sh")], capture_output=True,
                            text=True)  # fmt: skip
    assert result.returncode == 0, result.stdout


def test_the_scripts_run_from_anywhere_as_executables(folder, project_root):
    for script in [folder / "run.sh", *(project_root / "performance" / "profiling").glob("*.sh")]:
        assert os.access(script, os.X_OK), script
        assert script.read_text().startswith("#!/usr/bin/env bash\n"), script
