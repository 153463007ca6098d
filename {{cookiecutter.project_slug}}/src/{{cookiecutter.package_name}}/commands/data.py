"""`make-demo-data`: the synthetic shapes dataset, for the demo, the tests and a first look."""

import argparse
from pathlib import Path


def run_make_demo_data(args: argparse.Namespace) -> None:
    from ..data.synthetic import make_demo_data

    given = {name: value for name, value in vars(args).items() if name not in ("command", "run", "verbose", "out")}
    root = make_demo_data(args.out, **given)  # what was not given takes make_demo_data's defaults
    print(f"demo dataset written to {root}")


def add_commands(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "make-demo-data", help="write a synthetic shapes dataset", argument_default=argparse.SUPPRESS
    )
    p.add_argument("--out", type=Path, default=Path("data/demo"), help="folder to write train/ and val/ into")
    p.add_argument("--per-class-train", type=int, help="training images per class")
    p.add_argument("--per-class-val", type=int, help="validation images per class")
    p.add_argument("--size", type=int, help="image side in pixels")
    p.add_argument("--seed", type=int, help="the same seed always writes the same files")
    p.set_defaults(run=run_make_demo_data)
