"""The docs state facts the code must keep true: quickstart commands, tiers, CI entry point."""

import re

from conftest import DEFAULTS, TEMPLATE_ROOT, TIER_PATHS, TIERS

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


def test_readme_tier_table_lists_exactly_the_folders_the_hook_keeps():
    rows = dict(re.findall(r"^\| (beginner|intermediate|advanced|expert) \|([^|]*)\|", README, re.MULTILINE))
    assert list(rows) == list(TIERS)
    for tier in TIERS:
        listed = [path.rstrip("/") for path in re.findall(r"`([^`]+)`", rows[tier])]
        assert sorted(listed) == sorted(p.format(package_name="<package>") for p in TIER_PATHS[tier]), tier


def test_generated_roadmap_marks_as_included_exactly_the_tiers_that_ship_folders():
    generated_readme = (TEMPLATE_ROOT / "{{cookiecutter.project_slug}}" / "README.md").read_text()
    shipped = re.search(r"set shipped = \[(.*?)\]", generated_readme).group(1)
    assert re.findall(r'"(\w+)"', shipped) == [tier for tier in TIERS if TIER_PATHS[tier]]


def test_generated_project_makefile_has_the_targets_the_issue_promises():
    targets = makefile_targets(TEMPLATE_ROOT / "{{cookiecutter.project_slug}}" / "Makefile")
    assert {"install", "demo", "train", "predict", "serve", "test", "lint", "docker-build"} <= targets


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
        "[tool.cruft] skip",
    ):
        assert command in README, command
