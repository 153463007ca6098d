"""The git flow's hooks and templates: `make gitflow-install` in a throwaway repository, then a bad
commit message, a lint error and a failing test refused, and good commits and pushes accepted."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.gitflow.commit_message import problems

GOOD = [
    "feat(api): return the model version with every prediction",
    "fix: report PNGs with a palette instead of skipping them\n\nThey were dropped silently before.\n",
    "model!: train resnet50 at 320 px\n\nBREAKING CHANGE: checkpoints of 224 px no longer load.",
    "data(ingest): add the March labelling batch\n# Please enter the commit message for your changes.\n",
    'Revert "feat(api): return the model version"',
    "Merge branch 'release/1.4'",
    "fixup! fix: report PNGs with a palette",
]
BAD = {
    "added stuff": "is not '<type>(<scope>): <what it does>'",
    "feature: add a thing": "unknown type 'feature'",
    "fix: repair the loader.": "ends with a period",
    "docs: " + "x" * 80: "keep it to 72",
    "fix: one\nno blank line": "the second line must be blank",
    "fix: long body\n\n" + "y" * 120: "wrap the body at 100",
    "# only a comment\n": "the message is empty",
}


@pytest.mark.parametrize("message", GOOD)
def test_messages_in_the_documented_form_pass(message):
    assert problems(message) == []


@pytest.mark.parametrize("message, reason", BAD.items())
def test_messages_that_break_a_rule_are_refused_with_the_rule(message, reason):
    assert any(reason in problem for problem in problems(message)), problems(message)


def test_every_type_the_checker_knows_is_documented(project_root):
    from {{ cookiecutter.package_name }}.gitflow.commit_message import TYPES

    documented = (project_root / ".gitflow" / "COMMITS.md").read_text()
    template = (project_root / ".gitflow" / "commit-template.txt").read_text()
    for kind in TYPES:
        assert f"| `{kind}` |" in documented and kind in template


def git(repo: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def repo(project_root, tmp_path, package_env):
    """A new repository holding the project's Makefile, pyproject.toml and .gitflow/, a module and a test."""
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    (repo / "tests").mkdir()
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(project_root / name, repo / name)
    shutil.copytree(project_root / ".gitflow", repo / ".gitflow")
    (repo / "src" / "shapes.py").write_text(
        'def sides(name: str) -> int:\n    return {"triangle": 3, "square": 4}[name]\n'
    )
    (repo / "tests" / "test_shapes.py").write_text(
        'from shapes import sides\n\n\ndef test_a_square_has_four_sides():\n    assert sides("square") == 4\n'
    )
    venv_bin = str(Path(sys.executable).parent)
    env = {
        **package_env,
        "PATH": os.pathsep.join([venv_bin, os.environ.get("PATH", "")]),
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-cache"),
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
        "GIT_CONFIG_GLOBAL": str(tmp_path / "gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    assert git(repo, env, "init", "--quiet", "--initial-branch=main").returncode == 0
    make = subprocess.run(
        ["make", "gitflow-install", f"VENV={sys.prefix}"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert make.returncode == 0, make.stdout + make.stderr
    return repo, env


def test_the_make_target_installs_the_templates_and_all_three_hooks(repo):
    folder, env = repo
    assert (folder / ".github" / "PULL_REQUEST_TEMPLATE.md").is_file()
    assert sorted(p.name for p in (folder / ".github" / "ISSUE_TEMPLATE").iterdir()) == [
        "bug_report.md",
        "config.yml",
        "feature_request.md",
    ]
    for hook in ("pre-commit", "commit-msg", "pre-push"):
        assert "pre-commit" in (folder / ".git" / "hooks" / hook).read_text(), hook
    assert git(folder, env, "config", "commit.template").stdout.strip() == ".gitflow/commit-template.txt"


def test_hooks_refuse_a_bad_message_and_a_lint_error_and_a_failing_test_and_pass_good_work(repo, tmp_path):
    folder, env = repo
    git(folder, env, "add", "--all")
    bad_message = git(folder, env, "commit", "-m", "added stuff")
    assert bad_message.returncode != 0 and "commit message refused" in bad_message.stderr + bad_message.stdout
    assert git(folder, env, "rev-parse", "--verify", "HEAD").returncode != 0  # nothing was committed

    good = git(folder, env, "commit", "-m", "feat(shapes): count the sides of a shape")
    assert good.returncode == 0, good.stdout + good.stderr

    (folder / "src" / "shapes.py").write_text("import os\n" + (folder / "src" / "shapes.py").read_text())
    git(folder, env, "add", "src/shapes.py")
    lint = git(folder, env, "commit", "-m", "refactor(shapes): tidy up")
    assert lint.returncode != 0 and "F401" in lint.stdout + lint.stderr  # `os` imported but unused

    (folder / "src" / "shapes.py").write_text(
        'def sides(name: str) -> int:\n    return {"triangle": 3, "square": 5}[name]\n'
    )
    git(folder, env, "add", "src/shapes.py")
    assert git(folder, env, "commit", "-m", "fix(shapes): count the corners").returncode == 0  # lint-clean

    remote = tmp_path / "remote.git"
    assert git(tmp_path, env, "init", "--quiet", "--bare", str(remote)).returncode == 0
    git(folder, env, "remote", "add", "origin", str(remote))
    push = git(folder, env, "push", "origin", "main")
    assert push.returncode != 0 and "test_a_square_has_four_sides" in push.stdout + push.stderr

    (folder / "src" / "shapes.py").write_text(
        'def sides(name: str) -> int:\n    return {"triangle": 3, "square": 4}[name]\n'
    )
    git(folder, env, "add", "src/shapes.py")
    assert git(folder, env, "commit", "-m", "fix(shapes): a square has four sides").returncode == 0
    push = git(folder, env, "push", "origin", "main")
    assert push.returncode == 0, push.stdout + push.stderr
