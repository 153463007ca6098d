"""The observability tier's part of the command line: its options on `serve`, `slo-rules`, and the
training callback that exports batch metrics. Nothing heavy is imported until a command runs."""

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .. import settings
from .settings import PROJECT, BatchMetricsSettings, ObservabilitySettings

SLOS = Path("observability/sli_slo/slos.yaml")
SLO_RULES = Path("observability/prometheus/rules/slo.rules.yml")


def training_callbacks(args: argparse.Namespace) -> list:
    where = settings.load(BatchMetricsSettings)
    if where.textfile_dir is None and not where.pushgateway:
        return []
    from .batch import TrainingMetrics

    return [TrainingMetrics(where)]


def on_event(event: str, details: Mapping[str, Any]) -> None:
    if event != "predictions_written":
        return
    where = settings.load(BatchMetricsSettings)
    if where.textfile_dir is None and not where.pushgateway:
        return
    from .batch import predictions_written

    predictions_written(details, where)


def cmd_slo_rules(args: argparse.Namespace) -> None:
    from ..utils.atomic import atomic_write_text
    from .slo import read_slos, render

    text = render(read_slos(args.slos), PROJECT)
    if args.check:
        if not args.out.is_file() or args.out.read_text() != text:
            print(f"{args.out} is not what {args.slos} generates: run slo-rules without --check", file=sys.stderr)
            sys.exit(1)
        print(f"{args.out} matches {args.slos}")
        return
    atomic_write_text(args.out, text)
    print(f"rules for the SLOs of {args.slos} written to {args.out}")


def add_commands(commands: argparse._SubParsersAction) -> None:
    settings.add_flags(commands.choices["serve"], ObservabilitySettings)
    p = commands.add_parser("slo-rules", help="generate the Prometheus rules that enforce the SLOs")
    p.add_argument("--slos", type=Path, default=SLOS, help="the objectives (default: %(default)s)")
    p.add_argument("--out", type=Path, default=SLO_RULES, help="the rules file (default: %(default)s)")
    p.add_argument("--check", action="store_true", help="only check that --out is up to date (exit 1 if not)")
    p.set_defaults(run=cmd_slo_rules)
