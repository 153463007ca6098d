"""One command line for the whole lifecycle; the commands themselves live in `commands/`.

The core's command families come first, then whatever the installed extensions add. A failure
that explains itself (a `ProjectError`, a missing file, a bad value) ends in one line on stderr
and exit code 2; anything else is a bug and keeps its traceback.
"""

import argparse
import logging
import sys

from . import PROJECT_NAME, __version__, extensions
from .commands import bench, data, demo, infer, serve, train
from .errors import ProjectError

COMMAND_FAMILIES = (data, train, infer, bench, serve, demo)
EXPECTED_ERRORS = (ProjectError, FileNotFoundError, ValueError)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="{{ cookiecutter.project_slug }}", description=PROJECT_NAME)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True)
    for family in COMMAND_FAMILIES:
        family.add_commands(commands)
    extensions.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        args.run(args)
    except EXPECTED_ERRORS as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
