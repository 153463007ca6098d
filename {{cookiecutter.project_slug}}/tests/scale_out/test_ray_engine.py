"""`batch-predict --engine ray`: the same answers as `predict`, on a local Ray instance with 2 CPUs,
and nothing lost or written twice when a model worker is killed mid-run."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from {{ cookiecutter.package_name }}.data.synthetic import make_demo_data
from {{ cookiecutter.package_name }}.scale_out.ray_engine import ModelActor, decode
from {{ cookiecutter.package_name }}.scale_out.results import read_results

PACKAGE = "{{ cookiecutter.package_name }}"


def test_the_ray_stages_decode_and_predict_as_predict_does_without_ray(
    image_tree, predicted, trained_checkpoint, assert_same_as_predict
):
    paths = sorted([*predicted["predictions"], *predicted["errors"]])
    batch = decode({"path": np.array(paths, dtype=object)}, image_size=32)
    table = ModelActor(str(trained_checkpoint), device="cpu", backend="auto", top_k=3)(batch)
    assert_same_as_predict({row["path"]: row for row in table.to_pylist()}, predicted)


@pytest.fixture(scope="module")
def many_images(tmp_path_factory, image_tree) -> Path:
    """300 images of the synthetic shapes and the three unreadable files of `image_tree`."""
    root = make_demo_data(tmp_path_factory.mktemp("many"), per_class_train=75, per_class_val=0, size=48, seed=3)
    folder = root / "train"
    for broken in ("truncated.jpg", "a/not-an-image.png", "b/animation.gif"):
        (folder / Path(broken).name).write_bytes((image_tree / broken).read_bytes())
    return folder


def descends_from(pid: int, ancestor: int) -> bool:
    while pid > 1:
        if pid == ancestor:
            return True
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            return False
    return False


def model_workers(ancestor: int) -> list[int]:
    """Processes of the Ray instance started by `ancestor` that run a ModelActor."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if "ModelActor" in command and descends_from(int(entry.name), ancestor):
                found.append(int(entry.name))
    return found


def rows_written(out: Path) -> int:
    return sum(pq.read_metadata(shard).num_rows for shard in out.glob("part-*.parquet"))


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


@pytest.fixture(scope="module")
def ray_cluster(package_env, tmp_path_factory):
    """A one-node Ray cluster with 2 CPUs, started as a cluster's head is (`ray start --head`), with
    fixed ports, so that `batch-predict` joins it with --ray-address as it would on Kubernetes."""
    gcs, *others = free_ports(7)
    options = ["--dashboard-agent-grpc-port", "--dashboard-agent-listen-port", "--metrics-export-port"]
    options += ["--runtime-env-agent-port", "--node-manager-port", "--object-manager-port"]
    command = [str(Path(sys.executable).parent / "ray"), "start", "--head", "--block", "--num-cpus", "2"]
    command += [f"--port={gcs}", "--node-ip-address=127.0.0.1", "--disable-usage-stats"]
    command += ["--include-dashboard=false", "--include-log-monitor=false"]  # fewer processes to start
    command += [f"{option}={port}" for option, port in zip(options, others, strict=True)]
    command += [f"--temp-dir={tmp_path_factory.mktemp('ray')}"]
    env = {**package_env, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}  # nothing written to ~/.ray
    head = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    try:
        output = []
        for line in head.stdout:  # `ray start --block` says when the node is up, then stays in the foreground
            output.append(line)
            if "Ray runtime started" in line:
                break
        assert head.poll() is None, "".join(output)[-4000:]
        threading.Thread(target=head.stdout.read, daemon=True).start()  # keep its pipe from filling up
        yield {"address": f"127.0.0.1:{gcs}", "pid": head.pid, "env": env}
    finally:
        os.killpg(head.pid, signal.SIGTERM)  # the head and every process it started: nothing else
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait()


@pytest.mark.slow
def test_ray_engine_matches_predict_and_a_killed_model_worker_loses_and_repeats_nothing(
    many_images, trained_checkpoint, tmp_path, ray_cluster, assert_same_as_predict, run_predict
):
    out = tmp_path / "results"
    command = [
        sys.executable,
        "-m",
        PACKAGE,
        "batch-predict",
        str(many_images),
        "--checkpoint",
        str(trained_checkpoint),
    ]
    command += ["--out", str(out), "--engine", "ray", "--ray-address", ray_cluster["address"]]
    command += ["--batch-size", "8", "--shard-size", "32"]
    process = subprocess.Popen(
        command, env=ray_cluster["env"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 300
        while not (out.exists() and rows_written(out) > 0):  # the model worker is up and results flow
            assert process.poll() is None, process.stdout.read()[-4000:]
            assert time.monotonic() < deadline, "no results after 300 s"
            time.sleep(0.02)
        [worker] = model_workers(ray_cluster["pid"])
        os.kill(worker, signal.SIGKILL)
        written_before = rows_written(out)
        output, _ = process.communicate(timeout=600)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output[-4000:]
    assert written_before < 303, "the worker was killed after the work was done; the run proves nothing"
    summary = json.loads((out / "_summary.json").read_text())
    assert (summary["listed"], summary["rows"], summary["unreadable"]) == (303, 303, 3)
    assert (summary["missing"], summary["repeated"]) == (0, 0)
    assert_same_as_predict(read_results(out), run_predict([str(many_images)], trained_checkpoint, tmp_path / "p.json"))
