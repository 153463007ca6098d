"""`bench`: images per second of `predict` (or of training) next to its ceilings, as JSON."""

import argparse
import json

from .. import settings
from ..settings import BenchSettings


def run_bench(args: argparse.Namespace) -> None:
    from ..bench import run_bench

    print(json.dumps(run_bench(settings.load(BenchSettings, settings.options(args))), indent=2))


def add_commands(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("bench", help="images/s of predict (or --train) against its ceilings, as JSON")
    settings.add_flags(p, BenchSettings)
    p.set_defaults(run=run_bench)
