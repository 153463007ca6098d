"""No single input sinks a batch, a training run or a request; bad checkpoints end in one line.

The bad inputs are made here, byte by byte, not committed: headers that claim 40000 x 40000
pixels, truncated and empty files, text and HTML and SVG named like images, an animated GIF, a
header with no pixels; next to valid images in every format and layout the project reads.
"""

import io
import json
import pickle
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.data.image import ImageTooLargeError, load_image
from {{ cookiecutter.package_name }}.settings import DecodeLimits

PACKAGE = "{{ cookiecutter.package_name }}"


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_claiming(width: int, height: int) -> bytes:
    """A few hundred bytes whose header claims width x height RGB pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 4096)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", pixels) + png_chunk(b"IEND", b"")


def jpeg(width: int = 48, height: int = 40, seed: int = 0) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    return cv2.imencode(".jpg", pixels)[1].tobytes()


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small JPEG whose start-of-frame header is patched to claim width x height."""
    data = bytearray(jpeg())
    frame = data.index(b"\xff\xc0")
    data[frame + 5 : frame + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def pil_bytes(image: Image.Image, format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def good_images() -> dict[str, bytes]:
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees to display; the pixels are used as stored
    palette = Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    frames = {
        **{f"photo_{i}.jpg": jpeg(seed=i) for i in range(4)},
        "exif_rotated.jpg": pil_bytes(Image.fromarray(rgb), "JPEG", exif=exif),
        "cmyk.jpg": pil_bytes(Image.fromarray(rgb).convert("CMYK"), "JPEG"),
        "sixteen_bit.png": cv2.imencode(".png", rgb.astype(np.uint16) * 257)[1].tobytes(),
        "rgba.png": cv2.imencode(".png", np.dstack([rgb, np.full(rgb.shape[:2], 128, np.uint8)]))[1].tobytes(),
        "palette.png": pil_bytes(palette, "PNG"),
        "grey.png": cv2.imencode(".png", rgb[..., 0])[1].tobytes(),
        "drawing.bmp": cv2.imencode(".bmp", rgb)[1].tobytes(),
        "photo.webp": cv2.imencode(".webp", rgb)[1].tobytes(),
        "scan.tiff": cv2.imencode(".tiff", rgb)[1].tobytes(),
    }
    return frames


def bad_images() -> dict[str, bytes]:
    animation = [Image.new("RGB", (16, 16), color) for color in ("red", "blue")]
    gif = pil_bytes(animation[0], "GIF", save_all=True, append_images=animation[1:], duration=100, loop=0)
    return {
        "bomb.png": png_claiming(40000, 40000),
        "bomb.jpg": jpeg_claiming(40000, 40000),
        "truncated.jpg": jpeg()[:300],
        "empty.jpg": b"",
        "noise.jpg": np.random.default_rng(2).integers(0, 256, 2000, dtype=np.uint8).tobytes(),
        "page.png": b"<!doctype html><html><body>not an image</body></html>",
        "vector.svg": b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
        "animation.gif": gif,
        "no_height.png": png_claiming(16, 0),
    }


GOOD, BAD = good_images(), bad_images()


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    for name, data in {**GOOD, **BAD}.items():
        (folder / name).write_bytes(data)
    return folder


@pytest.fixture(scope="session")
def good_only(corpus, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("good")
    for name in GOOD:
        shutil.copy(corpus / name, folder / name)
    return folder


def test_a_header_that_claims_40000_by_40000_pixels_is_refused_before_decoding():
    for data in (png_claiming(40000, 40000), jpeg_claiming(40000, 40000)):
        with pytest.raises(ImageTooLargeError, match="header claims more than .* pixels, over the limit"):
            load_image(data)
    with pytest.raises(ImageTooLargeError, match="8000x8000 pixels is over the limit"):
        load_image(png_claiming(8000, 8000))
    limits = DecodeLimits(max_image_pixels=40 * 48 - 1, max_image_side=1000)
    with pytest.raises(ImageTooLargeError):
        load_image(jpeg(48, 40), limits)
    assert load_image(jpeg(48, 40), DecodeLimits(max_image_pixels=40 * 48, max_image_side=48)).shape == (40, 48, 3)


def test_the_decode_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("MAX_IMAGE_SIDE", "47")
    with pytest.raises(ImageTooLargeError, match="47 per side"):
        load_image(jpeg(48, 40))


@pytest.mark.parametrize("name", sorted(GOOD))
def test_every_valid_image_of_the_corpus_decodes_to_rgb(name):
    image = load_image(GOOD[name])
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3


@pytest.mark.parametrize("workers", [0, 2])
def test_predict_over_the_corpus_predicts_every_good_file_and_names_every_bad_one(
    corpus, trained_checkpoint, tmp_path, capsys, workers
):
    out = tmp_path / "predictions.json"
    main(["predict", str(corpus), "--checkpoint", str(trained_checkpoint), "--out", str(out),
          "--workers", str(workers), "--device", "cpu"])  # fmt: skip
    written = json.loads(out.read_text())
    assert sorted(Path(p).name for p in written["predictions"]) == sorted(GOOD)
    assert sorted(Path(p).name for p in written["errors"]) == sorted(BAD)
    for path, reason in written["errors"].items():
        assert reason.startswith(path + ": ")
    assert f"{len(GOOD)} predictions, {len(BAD)} unreadable files" in capsys.readouterr().out


def test_evaluate_scores_the_good_files_and_counts_the_unreadable_ones_in_its_report(
    corpus, trained_checkpoint, tmp_path
):
    data = tmp_path / "val"
    names = sorted({**GOOD, **BAD})
    for i, name in enumerate(names):
        (data / ("circle" if i % 2 else "square")).mkdir(parents=True, exist_ok=True)
        shutil.copy(corpus / name, data / ("circle" if i % 2 else "square") / name)
    main(["evaluate", "--checkpoint", str(trained_checkpoint), "--data", str(data), "--out", str(tmp_path / "report"),
          "--workers", "2", "--device", "cpu"])  # fmt: skip
    metrics = json.loads((tmp_path / "report" / "metrics.json").read_text())
    assert metrics["samples"] == len(GOOD)
    assert metrics["unreadable"]["count"] == len(BAD)
    assert sorted(Path(p).name for p in metrics["unreadable"]["files"]) == sorted(BAD)


def test_training_runs_through_bad_files_and_names_each_of_them(corpus, demo_data, make_config, tmp_path, caplog):
    from {{ cookiecutter.package_name }}.training.train import train

    data = shutil.copytree(demo_data, tmp_path / "data")
    for split in ("train", "val"):
        for name in BAD:
            shutil.copy(corpus / name, data / split / "circle" / name)
    result = train(make_config(f"data.root={data}"))  # workers 0: their warnings reach this process's log
    assert result.epochs_completed == 1 and (result.output_dir / "best.pt").is_file()
    logged = caplog.text
    assert all(f"circle/{name}" in logged for name in BAD)


def test_predict_on_a_folder_without_images_is_an_error_unless_allowed(trained_checkpoint, tmp_path, capsys):
    empty = tmp_path / "nothing"
    empty.mkdir()
    command = ["predict", str(empty), "--checkpoint", str(trained_checkpoint), "--out", str(tmp_path / "p.csv")]
    with pytest.raises(SystemExit) as exit_info:
        main(command)
    assert exit_info.value.code == 2 and "no image files in" in capsys.readouterr().err
    assert not (tmp_path / "p.csv").exists()
    main([*command, "--allow-empty"])
    assert (tmp_path / "p.csv").read_text().splitlines() == ["path,label_1,probability_1,error"]


def test_evaluate_on_a_folder_of_loose_images_says_it_needs_class_subfolders(
    trained_checkpoint, good_only, tmp_path, capsys
):
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", "--checkpoint", str(trained_checkpoint), "--data", str(good_only), "--out", str(tmp_path)])
    error = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert "images lie directly in it, but it needs one subfolder per class" in error


# --- The API: requests and curl as users send them ----------------------------------------------


def test_every_corpus_file_sent_without_a_content_type_gets_an_answer_and_never_a_5xx(corpus, live_server):
    requests = pytest.importorskip("requests")
    answers = {}
    for path in sorted(corpus.iterdir()):
        with path.open("rb") as handle:
            response = requests.post(f"{live_server}/v1/predict", files={"file": handle}, timeout=60)
        answers[path.name] = (response.status_code, response.json().get("code"))
    assert {name for name, (status, _) in answers.items() if status == 200} == set(GOOD)
    refused = {name: answer for name, answer in answers.items() if name in BAD}
    assert all(400 <= status < 500 for status, _ in refused.values()), refused
    assert refused["bomb.png"] == refused["bomb.jpg"] == (422, "image_too_large")
    assert refused["truncated.jpg"] == (422, "undecodable_image")
    assert refused["page.png"] == refused["animation.gif"] == (415, "unsupported_media_type")


@pytest.mark.parametrize("name", ["drawing.bmp", "photo.webp", "scan.tiff"])
def test_curl_uploads_that_it_labels_octet_stream_are_predicted(corpus, live_server, name):
    if shutil.which("curl") is None:
        pytest.fail("curl is not installed")
    result = subprocess.run(
        ["curl", "-s", "-w", "\n%{http_code}", "-F", f"file=@{corpus / name}", f"{live_server}/v1/predict"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    body, status = result.stdout.rsplit("\n", 1)
    assert status == "200", body
    assert len(json.loads(body)["predictions"]) == 3


def test_an_upload_over_the_limit_is_refused_before_its_body_is_read(trained_checkpoint):
    import asyncio

    from {{ cookiecutter.package_name }}.api.app import create_app
    from {{ cookiecutter.package_name }}.api.body_limit import MULTIPART_MARGIN

    app = create_app(trained_checkpoint, max_upload_bytes=100_000)
    chunk = b"\x00" * 65536
    part = b'--x\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n\r\n'

    async def call(headers: list[tuple[bytes, bytes]], chunks: int) -> tuple[int, int]:
        sent, answer = 0, {}

        async def receive():
            nonlocal sent
            sent += 1
            body = part + chunk if sent == 1 else chunk  # a file part that never ends
            return {"type": "http.request", "body": body, "more_body": sent < chunks}

        async def send(message):
            answer.setdefault("status", message.get("status"))

        scope = {"type": "http", "method": "POST", "path": "/v1/predict", "headers": headers, "query_string": b""}
        scope |= {
            "http_version": "1.1",
            "scheme": "http",
            "server": ("test", 80),
            "client": ("test", 1),
            "root_path": "",
        }
        await app(scope, receive, send)
        return answer["status"], sent

    multipart = [(b"content-type", b"multipart/form-data; boundary=x")]
    # Declared too large: refused without reading a byte. Chunked (300 MB on the way): refused
    # once the counted bytes pass the limit, long before the end.
    status, read = asyncio.run(call([*multipart, (b"content-length", str(300 * 2**20).encode())], 4800))
    assert (status, read) == (413, 0)
    status, read = asyncio.run(call(multipart, 4800))
    assert status == 413 and read * len(chunk) <= 100_000 + MULTIPART_MARGIN + len(part) + len(chunk)


# --- Memory -------------------------------------------------------------------------------------


def peak_rss_of_predict(folder: Path, checkpoint: Path, out: Path, env: dict) -> int:
    """The peak resident memory (KiB) of a fresh `predict` process over `folder`."""
    code = (
        f"import resource\nfrom {PACKAGE}.cli import main\n"
        f"main(['predict', {str(folder)!r}, '--checkpoint', {str(checkpoint)!r}, '--out', {str(out)!r}, "
        "'--workers', '0', '--device', 'cpu', '--backend', 'torch'])\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip().splitlines()[-1])


def test_predicting_the_corpus_costs_no_more_memory_than_its_good_files_alone(
    corpus, good_only, trained_checkpoint, tmp_path, package_env
):
    with_bombs = peak_rss_of_predict(corpus, trained_checkpoint, tmp_path / "all.csv", package_env)
    good = peak_rss_of_predict(good_only, trained_checkpoint, tmp_path / "good.csv", package_env)
    assert with_bombs <= 1.2 * good, (with_bombs, good)


# --- Checkpoints ----------------------------------------------------------------------------------


class Payload:
    """Pickled, it would run a command when loaded: the kind of file weights_only refuses."""

    def __reduce__(self):
        return (print, ("this ran while loading a checkpoint",))


@pytest.fixture(scope="session")
def bad_checkpoints(trained_checkpoint, tmp_path_factory) -> dict[str, tuple[Path, str]]:
    """name -> (file, what the one-line error must say)."""
    folder = tmp_path_factory.mktemp("bad-checkpoints")
    good = trained_checkpoint.read_bytes()
    state = torch.load(trained_checkpoint, weights_only=True)

    def write(name: str, data: bytes) -> Path:
        (folder / name).write_bytes(data)
        return folder / name

    def save(name: str, obj) -> Path:
        torch.save(obj, folder / name)
        return folder / name

    three_classes = {**state, "class_names": state["class_names"][:3]}
    other_backbone = {
        **state,
        "config": {**state["config"], "model": {**state["config"]["model"], "backbone": "resnet50"}},
    }
    return {
        "truncated": (write("truncated.pt", good[: len(good) // 2]), "truncated or corrupt"),
        "empty": (write("empty.pt", b""), "the file is empty"),
        "foreign": (save("foreign.pt", {"weights": torch.zeros(3)}), "not a checkpoint of this project"),
        "code": (write("code.pt", pickle.dumps(Payload())), "refused"),
        "code_in_torch_file": (save("code_in_torch_file.pt", {"model": Payload()}), "refused"),
        "other_package": (save("other_package.pt", {**state, "package": "someone_else"}), "a checkpoint of package"),
        "other_classes": (save("other_classes.pt", three_classes), "weights do not fit a"),
        "other_backbone": (save("other_backbone.pt", other_backbone), "weights do not fit a resnet50"),
    }


def one_line_error(arguments: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(arguments)
    captured = capsys.readouterr()
    assert exit_info.value.code == 2, captured.err
    [line] = captured.err.strip().splitlines()
    assert "Traceback" not in captured.err and "weights_only=False" not in captured.err
    assert "this ran while loading" not in captured.out
    return line


@pytest.mark.parametrize(
    "case",
    ["truncated", "empty", "foreign", "code", "code_in_torch_file", "other_package", "other_classes", "other_backbone"],
)
@pytest.mark.parametrize("command", ["predict", "evaluate", "serve", "export", "resume"])
def test_a_bad_checkpoint_ends_every_command_in_one_line_naming_it(
    bad_checkpoints, case, command, demo_data, tmp_path, project_root, capsys
):
    path, reason = bad_checkpoints[case]
    arguments = {
        "predict": ["predict", str(demo_data / "val"), "--checkpoint", str(path), "--out", str(tmp_path / "p.csv")],
        "evaluate": ["evaluate", "--checkpoint", str(path), "--data", str(demo_data / "val"), "--out", str(tmp_path)],
        "serve": ["serve", "--checkpoint", str(path), "--port", "0"],
        "export": ["export", "--checkpoint", str(path), "--out", str(tmp_path / "export")],
        "resume": [
            "train",
            "--config",
            str(project_root / "configs" / "default.yaml"),
            "--resume",
            str(path),
            "--set",
            f"data.root={demo_data}",
            "--set",
            "data.image_size=32",
            "--set",
            "data.num_workers=0",
            "--set",
            f"train.output_dir={tmp_path / 'run'}",
            "--set",
            "train.device=cpu",
        ],  # fmt: skip
    }[command]
    line = one_line_error(arguments, capsys)
    assert line.startswith(f"error: {path}: ") and reason in line, line


# --- Killed while writing -----------------------------------------------------------------------


@pytest.mark.slow
def test_training_killed_while_writing_checkpoints_resumes_exactly_and_leaves_no_temp_file(
    demo_data, project_root, tmp_path, package_env
):
    import time

    def command(out: Path, *extra: str) -> list[str]:
        settings = [f"data.root={demo_data}", "data.image_size=32", "data.batch_size=8", "data.num_workers=0",
                    "train.epochs=4", "train.patience=4", "train.device=cpu", "train.precision=fp32",
                    "train.warmup_epochs=0", f"train.output_dir={out}"]  # fmt: skip
        config = ["--config", str(project_root / "configs" / "default.yaml")]
        return [sys.executable, "-m", PACKAGE, "train", *config, *(a for s in settings for a in ("--set", s)), *extra]

    reference = subprocess.run(command(tmp_path / "reference"), env=package_env, capture_output=True, text=True)
    assert reference.returncode == 0, reference.stderr
    out, kills_mid_write = tmp_path / "killed", 0
    for _ in range(3):
        resume = ["--resume"] if (out / "last.pt").exists() else []
        left_before = set(out.glob(".*.pt.*.tmp"))
        process = subprocess.Popen(command(out, *resume), env=package_env, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 600
        while process.poll() is None and time.monotonic() < deadline:
            # Once a last.pt exists, the next checkpoint this run starts writing is killed at once.
            if (out / "last.pt").exists() and set(out.glob(".*.pt.*.tmp")) - left_before:
                process.kill()
                break
            time.sleep(0.002)
        process.wait()
        kills_mid_write += bool(set(out.glob(".*.pt.*.tmp")) - left_before)
    assert kills_mid_write >= 1, "no kill landed while a checkpoint was being written"
    final = subprocess.run(command(out, "--resume"), env=package_env, capture_output=True, text=True)
    assert final.returncode == 0, final.stderr
    assert "left behind by a run that was killed while writing" in final.stderr
    assert list(out.glob(".*.tmp")) == []
    finished, expected = (torch.load(p / "last.pt", weights_only=True) for p in (out, tmp_path / "reference"))
    assert finished["epoch"] == expected["epoch"] == 3
    assert all(torch.equal(finished["model"][key], expected["model"][key]) for key in expected["model"])
