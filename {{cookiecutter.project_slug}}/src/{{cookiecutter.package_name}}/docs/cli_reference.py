"""The command line reference, as Markdown, generated from the parsers `cli.build_parser` builds
(the core's commands and those of every installed extension)."""

import argparse

from .markdown import cell, code


def _subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, str, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            return [(name, helps.get(name, ""), sub) for name, sub in action.choices.items()]
    return []


def _arguments(parser: argparse.ArgumentParser) -> list[str]:
    rows = []
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)) or action.help == argparse.SUPPRESS:
            continue
        names = ", ".join(code(option) for option in action.option_strings) or code(action.dest)
        if action.metavar or (action.option_strings and action.nargs != 0):
            shown = action.metavar or action.dest.upper()
            names += f" {code(shown if isinstance(shown, str) else ' '.join(shown))}"
        choices = f" One of: {', '.join(code(c) for c in action.choices)}." if action.choices else ""
        required = "yes" if action.required or not action.option_strings else ""
        help_text = (action.help or "").replace("%(default)s", str(action.default))
        rows.append(f"| {names} | {required} | {cell(help_text)}{choices} |")
    return rows


def _section(path: list[str], parser: argparse.ArgumentParser, summary: str, level: int) -> list[str]:
    lines = [f"{'#' * level} `{' '.join(path)}`", ""]
    if summary:
        lines += [cell(summary), ""]
    lines += ["```text", parser.format_usage().strip(), "```", ""]
    rows = _arguments(parser)
    if rows:
        lines += ["| argument | required | meaning |", "| --- | --- | --- |", *rows, ""]
    for name, help_text, sub in _subcommands(parser):
        lines += _section([*path, name], sub, help_text, min(level + 1, 4))
    return lines


def cli_reference() -> str:
    from ..cli import build_parser

    parser = build_parser()
    prog = parser.prog
    commands = _subcommands(parser)
    lines = [
        "# Command line reference",
        "",
        f"Generated from the parsers of `{prog}` when this site was built: every command of the core and of",
        "the installed tiers, with every option. `python -m <package>` takes the same arguments. Options",
        "that name an environment variable read it when the option is not given.",
        "",
        "| command | what it does |",
        "| --- | --- |",
        *(f"| [`{name}`](#{prog}-{name}) | {cell(help_text)} |" for name, help_text, _ in commands),
        "",
    ]
    lines += ["```text", parser.format_usage().strip(), "```", ""]
    for name, help_text, sub in commands:
        lines += [f'<a id="{prog}-{name}"></a>', ""]
        lines += _section([prog, name], sub, help_text, 2)
    return "\n".join(lines) + "\n"
