"""One command line for the whole lifecycle: data, train, evaluate, predict, bench, serve, export, demo, openapi."""

import argparse
import importlib
import json
import logging
import sys
import threading
from pathlib import Path

from . import PROJECT_NAME, __version__
from .api.app import DEFAULT_BATCH_WAIT_MS, DEFAULT_MAX_BATCH_SIZE
from .config import ConfigError, load_config
from .data.device_decode import DECODERS
from .inference.export import ExportError
from .inference.predict import BACKENDS

log = logging.getLogger(__name__)
DEFAULT_CONFIG = Path("configs/default.yaml")


def _load_mlops_cli():
    """The intermediate tier's commands and training callbacks, or None in a project without them."""
    try:
        return importlib.import_module(f"{__package__}.mlops.cli")
    except ModuleNotFoundError as error:
        if error.name not in (f"{__package__}.mlops", f"{__package__}.mlops.cli"):
            raise
        return None


MLOPS = _load_mlops_cli()
# Failures that end a command with a one-line message and exit code 2, not a traceback.
EXPECTED_ERRORS = (ConfigError, ExportError, FileNotFoundError, ValueError, *(MLOPS.ERRORS if MLOPS else ()))


def cmd_make_demo_data(args: argparse.Namespace) -> None:
    from .data.synthetic import make_demo_data

    root = make_demo_data(args.out, args.per_class_train, args.per_class_val, args.size, args.seed)
    print(f"demo dataset written to {root}")


def cmd_train(args: argparse.Namespace) -> None:
    from .training.train import train

    cfg = load_config(args.config, args.set)
    resume = None
    if args.resume:
        resume = cfg.train.output_dir / "last.pt" if args.resume == "last" else Path(args.resume)
    result = train(cfg, resume, MLOPS.training_callbacks(args) if MLOPS else ())
    print(
        f"best val accuracy {result.best_accuracy:.4f} after {result.epochs_completed} epochs; "
        f"checkpoints in {result.output_dir}"
    )


def cmd_evaluate(args: argparse.Namespace) -> None:
    from .training.evaluate import evaluate_checkpoint

    metrics = evaluate_checkpoint(
        args.checkpoint, args.data, args.out, args.batch_size, args.workers, args.device, args.backend, args.decode
    )
    print(f"accuracy {metrics['accuracy']:.4f} on {metrics['samples']} images; report in {args.out}")


def cmd_predict(args: argparse.Namespace) -> None:
    from .inference.predict import Predictor, predict_files, write_predictions

    predictor = Predictor.from_checkpoint(args.checkpoint, args.device, backend=args.backend)
    predictions = predict_files(predictor, args.inputs, args.batch_size, args.workers, args.top_k, args.decode)
    write_predictions(predictions, args.out)
    print(f"{len(predictions.results)} predictions, {len(predictions.errors)} unreadable files -> {args.out}")


def cmd_bench(args: argparse.Namespace) -> None:
    from .bench import BenchSettings, run_bench

    settings = BenchSettings(
        backbone=args.backbone,
        image_size=args.image_size,
        batch_size=args.batch_size,
        workers=args.workers,
        device=args.device,
        precision=args.precision,
        images=args.images,
        backend=args.backend,
        decode=args.decode,
        compile=args.compile,
        train=args.train,
        corpus_root=args.corpus_root,
    )
    print(json.dumps(run_bench(settings), indent=2))


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from .api.app import create_app
    from .inference.predict import Predictor

    # Loaded before the server starts (the candidate too, by create_app), so a bad path or
    # registry alias ends with a one-line error.
    predictor = Predictor.from_checkpoint(args.checkpoint, args.device, backend=args.backend)
    app = create_app(
        predictor=predictor,
        device=args.device,
        candidate=args.candidate,
        candidate_share=args.candidate_share,
        rollout_mode=args.rollout_mode,
        max_batch_size=args.max_batch_size,
        batch_wait_ms=args.batch_wait_ms,
    )
    uvicorn.run(app, host=args.host, port=args.port)


def cmd_load_test(args: argparse.Namespace) -> None:
    from .api.load_test import image_upload, load_test

    image, content_type = image_upload(args.image)
    report = load_test(args.url, image, args.concurrency, args.requests, content_type)
    print(json.dumps(report, indent=2))


