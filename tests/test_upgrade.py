"""Upgrading a project made at the previous release keeps everything its user did (see release.py)."""

import json
import re
import shutil
import sys
from pathlib import Path

import pytest
import release
from conftest import BY_TIER, QUIET, TEMPLATE_ROOT, TIERS, run
from release import cruft, git

PACKAGE = release.PACKAGE
EDITED = {"README.md", "configs/default.yaml", f"src/{PACKAGE}/data/transforms.py", "pyproject.toml"}


@pytest.fixture(scope="module")
def upgraded(upgrades):
    if upgrades is None:
        pytest.skip("a shallow clone: the previous release is not in its history (git fetch --unshallow)")
    return upgrades


def leftovers(project: Path) -> list[str]:
    """Rejected hunks and files with conflict markers, as `make update` looks for them."""
    rejected = [p.relative_to(project).as_posix() for p in project.rglob("*.rej")]
    marked = [
        p.relative_to(project).as_posix()
        for p in project.rglob("*")
        if p.is_file() and ".git" not in p.parts and re.search(r"^(<{7}|>{7})( |$)", p.read_text(errors="ignore"), re.M)
    ]
    return rejected + marked


@pytest.mark.parametrize("tier", BY_TIER)
def test_cruft_update_from_the_previous_release_merges_without_a_conflict(upgraded, tier):
    upgrade = upgraded[tier]
    assert upgrade.update.returncode == 0, upgrade.update.stdout + upgrade.update.stderr
    assert leftovers(upgrade.project) == []
    state = json.loads((upgrade.project / ".cruft.json").read_text())
    assert state["commit"] == git(upgrade.template, "rev-parse", "HEAD")
    version = json.loads((TEMPLATE_ROOT / "cookiecutter.json").read_text())["_template_version"]
    assert f'version = "{version}"' in (upgrade.project / "pyproject.toml").read_text()


@pytest.mark.parametrize("tier", BY_TIER)
def test_every_edit_of_the_user_survives_and_data_and_models_are_untouched(upgraded, tier):
    project = upgraded[tier].project
    assert release.README_LINE in (project / "README.md").read_text()
    assert release.CONFIG_AFTER in (project / "configs" / "default.yaml").read_text()
    assert release.FUNCTION in (project / "src" / PACKAGE / "data" / "transforms.py").read_text()
    pyproject = (project / "pyproject.toml").read_text()
    assert release.DEPENDENCY_ANCHOR + release.DEPENDENCY in pyproject
    assert (project / release.OWN_FILE).read_text() == release.OWN_TEXT
    for name, size in ((release.DATA_FILE, 3000), (release.MODEL_FILE, 5000)):
        assert (project / name).read_bytes() == bytes(range(256)) * (size // 256), name


@pytest.mark.parametrize("tier", BY_TIER)
def test_cruft_diff_after_the_upgrade_shows_only_the_users_edits(upgraded, tier):
    project = upgraded[tier].project
    diff = cruft(project, "diff", "--exit-code").stdout
    files = set(re.findall(r"^\+\+\+ upstream-template-new/(\S+)$", diff, re.M))
    assert files == EDITED
    theirs = {line[1:] for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")}
    template = {line[1:] for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")}
    assert template == {release.CONFIG_BEFORE.rstrip("\n")}, "the template's side differs only where the user edited"
    expected = {release.README_LINE, "", release.CONFIG_AFTER.rstrip("\n"), release.DEPENDENCY.rstrip("\n")}
    expected |= set(release.FUNCTION.splitlines())
    assert theirs == expected


def make_update(project: Path) -> tuple[int, str]:
    venv = Path(sys.executable).parent.parent
    result = run(["make", "--no-print-directory", "update", f"VENV={venv}"], project, timeout=300)
    return result.returncode, result.stdout + result.stderr


def test_make_update_merges_a_clean_update_and_fails_naming_every_file_left_in_conflict(bake_with_cruft):
    template, project = bake_with_cruft
    config = project / "configs" / "default.yaml"
    config.write_text(config.read_text().replace(release.CONFIG_BEFORE, release.CONFIG_AFTER))
    release.commit_all(project, "user: more weight decay")

    readme = template / "{{cookiecutter.project_slug}}" / "README.md"
    readme.write_text(readme.read_text() + "\nA line the template adds.\n")
    release.commit_all(template, "template: a README line")
    code, output = make_update(project)
    assert code == 0, output
    assert "merged cleanly" in output and "A line the template adds." in (project / "README.md").read_text()
    release.commit_all(project, "update")

    template_config = template / "{{cookiecutter.project_slug}}" / "configs" / "default.yaml"
    template_config.write_text(template_config.read_text().replace(release.CONFIG_BEFORE, "  weight_decay: 0.0002\n"))
    release.commit_all(template, "template: another weight decay")
    code, output = make_update(project)
    assert code != 0
    assert "cruft update left conflicts to resolve in:\nconfigs/default.yaml" in output


@pytest.fixture
def bake_with_cruft(tmp_path):
    """A beginner project made with cruft from a git copy of this tree, committed."""
    template = tmp_path / "mlops-template"
    shutil.copytree(TEMPLATE_ROOT, template, ignore=release.IGNORED)
    git(template, "init", "--quiet", "--initial-branch=main")
    release.commit_all(template, "template")
    context = json.dumps({"tier": TIERS[0], **QUIET})
    options = ["--no-input", "--output-dir", str(tmp_path / "out"), "--extra-context", context]
    created = cruft(tmp_path, "create", str(template), *options)
    assert created.returncode == 0, created.stdout + created.stderr
    project = tmp_path / "out" / "vision-classifier"
    git(project, "init", "--quiet", "--initial-branch=main")
    release.commit_all(project, "generated")
    return template, project
