"""The learning path stays true to the project: its links resolve and its commands really run.

Lessons quote file paths, headings, CLI commands and config keys. Each test here reads the
markdown the way a reader does (prose links, fenced code blocks) and checks one kind of quote
against the code, so a rename in the project fails here and names the lesson to update.
"""

import argparse
import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.cli import build_parser
from {{ cookiecutter.package_name }}.config import ConfigError, load_config

LEARNING_PATH = Path(__file__).resolve().parents[2] / "educational_resources"
PROJECT = LEARNING_PATH.parent
PACKAGE = "{{ cookiecutter.package_name }}"
MARKDOWN = sorted(LEARNING_PATH.rglob("*.md"))
LESSONS = sorted(LEARNING_PATH.glob("[0-9][0-9]_*.md"))
INDEX = LEARNING_PATH / "README.md"
# The core commands the lessons walk through; higher tiers add commands that they teach themselves.
LIFECYCLE = {"make-demo-data", "train", "evaluate", "predict", "serve", "export", "demo"}

# Folders that belong to a tier rather than to the core project. Lessons name them in prose but
# never link into them, so the learning path depends only on core files. Folders of the tiers above
# beginner need no entry: the template's tests run this file in a beginner bake, where a link into
# them already fails because they are pruned.
TIER_FOLDERS = ("deployment",)

LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
INLINE_CODE = re.compile(r"`[^`]*`")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
EXTERNAL = ("http://", "https://", "mailto:")
SHELL_OPERATORS = {"|", "||", "&&", ";", "&", "<", ">", ">>", "2>", "2>&1"}


def split_markdown(text: str) -> tuple[list[str], list[list[str]]]:
    """Prose lines and the lines of each fenced code block, dedented."""
    prose, blocks, block, fence, indent = [], [], None, "", 0
    for line in text.splitlines():
        stripped = line.lstrip()
        if block is None and stripped.startswith(("```", "~~~")):
            block, fence, indent = [], stripped[:3], len(line) - len(stripped)
        elif block is not None and stripped.startswith(fence):
            blocks.append(block)
            block = None
        elif block is not None:
            block.append(line[indent:] if line[:indent].isspace() else line.lstrip())
        else:
            prose.append(line)
    return prose, blocks


def links(path: Path) -> list[str]:
    prose, _ = split_markdown(path.read_text())
    return [target for line in prose for target in LINK.findall(INLINE_CODE.sub("", line))]


def local_links(path: Path) -> list[tuple[str, str]]:
    """(file part, anchor part) of every link that is not to a web address."""
    pairs = [target.partition("#") for target in links(path) if not target.startswith(EXTERNAL)]
    return [(file_part, anchor) for file_part, _, anchor in pairs]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a linked heading anchors on its text
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading's anchor; a repeated heading gets -1, -2, ... as on GitHub."""
    prose, _ = split_markdown(path.read_text())
    found, counts = set(), {}
    for match in filter(None, map(HEADING.match, prose)):
        base = slug(match.group(1))
        found.add(f"{base}-{counts[base]}" if base in counts else base)
        counts[base] = counts.get(base, 0) + 1
    return found


def link_problems(path: Path, root: Path = PROJECT) -> list[str]:
    problems = []
    for file_part, anchor in local_links(path):
        target = (path.parent / file_part).resolve() if file_part else path
        shown = f"{file_part}#{anchor}" if anchor else file_part
        if file_part.startswith("/"):
            problems.append(f"{shown}: use a path relative to the lesson, not an absolute one")
        elif not target.is_relative_to(root):
            problems.append(f"{shown}: points outside the project")
        elif not target.exists():
            problems.append(f"{shown}: no such file or folder")
        elif anchor and target.suffix != ".md":
            problems.append(f"{shown}: anchors are only checked in markdown; link the file instead")
        elif anchor and anchor not in anchors(target):
            problems.append(f"{shown}: no heading with that anchor in {target.name}")
    return problems


def shell_lines(path: Path) -> list[str]:
    """Every line of every code block, with backslash continuations joined."""
    _, blocks = split_markdown(path.read_text())
    lines = []
    for block in blocks:
        pending = ""
        for line in block:
            if line.rstrip().endswith("\\"):
                pending += line.rstrip()[:-1] + " "
                continue
            lines.append(pending + line)
            pending = ""
    return lines


def cli_invocations(path: Path) -> list[list[str]]:
    """The arguments after `-m <package>` of every command in a code block, up to a shell operator."""
    found = []
    for line in shell_lines(path):
        if f"-m {PACKAGE}" not in line:
            continue
        tokens = shlex.split(line, comments=True)
        for i in range(len(tokens) - 1):
            if tokens[i] == "-m" and tokens[i + 1] == PACKAGE:
                args = tokens[i + 2 :]
                cut = next((j for j, token in enumerate(args) if token in SHELL_OPERATORS), len(args))
                found.append(args[:cut])
    return found


def make_targets_shown(path: Path) -> list[str]:
    return [
        target
        for line in shell_lines(path)
        if line.startswith("make ")
        for target in shlex.split(line, comments=True)[1:]
        if "=" not in target and not target.startswith("-")
    ]


def subcommands() -> set[str]:
    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return set(action.choices)


def parse(args: list[str]) -> tuple[argparse.Namespace | None, str]:
    """The parsed namespace, or None and argparse's own error message."""
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(io.StringIO()):
        try:
            return build_parser().parse_args(args), ""
        except SystemExit:
            return None, errors.getvalue().strip().splitlines()[-1]


