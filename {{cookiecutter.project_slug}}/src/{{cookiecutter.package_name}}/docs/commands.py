"""`docs`: build the documentation site (strict: a warning or a broken link fails it), or serve it."""

import argparse
from pathlib import Path

CONFIG = Path("DOCS/mkdocs.yml")


def run_docs(args: argparse.Namespace) -> None:
    from .build import build_site, serve_site

    if args.serve:
        serve_site(args.config, args.address)
        return
    out = build_site(args.config, args.out)
    print(f"documentation site built in {out}")


def add_commands(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("docs", help="build the documentation site (DOCS/), strictly, or serve it while you edit")
    p.add_argument("--config", type=Path, default=CONFIG, help="mkdocs config (default: %(default)s)")
    p.add_argument("--out", type=Path, help="where to write the site (default: the config's site_dir)")
    p.add_argument("--serve", action="store_true", help="serve with live reload instead of building")
    p.add_argument("--address", default="127.0.0.1:8001", help="for --serve (default: %(default)s)")
    p.set_defaults(run=run_docs)
