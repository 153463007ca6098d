"""The docs state facts the code must keep true: quickstart commands, tiers, CI entry point."""

import re
import subprocess
import sys

from conftest import DEFAULTS, TEMPLATE_ROOT, TIER_TABLE, TIERS

sys.path.insert(0, str(TEMPLATE_ROOT / "scripts"))
import tier_table  # noqa: E402

README = (TEMPLATE_ROOT / "README.md").read_text()


def makefile_targets(path):
    return set(re.findall(r"^([A-Za-z][\w-]*):", path.read_text(), re.MULTILINE))


def test_quickstart_is_exactly_two_make_commands_that_exist():
    section = README.split("## Quickstart", 1)[1].split("##", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]
    assert {"demo", "test"} <= makefile_targets(TEMPLATE_ROOT / "Makefile")


def test_ci_runs_the_readme_test_command():
    script = (TEMPLATE_ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", script, re.MULTILINE)


def test_readme_tier_table_is_the_one_rendered_from_the_tier_table():
    assert tier_table.rendered_readme(README, TIER_TABLE) == README, "run `make docs`"
    for entry in TIER_TABLE:
        assert all(f"`{folder}/`" in tier_table.render(TIER_TABLE) for folder in entry["folders"])


# Two tier names written as items of a list: quoted or bare, joined by a comma, a slash, "or" or "and".
TIER_NAME = "|".join(TIERS)
STRAY_LIST = re.compile(rf"\b({TIER_NAME})\b[\"'`]?\s*(,|/|\bor\b|\band\b)\s*[\"'`]?({TIER_NAME})\b")


def tracked_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files"], cwd=TEMPLATE_ROOT, capture_output=True, text=True)
    if listed.returncode == 0 and listed.stdout:
        return listed.stdout.splitlines()
    return [p.relative_to(TEMPLATE_ROOT).as_posix() for p in TEMPLATE_ROOT.rglob("*") if p.is_file()]


def test_no_file_keeps_its_own_list_of_tiers():
    """The tier table in cookiecutter.json is the only list of tiers; everything else reads or renders it."""
    strays = {}
    for name in tracked_files():
        path = TEMPLATE_ROOT / name
        if name == "cookiecutter.json" or not path.is_file():
            continue
        text = path.read_text(errors="ignore")
        text = text.replace(tier_table.render(TIER_TABLE), "")  # the README's rendered copy
        found = STRAY_LIST.search(text)
        if found:
            strays[name] = found.group(0)
    assert strays == {}


def test_the_stray_list_check_catches_a_list_of_tiers():
    first, second, *_ = TIERS
    for text in (f'TIERS = ("{first}", "{second}")', f"{first}, {second}, ...", f"`{first}`/`{second}`"):
        assert STRAY_LIST.search(text), text
    assert not STRAY_LIST.search(f"the {first} tier. The {second} tier")


def test_generated_project_makefile_has_the_targets_the_issue_promises():
    targets = makefile_targets(TEMPLATE_ROOT / "{{cookiecutter.project_slug}}" / "Makefile")
    assert {"install", "demo", "train", "predict", "serve", "test", "lint", "docker-build", "update"} <= targets


def test_changelog_releases_the_version_generated_projects_record():
    changelog = (TEMPLATE_ROOT / "CHANGELOG.md").read_text()
    releases = re.findall(r"^## (\d+\.\d+\.\d+) - \d{4}-\d{2}-\d{2}$", changelog, re.MULTILINE)
    assert releases, "CHANGELOG.md has no release headings"
    assert releases[0] == DEFAULTS["_template_version"]
    first = changelog.split(f"## {releases[0]}", 1)[1].split("\n## ", 1)[0]
    assert "### Upgrade notes" in first


def test_readme_documents_every_cruft_command_users_need():
    for command in (
        "cruft create",
        "cruft check",
        "cruft diff",
        "cruft update",
        "cruft link",
        "--checkout v",
        "--variables-to-update",
        "make update",
    ):
        assert command in README, command