def override_problems(args: list[str]) -> list[str]:
    """Problems with the `--config` and `--set` values of one parsed command."""
    namespace, _ = parse(args)
    if namespace is None or not hasattr(namespace, "set"):
        return []
    config = PROJECT / namespace.config
    if not config.is_file():
        return [f"{' '.join(args)}: --config {namespace.config} is not a file of the project"]
    try:
        load_config(config, namespace.set)
    except ConfigError as error:
        return [f"{' '.join(args)}: {error}"]
    return []


def by_name(paths: list[Path]) -> list:
    return [pytest.param(path, id=str(path.relative_to(LEARNING_PATH))) for path in paths]


def test_the_learning_path_has_an_index_and_lessons():
    assert INDEX.is_file()
    assert len(LESSONS) >= 5, f"only {len(LESSONS)} lessons in {LEARNING_PATH}"


def test_lessons_are_numbered_from_01_without_gaps():
    numbers = [int(lesson.name[:2]) for lesson in LESSONS]
    assert numbers == list(range(1, len(LESSONS) + 1)), [lesson.name for lesson in LESSONS]


def test_the_index_links_every_lesson():
    listed = {(INDEX.parent / file_part).resolve() for file_part, _ in local_links(INDEX) if file_part}
    missing = [lesson.name for lesson in LESSONS if lesson.resolve() not in listed]
    assert not missing, f"README.md does not link {missing}"


@pytest.mark.parametrize("markdown", by_name(MARKDOWN))
def test_every_relative_link_resolves_to_a_file_folder_or_heading(markdown):
    assert not link_problems(markdown), f"{markdown.name}: " + "; ".join(link_problems(markdown))


@pytest.mark.parametrize("markdown", by_name(MARKDOWN))
def test_no_link_leads_into_a_folder_that_a_tier_may_prune(markdown):
    targets = [(file_part, (markdown.parent / file_part).resolve()) for file_part, _ in local_links(markdown)]
    into_tiers = [
        file_part
        for file_part, target in targets
        if target.is_relative_to(PROJECT) and target.relative_to(PROJECT).parts[:1] in [(f,) for f in TIER_FOLDERS]
    ]
    assert not into_tiers, f"{markdown.name} links into tier folders: {into_tiers}"


@pytest.mark.parametrize("markdown", by_name(MARKDOWN))
def test_every_cli_command_shown_names_a_real_subcommand_and_parses(markdown):
    known = subcommands()
    problems = []
    for args in cli_invocations(markdown):
        if not args or args[0] not in known:
            problems.append(f"{' '.join(args)!r}: not one of the subcommands {sorted(known)}")
            continue
        namespace, error = parse(args)
        if namespace is None:
            problems.append(f"{' '.join(args)!r}: {error}")
    assert not problems, f"{markdown.name}: " + "; ".join(problems)


@pytest.mark.parametrize("markdown", by_name(MARKDOWN))
def test_every_set_override_shown_is_a_valid_config_value(markdown):
    problems = [problem for args in cli_invocations(markdown) for problem in override_problems(args)]
    assert not problems, f"{markdown.name}: " + "; ".join(problems)


@pytest.mark.parametrize("markdown", by_name(MARKDOWN))
def test_every_make_target_shown_exists_in_the_makefile(markdown):
    makefile = (PROJECT / "Makefile").read_text()
    defined = set(re.findall(r"^([A-Za-z0-9_.-]+):", makefile, re.M))
    unknown = [target for target in make_targets_shown(markdown) if target not in defined]
    assert not unknown, f"{markdown.name} shows make targets the Makefile lacks: {unknown}"


def test_every_lifecycle_command_exists_and_is_taught_in_some_lesson():
    assert not LIFECYCLE - subcommands(), f"the CLI lost {sorted(LIFECYCLE - subcommands())}"
    taught = {args[0] for lesson in LESSONS for args in cli_invocations(lesson) if args}
    assert not LIFECYCLE - taught, f"no lesson shows {sorted(LIFECYCLE - taught)}"


def test_a_broken_link_a_bad_anchor_and_a_bad_command_are_all_reported(tmp_path):
    """The checks above are only worth something if they can fail: feed them a bad lesson."""
    (tmp_path / "target.md").write_text("# Real heading\n\n## With `code`: and punctuation!\n")
    lesson = tmp_path / "01_bad.md"
    lesson.write_text(
        "# Bad\n\n"
        "[gone](missing.py) and [anchor](target.md#no-such-heading) and [fine](target.md#real-heading)\n"
        "[also fine](target.md#with-code-and-punctuation)\n"
        "`[ignored](inside-inline-code.py)`\n\n"
        "```bash\n"
        "[ignored](inside-a-code-block.py)\n"
        f"python -m {PACKAGE} trian --set train.epochs=3\n"
        f"python -m {PACKAGE} train --set train.epoch=3 \\\n"
        "    --set data.image_size=64\n"
        "```\n"
    )
    problems = link_problems(lesson, root=tmp_path)
    assert [problem.split(":")[0] for problem in problems] == ["missing.py", "target.md#no-such-heading"]
    invocations = cli_invocations(lesson)
    assert [args[0] for args in invocations] == ["trian", "train"]
    assert parse(invocations[0])[0] is None
    assert "train.epoch" in " ".join(override_problems(invocations[1]))
    assert invocations[1][-2:] == ["--set", "data.image_size=64"]
