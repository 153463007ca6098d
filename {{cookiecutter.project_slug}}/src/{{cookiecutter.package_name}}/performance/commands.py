"""The performance tier's commands: `quantize`, `profiler`, `load-report` and `capacity`.

Each imports what it needs (torch, ONNX Runtime) only when it runs, so `--help` stays quick.
"""

import argparse
import json
from pathlib import Path

from .. import settings
from ..settings import LoaderSettings
from .settings import CapacitySettings, QuantizeSettings


def _print(result: dict, out: Path | None = None) -> None:
    text = json.dumps(result, indent=2)
    if out is not None:
        from ..utils.atomic import atomic_write_text

        atomic_write_text(out, text + "\n")
    print(text)


def cmd_quantize(args: argparse.Namespace) -> None:
    from .quantization import default_output, quantize_checkpoint

    given = settings.load(QuantizeSettings, settings.options(args))
    out = args.out or default_output(args.checkpoint)
    report = quantize_checkpoint(args.checkpoint, args.data, out, given)
    _print(report)
    print(
        f"INT8 kept: top-1 {report['top1_accuracy']['int8']:.4f} vs fp32 {report['top1_accuracy']['fp32']:.4f} "
        f"({report['accuracy_drop_points']:+.2f} points drop), {report['speedup']:.2f}x images/s -> {out}"
    )


def cmd_profile_predict(args: argparse.Namespace) -> None:
    from .profiling import profile_predict

    loader = settings.load(LoaderSettings, settings.options(args))
    _print(profile_predict(args.checkpoint, args.inputs, args.out, loader, args.batches))


def cmd_profile_train(args: argparse.Namespace) -> None:
    from ..config import load_config

    cfg = load_config(args.config, args.set)
    from .profiling import profile_training

    _print(profile_training(cfg, args.out, args.steps))


def cmd_load_report(args: argparse.Namespace) -> None:
    from .locust_report import summarize

    _print(summarize(args.prefix), args.out)


def cmd_capacity(args: argparse.Namespace) -> None:
    from .capacity import plan, read_bench, read_runs

    target = settings.load(CapacitySettings, settings.options(args))
    result = plan(read_runs(args.load_test), target, read_bench(args.bench) if args.bench else None)
    for line in result["arithmetic"]:
        print(line)
    serve = result["serve"]
    print(
        f"=> {result['replicas']} replicas, each with MAX_BATCH_SIZE={serve['max_batch_size']} "
        f"BATCH_WAIT_MS={serve['batch_wait_ms']} and at most {serve['limit_concurrency']} requests in flight"
    )
    if args.out:
        from ..utils.atomic import atomic_write_json

        atomic_write_json(args.out, result)


def add_commands(commands: argparse._SubParsersAction) -> None:
    from ..commands.train import config_options

    p = commands.add_parser(
        "quantize", help="INT8 ONNX graph of a checkpoint, kept only if top-1 accuracy drops at most the allowed points"
    )
    p.add_argument("--checkpoint", required=True, help="a checkpoint file or reference")
    p.add_argument("--data", type=Path, required=True, help="dataset folder: train/ calibrates, val/ scores")
    p.add_argument("--out", type=Path, help="the INT8 checkpoint (default: <checkpoint>.int8.pt); report beside it")
    settings.add_flags(p, QuantizeSettings)
    p.set_defaults(run=cmd_quantize)

    p = commands.add_parser("profiler", help="torch.profiler trace of predict or of training steps, under reports/")
    targets = p.add_subparsers(dest="target", required=True)
    t = targets.add_parser("predict", help="profile predict on some images")
    t.add_argument("inputs", nargs="+", type=Path, help="image files or folders")
    t.add_argument("--checkpoint", required=True, help="a checkpoint file or reference")
    t.add_argument("--batches", type=int, default=4, help="batches profiled after one warm-up (default %(default)s)")
    t.add_argument("--out", type=Path, default=Path("reports/profiling"), help="(default: %(default)s)")
    settings.add_flags(t, LoaderSettings)
    t.set_defaults(run=cmd_profile_predict)
    t = targets.add_parser("train", help="profile training steps of a config")
    config_options(t)
    t.add_argument("--steps", type=int, default=5, help="steps profiled after one warm-up (default %(default)s)")
    t.add_argument("--out", type=Path, default=Path("reports/profiling"), help="(default: %(default)s)")
    t.set_defaults(run=cmd_profile_train)

    p = commands.add_parser("load-report", help="p50/p95/p99 and requests/s of a Locust run's CSV files")
    p.add_argument("prefix", type=Path, help="the --csv prefix given to locust (reads <prefix>_stats.csv)")
    p.add_argument("--out", type=Path, help="also write the summary JSON here (capacity reads it)")
    p.set_defaults(run=cmd_load_report)

    p = commands.add_parser("capacity", help="replicas and batch settings for a target load, from measured JSON")
    p.add_argument("--load-test", type=Path, required=True, help="JSON of load-test or load-report")
    p.add_argument("--bench", type=Path, help="JSON of bench (predict mode): the model's ceiling")
    p.add_argument("--out", type=Path, help="also write the plan as JSON")
    settings.add_flags(p, CapacitySettings)
    p.set_defaults(run=cmd_capacity)
