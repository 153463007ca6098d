"""The intermediate tier's part of the command line: tracking options for `train`, and the
registry (`models`, `promote`, `rollback`) and drift (`profile`, `drift`) commands.

The core CLI imports this module when it exists, calls `add_commands` and `training_callbacks`,
and turns the exceptions in ERRORS into a one-line error and exit code 2. MLflow and SciPy are
imported only when a command needs them, so `--help` and the core commands stay quick.
"""

import argparse
import os
import sys
from pathlib import Path

from . import MlopsError
from .drift import DEFAULT_MAX_IMAGES, DEFAULT_P_VALUE, DEFAULT_PSI_THRESHOLD

ERRORS = (MlopsError,)
# The experiment and registered model share a default name: the package's.
DEFAULT_NAME = __name__.split(".")[0]
DRIFT_EXIT_CODE = 1
# MLOPS_TRACKING=off makes `train` untracked by default, as --no-track does for one run.
TRACKING_ENV = "MLOPS_TRACKING"


def training_callbacks(args: argparse.Namespace) -> list:
    """The drift profiler and the MLflow tracker (profile first: the tracker logs it), or none
    when the run is untracked."""
    if not args.track:
        if args.register:
            raise MlopsError(f"--register needs the run to be tracked: drop --no-track (or {TRACKING_ENV}=off)")
        return []
    from .drift import ReferenceProfiler
    from .tracking import MlflowTracker

    return [ReferenceProfiler(), MlflowTracker(args.experiment, register_as=args.register)]


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


def cmd_rollback(args: argparse.Namespace) -> None:
    from .registry import rollback

    current, target = rollback(args.name, args.alias)
    print(f"{args.name}@{args.alias} -> version {target} (rolled back from {current})")


def cmd_profile(args: argparse.Namespace) -> None:
    from ..data.dataset import list_images
    from ..inference.predict import Predictor
    from .drift import build_profile, write_profile

    predictor = Predictor.from_checkpoint(args.checkpoint, args.device)
    profile = build_profile(list_images(args.inputs), predictor, max_images=args.max_images)
    write_profile(profile, args.out)
    print(f"reference profile of {profile['features']['width']['count']} images written to {args.out}")


def cmd_drift(args: argparse.Namespace) -> None:
    from ..utils.atomic import atomic_write_json
    from .drift import check_drift

    report = check_drift(
        args.checkpoint, args.inputs, args.reference, args.device, args.max_images, args.p_value, args.psi_threshold
    )
    atomic_write_json(args.out, report)
    for name, result in report["features"].items():
        flag = "DRIFT" if result["drift"] else "ok"
        print(f"{name:<11} {flag:<5} ks={result['ks_statistic']:.3f} p={result['p_value']:.2g} psi={result['psi']:.3f}")
    verdict = f"drift in {', '.join(report['drifted_features'])}" if report["drift"] else "no drift"
    print(f"{verdict} ({report['current_images']} images); report in {args.out}")
    if report["drift"]:
        sys.exit(DRIFT_EXIT_CODE)


def add_commands(commands: argparse._SubParsersAction) -> None:
    train = commands.choices["train"]
    train.add_argument(
        "--no-track",
        dest="track",
        action="store_false",
        default=os.environ.get(TRACKING_ENV, "on").lower() not in ("off", "0", "false"),
        help=f"train as the core does: no MLflow run, no drift profile (also {TRACKING_ENV}=off)",
    )
    train.add_argument(
        "--experiment",
        default=os.environ.get("MLFLOW_EXPERIMENT_NAME", DEFAULT_NAME),
        help="MLflow experiment (default: $MLFLOW_EXPERIMENT_NAME or %(default)s)",
    )
    train.add_argument(
        "--register",
        nargs="?",
        const=DEFAULT_NAME,
        metavar="NAME",
        help=f"register the best model in the MLflow registry as NAME (default {DEFAULT_NAME})",
    )

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
        command.add_argument(
            "--checkpoint", type=Path, required=True, help="a checkpoint file or models:/<name>@<alias>"
        )
        command.add_argument(
            "--max-images", type=int, default=DEFAULT_MAX_IMAGES, help="sample at most this many images"
        )
        command.add_argument("--device", default="auto")

    p = commands.add_parser("profile", help="write a drift reference profile of images for a model")
    drift_options(p)
    p.add_argument("--out", type=Path, required=True, help="where to write the profile JSON")
    p.set_defaults(run=cmd_profile)

    p = commands.add_parser(
        "drift",
        help=f"test new images against the model's reference profile; exit {DRIFT_EXIT_CODE} on drift",
    )
    drift_options(p)
    p.add_argument("--reference", type=Path, help="profile JSON (default: the one beside the checkpoint)")
    p.add_argument("--out", type=Path, default=Path("reports/drift.json"), help="JSON report")
    p.add_argument("--p-value", type=float, default=DEFAULT_P_VALUE, help="KS test significance per feature")
    p.add_argument(
        "--psi-threshold", type=float, default=DEFAULT_PSI_THRESHOLD, help="PSI above which a change is large"
    )
    p.set_defaults(run=cmd_drift)
