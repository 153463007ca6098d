"""`backup create|list|verify|restore|prune`: archives of what a project cannot rebuild from git.

Torch loads only to check models (at `create`, to record their answers; at `restore`, to compare).
"""

import argparse
import shutil
import tempfile
from pathlib import Path

from .. import settings
from .settings import BackupSettings


def _settings(args: argparse.Namespace) -> BackupSettings:
    return settings.load(BackupSettings, settings.options(args))


def prune(options: BackupSettings) -> list[str]:
    from .retention import archives_to_delete
    from .storage import Destination

    destination = Destination(options.destination)
    doomed = archives_to_delete(destination.names(), options.keep_daily, options.keep_weekly)
    present = set(destination.names())
    for name in doomed:
        if name in present:
            destination.delete(name)
    return [name for name in doomed if name.endswith(".tar.gz")]


def cmd_create(args: argparse.Namespace) -> None:
    from .archive import create
    from .storage import Destination

    options = _settings(args)
    sources = options.sources  # relative to the project (--root) unless it names a file from here
    if not sources.is_absolute() and not sources.is_file() and (Path(args.root) / sources).is_file():
        sources = Path(args.root) / sources
    archive, name = create(Path(args.root), sources, options.verify_images)
    try:
        destination = Destination(options.destination)
        destination.upload(archive.with_name(f"{name}.sha256"), f"{name}.sha256")
        where = destination.upload(archive, name)  # the archive last: it is listed only once both are there
    finally:
        shutil.rmtree(archive.parent, ignore_errors=True)
    print(f"backup written to {where}")
    if not args.no_prune:
        for removed in prune(options):
            print(f"retention removed {removed}")


def cmd_list(args: argparse.Namespace) -> None:
    from .retention import archive_time
    from .storage import Destination

    destination = Destination(_settings(args).destination)
    names = destination.names()
    archives = [name for name in names if archive_time(name)]
    for name in archives:
        checksum = "" if f"{name}.sha256" in names else "  (no checksum file: will be refused)"
        print(f"{destination.describe(name)}{checksum}")
    if not archives:
        print(f"no archives in {destination.location}")


def _fetch(args: argparse.Namespace, folder: Path) -> tuple[Path, Path | None]:
    """The archive (a path, or a name in the destination) and its checksum file, as local files."""
    from .storage import Destination

    given = Path(args.archive)
    if given.is_file():
        checksum = given.with_name(f"{given.name}.sha256")
        return given, checksum if checksum.is_file() else None
    destination = Destination(_settings(args).destination)
    archive = destination.download(args.archive, folder / args.archive)
    try:
        checksum = destination.download(f"{args.archive}.sha256", folder / f"{args.archive}.sha256")
    except FileNotFoundError:
        checksum = None
    return archive, checksum


def cmd_verify(args: argparse.Namespace) -> None:
    from .restore import restore, verify

    with tempfile.TemporaryDirectory(prefix="backup-verify-") as tmp:
        archive, checksum = _fetch(args, Path(tmp))
        if args.models:
            done = restore(archive, checksum, Path(tmp) / "restored")
            print(
                f"{archive.name}: intact, {done['files']} files; models give their recorded answers: "
                f"{', '.join(done['models_checked']) or 'none archived'}"
            )
        else:
            manifest = verify(archive, checksum)
            print(f"{archive.name}: intact, {len(manifest['files'])} files, made {manifest['created']}")


def cmd_restore(args: argparse.Namespace) -> None:
    from .restore import restore

    with tempfile.TemporaryDirectory(prefix="backup-restore-") as tmp:
        archive, checksum = _fetch(args, Path(tmp))
        done = restore(archive, checksum, Path(args.into), force=args.force, check=not args.no_check)
    print(
        f"restored {done['files']} files into {args.into} ({done['replaced']} replaced, "
        f"{done['relocated']} registry paths moved); models checked: {', '.join(done['models_checked']) or 'none'}"
    )


def cmd_prune(args: argparse.Namespace) -> None:
    removed = prune(_settings(args))
    print("\n".join(f"removed {name}" for name in removed) or "nothing to remove")


def add_commands(commands: argparse._SubParsersAction) -> None:
    backup = commands.add_parser(
        "backup", help="back up, verify, restore and prune archives of models, registry and data metadata"
    )
    actions = backup.add_subparsers(dest="action", required=True)

    p = actions.add_parser("create", help="archive what backup/backup.yaml names, then apply retention")
    p.add_argument("--root", type=Path, default=Path("."), help="the project folder (default: %(default)s)")
    settings.add_flags(p, BackupSettings)
    p.add_argument("--no-prune", action="store_true", help="keep every older archive this time")
    p.set_defaults(run=cmd_create)

    p = actions.add_parser("list", help="the archives at the destination")
    settings.add_flags(p, BackupSettings, skip=("sources", "keep_daily", "keep_weekly", "verify_images"))
    p.set_defaults(run=cmd_list)

    p = actions.add_parser("verify", help="check an archive against its checksums (and, with --models, its models)")
    p.add_argument("archive", help="an archive file, or the name of one at the destination")
    p.add_argument(
        "--models", action="store_true", help="also restore into a temp folder and compare the models' answers"
    )
    settings.add_flags(p, BackupSettings, skip=("sources", "keep_daily", "keep_weekly", "verify_images"))
    p.set_defaults(run=cmd_verify)

    p = actions.add_parser("restore", help="verify an archive, then restore it into a folder")
    p.add_argument("archive", help="an archive file, or the name of one at the destination")
    p.add_argument("--into", required=True, help="where to restore (a fresh folder, or the project with --force)")
    p.add_argument("--force", action="store_true", help="replace files that already exist there")
    p.add_argument("--no-check", action="store_true", help="skip comparing the restored models' answers")
    settings.add_flags(p, BackupSettings, skip=("sources", "keep_daily", "keep_weekly", "verify_images"))
    p.set_defaults(run=cmd_restore)

    p = actions.add_parser("prune", help="apply retention: keep the newest of the last N days and M weeks")
    settings.add_flags(p, BackupSettings, skip=("sources", "verify_images"))
    p.set_defaults(run=cmd_prune)
