"""`batch-predict --engine local`: predict's answers, in Parquet shards, each input exactly once,
resumable after a crash; the same for inputs named by fsspec URL."""

import json
import shutil

import pytest

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.data.dataset import list_images
from {{ cookiecutter.package_name }}.scale_out import ScaleOutError
from {{ cookiecutter.package_name }}.scale_out.listing import list_inputs
from {{ cookiecutter.package_name }}.scale_out.results import Folder, ShardWriter, read_results, shard_names


def batch_predict(inputs, checkpoint, out, *extra):
    main(
        [
            "batch-predict",
            *map(str, inputs),
            "--checkpoint",
            str(checkpoint),
            "--out",
            str(out),
            "--workers",
            "0",
            *extra,
        ]
    )
    return json.loads((out / "_summary.json").read_text()) if not str(out).startswith("memory:") else None


@pytest.fixture(scope="module")
def local_run(image_tree, trained_checkpoint, tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "results"
    summary = batch_predict([image_tree], trained_checkpoint, out, "--shard-size", "16")
    return out, summary


def test_the_sharded_listing_is_predicts_listing(image_tree):
    assert list_inputs([image_tree]) == [str(path) for path in list_images([image_tree])]
    assert list_inputs([image_tree / "a", image_tree]) == list_inputs([image_tree])


def test_local_engine_gives_predicts_answers_with_every_input_accounted_for_once(
    local_run, predicted, assert_same_as_predict
):
    out, summary = local_run
    assert_same_as_predict(read_results(out), predicted)
    listed = len(predicted["predictions"]) + len(predicted["errors"])
    assert summary["listed"] == summary["rows"] == listed == 67
    assert (summary["predicted"], summary["unreadable"]) == (64, 3)
    assert (summary["missing"], summary["repeated"], summary["duplicates_dropped"]) == (0, 0, 0)
    assert summary["shards"] == len(shard_names(Folder(out))) == 5  # 16 rows per shard


def test_a_rerun_after_a_crash_predicts_only_the_inputs_without_results(
    local_run, trained_checkpoint, image_tree, tmp_path
):
    out = shutil.copytree(local_run[0], tmp_path / "results")
    before = read_results(out)
    shards = sorted(out.glob("part-*.parquet"))
    lost = len(read_results_of(shards[1])) + len(read_results_of(shards[3]))
    shards[1].unlink()  # never written: the crash came first
    shards[3].write_bytes(
        shards[3].read_bytes()[:100]
    )  # cut short (not possible with renames, but refused all the same)
    (out / ".part-00005.parquet.abcd1234.tmp").write_bytes(b"half a shard")
    summary = batch_predict([image_tree], trained_checkpoint, out, "--shard-size", "16")
    assert summary["already_done"] == 67 - lost and summary["written_now"] == lost
    assert (summary["missing"], summary["repeated"]) == (0, 0)
    after = read_results(out)
    assert sorted(after) == sorted(before)
    assert all(after[path]["labels"] == before[path]["labels"] for path in before)


def read_results_of(shard):
    import pyarrow.parquet as pq

    return pq.read_table(shard).column("path").to_pylist()


def test_a_second_run_into_a_finished_folder_predicts_nothing(local_run, trained_checkpoint, image_tree, tmp_path):
    out = shutil.copytree(local_run[0], tmp_path / "results")
    summary = batch_predict([image_tree], trained_checkpoint, out, "--shard-size", "16")
    assert (summary["already_done"], summary["written_now"], summary["shards"]) == (67, 0, 5)


def test_resuming_with_another_model_is_refused_before_any_work(
    local_run, trained_checkpoint, image_tree, tmp_path, capsys
):
    out = shutil.copytree(local_run[0], tmp_path / "results")
    job = json.loads((out / "_job.json").read_text())
    (out / "_job.json").write_text(json.dumps({**job, "checkpoint_sha256": "0" * 64}))
    with pytest.raises(SystemExit) as exit_info:
        batch_predict([image_tree], trained_checkpoint, out)
    assert exit_info.value.code == 2
    assert "holds results of another job (its checkpoint_sha256 differ)" in capsys.readouterr().err


def test_a_row_delivered_twice_is_written_once(tmp_path):
    writer = ShardWriter(tmp_path / "out", {"checkpoint_sha256": "x", "class_names": ["a"], "top_k": 1}, shard_size=2)
    row = {"path": "x.jpg", "labels": ["a"], "probabilities": [1.0]}
    writer.add([row, {"path": "y.jpg", "error": "y.jpg: not an image"}, row])
    summary = writer.finish(["x.jpg", "y.jpg"], seconds=1.0, engine="test")
    assert (summary["rows"], summary["duplicates_dropped"], summary["unreadable"]) == (2, 1, 1)
    with pytest.raises(ScaleOutError, match="1 listed inputs have no result"):
        ShardWriter(tmp_path / "out", writer_job(), 2).finish(["x.jpg", "y.jpg", "z.jpg"], 1.0, "test")


def writer_job():
    return {"checkpoint_sha256": "x", "class_names": ["a"], "top_k": 1}


def test_inputs_and_results_named_by_fsspec_url_match_local_files(image_tree, trained_checkpoint, local_run):
    import fsspec

    fs = fsspec.filesystem("memory")
    for path in sorted((image_tree / "b").rglob("*"))[:12]:
        if path.is_file():
            fs.pipe_file(f"/batch-in/{path.relative_to(image_tree).as_posix()}", path.read_bytes())
    batch_predict(["memory://batch-in"], trained_checkpoint, "memory://batch-out", "--shard-size", "4")
    remote = read_results("memory://batch-out")
    local = read_results(local_run[0])
    assert len(remote) == len(fs.find("/batch-in")) > 4
    for url, row in remote.items():
        assert url.startswith("memory://")
        twin = local[str(image_tree / url.split("/batch-in/", 1)[1])]
        assert row["labels"] == twin["labels"]
        assert row["probabilities"] == pytest.approx(twin["probabilities"], abs=1e-5)
        assert bool(row["error"]) == bool(twin["error"])
    assert json.loads(fs.cat_file("/batch-out/_summary.json"))["missing"] == 0