def cmd_openapi(args: argparse.Namespace) -> None:
    from .api.app import create_app, openapi_json
    from .utils.atomic import atomic_write_text

    atomic_write_text(args.out, openapi_json(create_app()))
    print(f"OpenAPI schema written to {args.out}")


def cmd_export(args: argparse.Namespace) -> None:
    from .inference.export import export

    info = export(args.checkpoint, args.out, tuple(args.format))
    print(f"exported {', '.join(info['max_probability_gap'])} to {args.out}")


def cmd_demo(args: argparse.Namespace) -> None:
    """Synthetic data -> train -> evaluate -> predict -> one real HTTP request to the API."""
    import uvicorn

    from .api.app import create_app
    from .api.client import predict_file, wait_until_ready
    from .data.synthetic import make_demo_data
    from .inference.predict import Predictor, predict_files, write_predictions
    from .training.evaluate import evaluate_checkpoint
    from .training.train import train

    work = Path(args.workdir)
    data = make_demo_data(work / "data")
    cfg = load_config(args.config, [f"data.root={data}", f"train.output_dir={work / 'model'}", *args.set])
    result = train(cfg)
    best = work / "model" / "best.pt"
    metrics = evaluate_checkpoint(best, data / "val", work / "report", num_workers=cfg.data.num_workers)
    predictor = Predictor.from_checkpoint(best)
    predictions = predict_files(predictor, [data / "val"], num_workers=cfg.data.num_workers)
    write_predictions(predictions, work / "predictions.csv")

    server = uvicorn.Server(
        uvicorn.Config(create_app(predictor=predictor), host="127.0.0.1", port=args.port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            thread.join(0.05)
            if not thread.is_alive():
                raise RuntimeError(f"the demo API could not start on port {args.port}")
        port = server.servers[0].sockets[0].getsockname()[1]
        base_url = f"http://127.0.0.1:{port}"
        wait_until_ready(base_url)
        sample = next((data / "val").rglob("*.jpg"))
        answer = predict_file(base_url, sample)
    finally:
        server.should_exit = True
        thread.join(10)
    summary = {
        "best_val_accuracy": result.best_accuracy,
        "evaluate_accuracy": metrics["accuracy"],
        "predictions": len(predictions.results),
        "api_request": {"image": str(sample), "answer": answer},
        "outputs": str(work),
    }
    print(json.dumps(summary, indent=2))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="{{ cookiecutter.project_slug }}", description=PROJECT_NAME)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True)

    def config_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="YAML training config")
        command.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="override a config value, e.g. --set train.epochs=3 (repeatable)",
        )

    def loader_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--batch-size", type=int, default=64)
        command.add_argument("--workers", type=int, default=2, help="DataLoader decode workers")
        command.add_argument("--device", default="auto", help="auto (cuda > mps > cpu), cpu, cuda, cuda:1, ...")

    def backend_option(command: argparse.ArgumentParser) -> None:
        command.add_argument(
            "--backend", choices=BACKENDS, default="auto", help="auto: ONNX Runtime on a CPU, PyTorch on a GPU"
        )

    def decode_option(command: argparse.ArgumentParser) -> None:
        command.add_argument(
            "--decode", choices=DECODERS, default="auto", help="auto: nvjpeg (on the GPU) with CUDA, else opencv"
        )

    p = commands.add_parser("make-demo-data", help="write a synthetic shapes dataset")
    p.add_argument("--out", type=Path, default=Path("data/demo"))
    p.add_argument("--per-class-train", type=int, default=60)
    p.add_argument("--per-class-val", type=int, default=20)
    p.add_argument("--size", type=int, default=64, help="image side in pixels")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=cmd_make_demo_data)

    p = commands.add_parser("train", help="train a classifier (also under torchrun)")
    config_options(p)
    p.add_argument(
        "--resume",
        nargs="?",
        const="last",
        metavar="CHECKPOINT",
        help="continue from CHECKPOINT, or from last.pt in the output dir",
    )
    p.set_defaults(run=cmd_train)

    p = commands.add_parser("evaluate", help="accuracy, per-class metrics and confusion matrix")
    p.add_argument("--checkpoint", type=Path, required=True)
    p.add_argument("--data", type=Path, required=True, help="folder of <class>/<image>")
    p.add_argument("--out", type=Path, default=Path("reports"))
    loader_options(p)
    backend_option(p)
    decode_option(p)
    p.set_defaults(run=cmd_evaluate)

    p = commands.add_parser("predict", help="top-k predictions for files and folders")
    p.add_argument("inputs", nargs="+", type=Path)
    p.add_argument("--checkpoint", type=Path, required=True)
    p.add_argument("--out", type=Path, default=Path("predictions.csv"), help=".csv or .json")
    p.add_argument("--top-k", type=int, default=3)
    loader_options(p)
    backend_option(p)
    decode_option(p)
    p.set_defaults(run=cmd_predict)

    p = commands.add_parser("bench", help="images/s of predict (or --train) against its ceilings, as JSON")
    p.add_argument("--backbone", default="{{ cookiecutter.backbone }}")
    p.add_argument("--image-size", type=int, default={{ cookiecutter.image_size }})
    p.add_argument("--precision", default="auto", help="auto (bf16 on recent GPUs, else fp32), bf16, fp16, fp32")
    p.add_argument("--images", type=int, default=512, help="synthetic JPEGs in the corpus")
    p.add_argument("--corpus-root", type=Path, default=Path("runs/bench"), help="the corpus is cached here")
    p.add_argument("--compile", action="store_true", help="wrap the model in torch.compile")
    p.add_argument("--train", action="store_true", help="training throughput instead of inference")
    loader_options(p)
    backend_option(p)
    decode_option(p)
    p.set_defaults(run=cmd_bench)

    p = commands.add_parser("serve", help="serve the model over HTTP")
    p.add_argument("--checkpoint", type=Path, required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--device", default="auto")
    p.add_argument("--candidate", help="a second model (checkpoint or registry ref) for an A/B or shadow rollout")
    p.add_argument("--candidate-share", type=float, default=0.1, help="share of requests sent to the candidate")
    p.add_argument("--rollout-mode", choices=("ab", "shadow"), default="ab", help="candidate answers, or only runs")
    backend_option(p)
    p.add_argument(
        "--max-batch-size", type=int, default=DEFAULT_MAX_BATCH_SIZE, help="images per shared forward pass (1: off)"
    )
    p.add_argument(
        "--batch-wait-ms", type=float, default=DEFAULT_BATCH_WAIT_MS, help="how long a batch waits for more requests"
    )
    p.set_defaults(run=cmd_serve)

    p = commands.add_parser("openapi", help="write the API's OpenAPI schema as JSON (no model needed)")
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(run=cmd_openapi)

    p = commands.add_parser("export", help="TorchScript and ONNX, each checked against PyTorch")
    p.add_argument("--checkpoint", type=Path, required=True)
    p.add_argument("--out", type=Path, default=Path("models/export"))
    p.add_argument("--format", nargs="+", choices=("torchscript", "onnx"), default=["torchscript", "onnx"])
    p.set_defaults(run=cmd_export)

    p = commands.add_parser("load-test", help="throughput and latency of a running API under concurrent requests")
    p.add_argument("--url", default="http://127.0.0.1:8000", help="base URL of `serve`")
    p.add_argument("--image", type=Path, help="the image to send (default: a synthetic 500x375 JPEG)")
    p.add_argument("--concurrency", type=int, nargs="+", default=[1, 32], help="requests in flight, one run each")
    p.add_argument("--requests", type=int, default=256, help="counted requests per run, after a short warm-up")
    p.set_defaults(run=cmd_load_test)

    p = commands.add_parser("demo", help="the whole lifecycle on synthetic data, end to end")
    p.add_argument("--config", type=Path, default=Path("configs/demo.yaml"))
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--workdir", type=Path, default=Path("runs/demo"))
    p.add_argument("--port", type=int, default=0, help="API port (0 picks a free one)")
    p.set_defaults(run=cmd_demo)
    if MLOPS:
        MLOPS.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        args.run(args)
    except EXPECTED_ERRORS as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
