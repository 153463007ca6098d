"""`predict`, `evaluate` and `export`: a trained model applied to files, scored, or exported."""

import argparse
import time
from pathlib import Path

from .. import extensions, settings
from ..settings import TOP_K, LoaderSettings


def run_predict(args: argparse.Namespace) -> None:
    from ..inference.predict import Predictor, predict_files, write_predictions

    loader = settings.load(LoaderSettings, settings.options(args))
    predictor = Predictor.from_checkpoint(args.checkpoint, loader.device, backend=loader.backend)
    started = time.monotonic()
    predictions = predict_files(predictor, args.inputs, loader, args.top_k, args.allow_empty)
    write_predictions(predictions, args.out)
    extensions.emit(
        "predictions_written",
        images=len(predictions.results),
        unreadable=len(predictions.errors),
        seconds=round(time.monotonic() - started, 3),
        out=str(args.out),
    )
    print(f"{len(predictions.results)} predictions, {len(predictions.errors)} unreadable files -> {args.out}")


def run_evaluate(args: argparse.Namespace) -> None:
    from ..inference.evaluate import evaluate_checkpoint

    loader = settings.load(LoaderSettings, settings.options(args))
    metrics = evaluate_checkpoint(args.checkpoint, args.data, args.out, loader)
    unreadable = metrics["unreadable"]["count"]
    print(
        f"accuracy {metrics['accuracy']:.4f} on {metrics['samples']} images, {unreadable} unreadable; "
        f"report in {args.out}"
    )


def run_export(args: argparse.Namespace) -> None:
    from ..inference.export import export

    info = export(args.checkpoint, args.out, tuple(args.format))
    print(f"exported {', '.join(info['max_probability_gap'])} to {args.out}")


def add_commands(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("evaluate", help="accuracy, per-class metrics and confusion matrix")
    p.add_argument("--checkpoint", required=True, help="a checkpoint file or reference")
    p.add_argument("--data", type=Path, required=True, help="folder of <class>/<image>")
    p.add_argument("--out", type=Path, default=Path("reports"), help="report folder (default: %(default)s)")
    settings.add_flags(p, LoaderSettings)
    p.set_defaults(run=run_evaluate)

    p = commands.add_parser("predict", help="top-k predictions for files and folders")
    p.add_argument("inputs", nargs="+", type=Path)
    p.add_argument("--checkpoint", required=True, help="a checkpoint file or reference")
    p.add_argument("--out", type=Path, default=Path("predictions.csv"), help=".csv or .json (default: %(default)s)")
    p.add_argument("--top-k", type=int, default=TOP_K, help="labels per image (default: %(default)s)")
    p.add_argument("--allow-empty", action="store_true", help="write an empty result when there are no images")
    settings.add_flags(p, LoaderSettings)
    p.set_defaults(run=run_predict)

    p = commands.add_parser("export", help="TorchScript and ONNX, each checked against PyTorch")
    p.add_argument("--checkpoint", required=True, help="a checkpoint file or reference")
    p.add_argument("--out", type=Path, default=Path("models/export"), help="(default: %(default)s)")
    p.add_argument("--format", nargs="+", choices=("torchscript", "onnx"), default=["torchscript", "onnx"])
    p.set_defaults(run=run_export)
