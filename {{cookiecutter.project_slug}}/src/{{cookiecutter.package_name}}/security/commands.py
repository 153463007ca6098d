"""`api-key`: make a key and the hashed entry the server stores, or hash a key you already have.

The key is printed once and stored nowhere; the entry (NAME:SHA256) goes into API_KEYS or the
keys file. `api-key hash` reads the key from standard input, never from the command line, where
the shell history and the process list would keep it.
"""

import argparse
import sys

from .. import settings
from .settings import SecuritySettings


def cmd_new(args: argparse.Namespace) -> None:
    from .keys import entry_for, new_key

    key = new_key()
    print(f"key   {key}")
    print(f"entry {entry_for(key, args.name)}")
    print(
        "give the key to its client now: it is not stored; add the entry to API_KEYS or the keys file", file=sys.stderr
    )


def cmd_hash(args: argparse.Namespace) -> None:
    from . import SecurityError
    from .keys import entry_for

    key = sys.stdin.readline().strip()
    if not key:
        raise SecurityError('no key on standard input: echo "$KEY" | ... api-key hash --name NAME')
    print(entry_for(key, args.name))


def add_commands(commands: argparse._SubParsersAction) -> None:
    settings.add_flags(commands.choices["serve"], SecuritySettings)
    p = commands.add_parser("api-key", help="make an API key and its hashed entry, or hash an existing key")
    actions = p.add_subparsers(dest="action", required=True)
    for name, run, help_text in (
        ("new", cmd_new, "print a new random key and the entry to store for it"),
        ("hash", cmd_hash, "print the entry to store for a key read from standard input"),
    ):
        action = actions.add_parser(name, help=help_text)
        action.add_argument("--name", required=True, help="shown in logs and rate-limit counts, e.g. mobile-app-2025")
        action.set_defaults(run=run)
