"""The mlops tier's part of the command line: tracking options for `train`, rollout options for
`serve`, and the registry (`models`, `promote`, `rollback`) and drift (`profile`, `drift`) commands.

`extension.py` hands `add_commands` and `training_callbacks` to the core through the seam. MLflow
and SciPy are imported only when a command runs, so `--help` and the core's commands stay quick.
"""

import argparse
import sys
from pathlib import Path

from .. import extensions, settings
from . import MlopsError
from .settings import DriftSettings, RolloutSettings, TrackingSettings

# The experiment and the registered model share a default name: the package's.
DEFAULT_NAME = __name__.split(".")[0]
DRIFT_EXIT_CODE = 1


def training_callbacks(args: argparse.Namespace) -> list:
    """The drift profiler and the MLflow tracker (profile first: the tracker logs it), or none
    when the run is untracked."""
    tracking = settings.load(TrackingSettings, settings.options(args))
    if not tracking.track:
        if args.register:
            raise MlopsError("--register needs the run to be tracked: drop --no-track (or MLOPS_TRACKING=off)")
        return []
    from .drift import ReferenceProfiler
    from .tracking import MlflowTracker

    return [ReferenceProfiler(), MlflowTracker(tracking.experiment, register_as=args.register)]


def cmd_models(args: argparse.Namespace) -> None:
    from .registry import list_versions

    rows = list_versions(args.name)
    if not rows:
        print("no registered models yet: train with --register")
    for row in rows:
        aliases = f"  @{', @'.join(row['aliases'])}" if row["aliases"] else ""
        print(f"models:/{row['name']}/{row['version']}  run {row['run_id']}{aliases}")


def cmd_promote(args: argparse.Namespace) -> None:
    from .registry import promote

    previous, version = promote(args.name, args.alias, args.version, args.from_alias)
    print(f"{args.name}@{args.alias} -> version {version} (was {previous or 'unset'})")
    extensions.emit("model_promoted", name=args.name, alias=args.alias, version=version, previous=previous)


def cmd_rollback(args: argparse.Namespace) -> None:
    from .registry import rollback

    current, target = rollback(args.name, args.alias)
    print(f"{args.name}@{args.alias} -> version {target} (rolled back from {current})")
    extensions.emit("model_promoted", name=args.name, alias=args.alias, version=target, previous=current)


def drift_settings(args: argparse.Namespace) -> DriftSettings:
    return settings.load(DriftSettings, settings.options(args))


def cmd_profile(args: argparse.Namespace) -> None:
    from ..data.dataset import list_images
    from ..inference.predict import Predictor
    from .drift import build_profile, write_profile

    predictor = Predictor.from_checkpoint(args.checkpoint, args.device)
    profile = build_profile(list_images(args.inputs), predictor, max_images=drift_settings(args).max_images)
    write_profile(profile, args.out)
    print(f"reference profile of {profile['features']['width']['count']} images written to {args.out}")


def cmd_drift(args: argparse.Namespace) -> None:
    from ..utils.atomic import atomic_write_json
    from .drift import check_drift

    report = check_drift(args.checkpoint, args.inputs, args.reference, args.device, drift_settings(args))
    atomic_write_json(args.out, report)
    for name, result in report["features"].items():
        flag = "DRIFT" if result["drift"] else "ok"
        print(f"{name:<11} {flag:<5} ks={result['ks_statistic']:.3f} p={result['p_value']:.2g} psi={result['psi']:.3f}")
    verdict = f"drift in {', '.join(report['drifted_features'])}" if report["drift"] else "no drift"
    print(f"{verdict} ({report['current_images']} images); report in {args.out}")
    if report["drift"]:
        extensions.emit(
            "drift_detected",
            checkpoint=str(args.checkpoint),
            drifted_features=report["drifted_features"],
            report=str(args.out),
        )
        sys.exit(DRIFT_EXIT_CODE)


def add_commands(commands: argparse._SubParsersAction) -> None:
    train = commands.choices["train"]
    settings.add_flags(train, TrackingSettings)
    train.add_argument(
        "--register",
        nargs="?",
        const=DEFAULT_NAME,
        metavar="NAME",
        help=f"register the best model in the MLflow registry as NAME (default {DEFAULT_NAME})",
    )
    settings.add_flags(commands.choices["serve"], RolloutSettings)

    def name_option(command: argparse.ArgumentParser) -> None:
        command.add_argument("--name", default=DEFAULT_NAME, help="registered model name (default %(default)s)")

    p = commands.add_parser("models", help="list registered model versions and their aliases")
    p.add_argument("--name", help="only this registered model")
    p.set_defaults(run=cmd_models)

    p = commands.add_parser("promote", help="point an alias (staging, production) at a model version")
    name_option(p)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--version", help="the version to promote")
    source.add_argument("--from", dest="from_alias", metavar="ALIAS", help="promote the version ALIAS points at")
    p.add_argument("--alias", required=True, help="e.g. staging or production")
    p.set_defaults(run=cmd_promote)

    p = commands.add_parser("rollback", help="point an alias back at the version it named before")
    name_option(p)
    p.add_argument("--alias", required=True)
    p.set_defaults(run=cmd_rollback)

    def drift_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("inputs", nargs="+", type=Path, help="image files or folders")
        command.add_argument("--checkpoint", required=True, help="a checkpoint file or models:/<name>@<alias>")
        command.add_argument("--device", default="auto")

    p = commands.add_parser("profile", help="write a drift reference profile of images for a model")
    drift_options(p)
    settings.add_flags(p, DriftSettings, skip=("p_value", "psi_threshold"))
    p.add_argument("--out", type=Path, required=True, help="where to write the profile JSON")
    p.set_defaults(run=cmd_profile)

    p = commands.add_parser(
        "drift",
        help=f"test new images against the model's reference profile; exit {DRIFT_EXIT_CODE} on drift",
    )
    drift_options(p)
    settings.add_flags(p, DriftSettings)
    p.add_argument("--reference", type=Path, help="profile JSON (default: the one beside the checkpoint)")
    p.add_argument("--out", type=Path, default=Path("reports/drift.json"), help="JSON report")
    p.set_defaults(run=cmd_drift)
