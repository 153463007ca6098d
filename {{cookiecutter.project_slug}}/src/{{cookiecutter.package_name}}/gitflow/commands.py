"""`check-commit-message FILE`: the commit-msg hook's check (.gitflow/pre-commit-config.yaml)."""

import argparse
import sys
from pathlib import Path


def run_check(args: argparse.Namespace) -> None:
    from .commit_message import TYPES, problems

    found = problems(Path(args.file).read_text(encoding="utf-8", errors="replace"))
    if found:
        print("commit message refused (see .gitflow/COMMITS.md):", file=sys.stderr)
        for problem in found:
            print(f"  - {problem}", file=sys.stderr)
        print(f"  types: {', '.join(TYPES)}", file=sys.stderr)
        sys.exit(1)


def add_commands(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("check-commit-message", help="check a commit message file against .gitflow/COMMITS.md")
    p.add_argument("file", type=Path, help="the message file git hands the commit-msg hook (.git/COMMIT_EDITMSG)")
    p.set_defaults(run=run_check)
