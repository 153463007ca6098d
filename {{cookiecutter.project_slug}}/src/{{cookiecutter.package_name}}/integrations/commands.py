"""The integrations tier's commands: `notify` (send a test announcement), `storage` (copy and list
local paths and s3:// URLs) and `suggest-labels` (the LLM labelling queue). Heavy imports (fsspec,
openai, torch) wait until a command runs."""

import argparse
import json
from pathlib import Path

from .. import settings
from ..settings import LoaderSettings
from . import IntegrationError
from .settings import EVENTS, LabellingSettings


def cmd_notify(args: argparse.Namespace) -> None:
    from .notifications import notify

    details = dict(item.split("=", 1) for item in args.detail)
    results = notify(args.event, details)
    if not results:
        raise IntegrationError(
            f"nothing sent: no channel configured (NOTIFY_WEBHOOK_URL, NOTIFY_SMTP_HOST) or {args.event} "
            "is not in NOTIFY_EVENTS"
        )
    print(json.dumps(results))
    if not all(results.values()):
        raise IntegrationError("a channel did not deliver: see the warnings above")


def cmd_copy(args: argparse.Namespace) -> None:
    from .storage import copy

    written = copy(args.source, args.target)
    print(f"{len(written)} files copied from {args.source} to {args.target}")


def cmd_list(args: argparse.Namespace) -> None:
    from .storage import listing

    for path in listing(args.url):
        print(path)


def cmd_suggest_labels(args: argparse.Namespace) -> None:
    from ..inference.predict import Predictor, predict_files
    from .labelling import LabelSuggester, build_queue, read_pricing, write_queue

    given = settings.load(LabellingSettings, settings.options(args))
    prices = read_pricing(args.pricing, given.model)
    loader = settings.load(LoaderSettings, settings.options(args))
    predictor = Predictor.from_checkpoint(args.checkpoint, loader.device, backend=loader.backend)
    suggester = LabelSuggester(given, predictor.class_names, prices)
    predictions = predict_files(predictor, args.inputs, loader, k=2)
    rows = build_queue(predictions.results, suggester, given.images)
    write_queue(rows, args.out)
    usage = suggester.usage
    statuses = {status: sum(row["status"] == status for row in rows) for status in {row["status"] for row in rows}}
    print(
        json.dumps(
            {
                "queue": str(args.out),
                "images": len(rows),
                "statuses": statuses,
                "calls": usage.calls,
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
                "cost_usd": round(usage.cost_usd, 6),
            },
            indent=2,
        )
    )


def add_commands(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("notify", help="announce an event on the configured webhook and email (a test)")
    p.add_argument("event", nargs="?", default="training_finished", help=f"one of {', '.join(EVENTS)}")
    p.add_argument("--detail", action="append", default=[], metavar="KEY=VALUE", help="a detail of the event")
    p.set_defaults(run=cmd_notify)

    p = commands.add_parser("storage", help="copy and list files in local folders and s3:// buckets")
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser("copy", help="copy a file or a folder; either side may be s3://bucket/path")
    a.add_argument("source")
    a.add_argument("target")
    a.set_defaults(run=cmd_copy)
    a = actions.add_parser("ls", help="list the files under a folder or prefix")
    a.add_argument("url")
    a.set_defaults(run=cmd_list)

    p = commands.add_parser(
        "suggest-labels", help="ask a vision LLM to label the images the model is least sure of (off by default)"
    )
    p.add_argument("inputs", nargs="+", type=Path, help="unlabelled image files or folders")
    p.add_argument("--checkpoint", required=True, help="a checkpoint file or reference")
    p.add_argument("--out", type=Path, default=Path("reports/label_queue.csv"), help="(default: %(default)s)")
    p.add_argument(
        "--pricing", type=Path, default=Path("integrations/openai/pricing.yaml"), help="(default: %(default)s)"
    )
    settings.add_flags(p, LabellingSettings)
    settings.add_flags(p, LoaderSettings)
    p.set_defaults(run=cmd_suggest_labels)
