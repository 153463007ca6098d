"""`train`: a config in, checkpoints out; under torchrun, one process per device."""

import argparse
from pathlib import Path

from .. import extensions

DEFAULT_CONFIG = Path("configs/default.yaml")


def config_options(parser: argparse.ArgumentParser, default: Path = DEFAULT_CONFIG) -> None:
    parser.add_argument("--config", type=Path, default=default, help="YAML training config (default: %(default)s)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value, e.g. --set train.epochs=3 (repeatable)",
    )


def run_train(args: argparse.Namespace) -> None:
    from ..config import load_config

    cfg = load_config(args.config, args.set)  # a bad config is reported before torch is imported
    callbacks = extensions.training_callbacks(args)
    resume = None
    if args.resume:
        resume = cfg.train.output_dir / "last.pt" if args.resume == "last" else Path(args.resume)
    from ..training.train import train

    result = train(cfg, resume, callbacks)
    print(
        f"best val accuracy {result.best_accuracy:.4f} after {result.epochs_completed} epochs; "
        f"checkpoints in {result.output_dir}"
    )


def add_commands(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("train", help="train a classifier (also under torchrun)")
    config_options(p)
    p.add_argument(
        "--resume",
        nargs="?",
        const="last",
        metavar="CHECKPOINT",
        help="continue from CHECKPOINT, or from last.pt in the output dir",
    )
    p.set_defaults(run=run_train)
