"""The data-engineering commands: `ingest`, `validate`, `split` and `retrain`.

`extension.py` hands `add_commands` to the core through the seam. Each command imports what it
needs when it runs, so `--help` and the other commands stay quick.
"""

import argparse
import json
import sys
from pathlib import Path

from .. import extensions, settings
from .settings import STORE, IngestSettings, RetrainSettings, SplitSettings, ValidateSettings

FAILED = 1  # exit code of a validation that fails, and of an ingestion that could not read every file


def cmd_ingest(args: argparse.Namespace) -> None:
    from .ingest import ingest

    given = settings.load(IngestSettings, settings.options(args))
    summary = ingest(args.source, given.store, given.workers)
    print(f"{summary.line()} -> {given.store}")
    for uri, reason in list(summary.failed.items())[:20]:
        print(f"  failed {uri}: {reason}")
    if summary.failed:
        print("run the same command again to retry the failed files (the others are not fetched twice)")
        sys.exit(FAILED)


def cmd_validate(args: argparse.Namespace) -> None:
    from ..utils.atomic import atomic_write_json
    from .params import load_params
    from .validation import counts_of, summary, validate

    given = settings.load(ValidateSettings, settings.options(args))
    report = validate(args.data, load_params(given.params))
    atomic_write_json(given.report, report)
    if given.metrics:
        atomic_write_json(given.metrics, counts_of(report))
    print(summary(report, given.report))
    if not report["ok"]:
        counts = {check: result["defects"] for check, result in report["checks"].items() if result["fails"]}
        extensions.emit("validation_failed", report=str(given.report), data=str(args.data), defects=counts)
        sys.exit(FAILED)


def cmd_split(args: argparse.Namespace) -> None:
    from .params import load_params
    from .split import write_split

    given = settings.load(SplitSettings, settings.options(args))
    counts = write_split(given.store, given.out, load_params(given.params).split)
    for split, labels in counts.items():
        print(f"{split:<5} {sum(labels.values()):>6}  " + ", ".join(f"{k} {v}" for k, v in sorted(labels.items())))
    print(f"split written to {given.out}")


def cmd_retrain(args: argparse.Namespace) -> None:
    from .retrain import retrain

    given = settings.load(RetrainSettings, settings.options(args))
    report = retrain(given)
    print(json.dumps(report, indent=2))


def add_commands(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("ingest", help="copy images from a folder, manifest or URL into the raw store")
    p.add_argument("source", help="a folder of <label>/<image>, a .csv/.json/.jsonl manifest, or an fsspec URL")
    settings.add_flags(p, IngestSettings)
    p.set_defaults(run=cmd_ingest)

    p = commands.add_parser("validate", help=f"check a dataset; a JSON report, exit {FAILED} on failure")
    p.add_argument("data", nargs="?", type=Path, default=STORE.default, help="raw store or image folder")
    settings.add_flags(p, ValidateSettings)
    p.set_defaults(run=cmd_validate)

    p = commands.add_parser("split", help="write train/val/test folders from the raw store, split by hash")
    settings.add_flags(p, SplitSettings)
    p.set_defaults(run=cmd_split)

    p = commands.add_parser("retrain", help="drift check -> dvc repro -> register -> promote if better")
    settings.add_flags(p, RetrainSettings)
    p.set_defaults(run=cmd_retrain)
