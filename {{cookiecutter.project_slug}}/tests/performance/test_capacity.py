"""Capacity planning from measured JSON: the arithmetic it shows, and the README's worked example."""

import json
import re

import pytest

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.performance import PerformanceError
from {{ cookiecutter.package_name }}.performance.capacity import Run, plan
from {{ cookiecutter.package_name }}.performance.settings import CapacitySettings


@pytest.fixture(scope="module")
def example(project_root):
    return project_root / "performance" / "capacity_planning"


def runs(*rows):
    return [Run(c, rps, p50, p99, 0) for c, rps, p50, p99 in rows]


def test_replicas_come_from_the_best_run_that_meets_the_p99_target_with_headroom():
    result = plan(runs((1, 10, 100, 150), (8, 40, 200, 400), (32, 60, 500, 900)),
                  CapacitySettings(target_rps=100, target_p99_ms=500, headroom=0.2, min_replicas=1))  # fmt: skip
    assert result["chosen_run"]["concurrency"] == 8  # 32 in flight is faster but misses p99
    assert result["usable_rps_per_replica"] == 32.0  # 40 x (1 - 0.2)
    assert result["replicas"] == 4  # ceil(100 / 32)
    assert result["in_flight_per_replica"] == 5.0  # 25 req/s x 0.2 s
    assert result["serve"] == {"max_batch_size": 8, "batch_wait_ms": 0, "limit_concurrency": 8}


def test_the_minimum_replica_count_holds_for_small_targets():
    result = plan(runs((4, 50, 50, 80)), CapacitySettings(target_rps=1, target_p99_ms=100, min_replicas=2))
    assert result["replicas"] == 2 and result["serve"]["max_batch_size"] == 1


def test_a_p99_target_below_every_measurement_is_refused_with_the_reason():
    with pytest.raises(PerformanceError, match="more replicas cannot fix"):
        plan(runs((1, 10, 100, 150)), CapacitySettings(target_rps=10, target_p99_ms=100))


def test_runs_with_errors_never_count():
    result = plan([Run(1, 5, 50, 90, 0), Run(8, 30, 60, 95, 3)], CapacitySettings(target_rps=10, target_p99_ms=100))
    assert result["chosen_run"]["concurrency"] == 1


def test_the_targets_are_required(capsys, example):
    with pytest.raises(SystemExit) as stopped:
        main(["capacity", "--load-test", str(example / "example" / "load_test.json")])
    assert stopped.value.code == 2 and "target_rps" in capsys.readouterr().err


def test_the_readme_worked_example_is_what_the_command_prints_for_the_example_files(example, capsys, tmp_path):
    main(["capacity", "--load-test", str(example / "example" / "load_test.json"), "--bench",
          str(example / "example" / "bench.json"), "--target-rps", "50", "--target-p99-ms", "1500",
          "--out", str(tmp_path / "plan.json")])  # fmt: skip
    printed = capsys.readouterr().out.strip()
    block = re.search(r"```text\n\$ [^\n]+\n(.*?)\n```", (example / "README.md").read_text(), re.S).group(1)
    assert printed == block.strip()
    assert json.loads((tmp_path / "plan.json").read_text())["replicas"] == 18


def test_the_example_files_are_real_measurements_of_the_shipped_commands(example):
    bench = json.loads((example / "example" / "bench.json").read_text())
    load = json.loads((example / "example" / "load_test.json").read_text())
    assert bench["mode"] == "predict" and bench["settings"]["backbone"] == "resnet18"
    assert [run["concurrency"] for run in load["runs"]] == [1, 4, 16] and all(r["errors"] == 0 for r in load["runs"])
