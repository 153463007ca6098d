"""Object storage through fsspec: local paths and s3:// against a local S3 server (moto's server
mode) that the tests start, with real boto3 and s3fs calls; `s3://` checkpoints load everywhere."""

import boto3
import pytest
from moto.server import ThreadedMotoServer

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.inference.predict import Predictor
from {{ cookiecutter.package_name }}.integrations.storage import copy, listing
from {{ cookiecutter.package_name }}.models.checkpoint import load_checkpoint

BUCKET = "ml-artifacts"


@pytest.fixture(scope="module")
def s3():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    with pytest.MonkeyPatch.context() as patch:
        credentials = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}  # pragma: allowlist secret
        for name, value in {**credentials, "AWS_DEFAULT_REGION": "us-east-1", "S3_ENDPOINT_URL": endpoint}.items():
            patch.setenv(name, value)
        client = boto3.client("s3", endpoint_url=endpoint)
        client.create_bucket(Bucket=BUCKET)
        yield client
    server.stop()


def test_a_dataset_folder_goes_up_to_s3_and_comes_back_byte_for_byte(s3, demo_data, tmp_path):
    written = copy(str(demo_data / "val"), f"s3://{BUCKET}/datasets/shapes/val")
    keys = sorted(item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET, Prefix="datasets/")["Contents"])
    assert len(keys) == len(written) == len(list((demo_data / "val").rglob("*.jpg")))
    assert "datasets/shapes/val/circle/0000.jpg" in keys
    copy(f"s3://{BUCKET}/datasets/shapes/val", str(tmp_path / "val"))
    for original in (demo_data / "val").rglob("*.jpg"):
        assert (tmp_path / "val" / original.relative_to(demo_data / "val")).read_bytes() == original.read_bytes()
    assert not list(tmp_path.rglob("*.partial")), "downloads land under their names only when complete"


def test_a_checkpoint_in_s3_loads_as_a_reference_in_predict_and_serve_paths(s3, trained_checkpoint):
    s3.upload_file(str(trained_checkpoint), BUCKET, "models/run/best.pt")
    state = load_checkpoint(f"s3://{BUCKET}/models/run/best.pt")
    assert state["class_names"] == ["circle", "cross", "square", "triangle"]
    predictor = Predictor.from_checkpoint(f"s3://{BUCKET}/models/run/best.pt", "cpu")
    assert predictor.class_names == state["class_names"]


def test_the_storage_commands_copy_and_list(s3, trained_checkpoint, tmp_path, capsys):
    main(["storage", "copy", str(trained_checkpoint), f"s3://{BUCKET}/cli/best.pt"])
    main(["storage", "ls", f"s3://{BUCKET}/cli"])
    assert capsys.readouterr().out.splitlines()[-1] == f"s3://{BUCKET}/cli/best.pt"
    assert s3.head_object(Bucket=BUCKET, Key="cli/best.pt")["ContentLength"] == trained_checkpoint.stat().st_size


def test_a_missing_object_is_reported_by_name(s3, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["storage", "copy", f"s3://{BUCKET}/nothing/here.pt", "here.pt"])
    assert stopped.value.code == 2 and "nothing/here.pt: not found" in capsys.readouterr().err


def test_local_paths_work_the_same_way(demo_data, tmp_path):
    copy(str(demo_data / "train" / "circle"), str(tmp_path / "circles"))
    assert len(listing(str(tmp_path / "circles"))) == len(list((demo_data / "train" / "circle").iterdir()))
