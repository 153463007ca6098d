"""cruft round trips on a local git copy of the template: create, diff, update, tier moves, link.

Commit A is the template as it is. Commit B changes a core file, adds a folder to the intermediate
tier's entry of the tier table (so beginner projects prune it) and adds a new question with a
default. Projects made at A are updated to B the way a user would: from a clean git tree, with
their own edits committed.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import TEMPLATE_ROOT, TIERS, run, tool

IGNORED = shutil.ignore_patterns(".git", ".venv", "build", "__pycache__", ".pytest_cache", ".ruff_cache")
PROBE = "upgrade_probe"  # a folder commit B adds to the intermediate tier


def git(cwd: Path, *args: str) -> str:
    result = run(["git", *args], cwd)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def cruft(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return run([tool("cruft"), *args], cwd, timeout=300)


def commit_all(cwd: Path, message: str) -> str:
    git(cwd, "add", "--all")
    git(cwd, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", message)
    return git(cwd, "rev-parse", "HEAD")


def make_commit_b(template: Path) -> str:
    project = template / "{{cookiecutter.project_slug}}"
    config = project / "configs" / "default.yaml"
    config.write_text(config.read_text().replace("batch_size: 64", "batch_size: 96"))
    (project / PROBE).mkdir()
    (project / PROBE / "README.md").write_text("# Added to the intermediate tier in commit B\n")
    answers = json.loads((template / "cookiecutter.json").read_text())
    [intermediate] = [entry for entry in answers["_tiers"] if entry["tier"] == "intermediate"]
    intermediate["folders"][PROBE] = "a folder added in commit B"
    answers["upgrade_option"] = "default-value"
    answers["__prompts__"]["upgrade_option"] = "A question added in commit B"
    (template / "cookiecutter.json").write_text(json.dumps(answers, indent=2))
    return commit_all(template, "B: core change, new intermediate folder, new option")


def leftovers(project: Path) -> list[str]:
    """Rejected hunks or conflict markers anywhere in the project."""
    found = [p.name for p in project.rglob("*.rej")]
    for path in project.rglob("*"):
        if (
            path.is_file()
            and ".git" not in path.parts
            and re.search(r"^(<{7}|>{7}) ", path.read_text(errors="ignore"), re.M)
        ):
            found.append(path.name)
    return found


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory) -> tuple[Path, str]:
    template = tmp_path_factory.mktemp("template") / "mlops-template"
    shutil.copytree(TEMPLATE_ROOT, template, ignore=IGNORED)
    git(template, "init", "--quiet", "--initial-branch=main")
    return template, commit_all(template, "A")


@pytest.fixture(scope="module")
def projects(template_repo, tmp_path_factory) -> dict[str, Path]:
    """One project per tier, made with `cruft create` at commit A and committed to git."""
    template, _ = template_repo
    made = {}
    for tier in TIERS:
        out = tmp_path_factory.mktemp(f"cruft-{tier}")
        context = json.dumps({"tier": tier, "create_venv": True, "init_git": True})
        result = cruft(out, "create", str(template), "--no-input", "--output-dir", str(out), "--extra-context", context)
        assert result.returncode == 0, result.stdout + result.stderr
        project = out / "vision-classifier"
        # The hook skips side effects under cruft (the context has `_commit`), whatever the answers.
        assert not (project / ".venv").exists() and not (project / ".git").exists()
        git(project, "init", "--quiet", "--initial-branch=main")
        commit_all(project, "generated")
        made[tier] = project
    return made


def test_cruft_create_records_the_answers_and_the_commit(template_repo, projects):
    _, commit_a = template_repo
    for tier, project in projects.items():
        state = json.loads((project / ".cruft.json").read_text())
        assert state["commit"] == commit_a
        assert state["context"]["cookiecutter"]["tier"] == tier
        assert f'tier = "{tier}"' in (project / "pyproject.toml").read_text()


def test_cruft_diff_is_empty_right_after_create(projects):
    for project in projects.values():
        result = cruft(project, "diff", "--exit-code")
        assert result.returncode == 0 and result.stdout.strip() == "", result.stdout + result.stderr


@pytest.fixture(scope="module")
def commit_b(template_repo, projects) -> str:
    """Each user commits an edit to a file the template also changes; then the template moves to B."""
    template, _ = template_repo
    for project in projects.values():
        config = project / "configs" / "default.yaml"
        config.write_text(config.read_text().replace("epochs: 30", "epochs: 50"))
        commit_all(project, "user: train longer")
    return make_commit_b(template)


def test_cruft_update_merges_template_changes_with_user_edits(commit_b, projects):
    for tier, project in projects.items():
        result = cruft(project, "update", "--skip-apply-ask")
        assert result.returncode == 0, result.stdout + result.stderr
        config = (project / "configs" / "default.yaml").read_text()
        assert "batch_size: 96" in config, "the template's change arrived"
        assert "epochs: 50" in config, "the user's committed edit survived the three-way merge"
        assert (project / PROBE).exists() == (TIERS.index(tier) >= TIERS.index("intermediate")), tier
        state = json.loads((project / ".cruft.json").read_text())
        assert state["commit"] == commit_b
        assert state["context"]["cookiecutter"]["upgrade_option"] == "default-value"
        assert leftovers(project) == []
        assert not (project / ".venv").exists(), "no side effects from cruft's temporary regenerations"
        assert git(project, "rev-list", "--count", "HEAD") == "2", "cruft's regenerations made no commit"
        commit_all(project, "update to B")
        assert cruft(project, "check").returncode == 0


def test_moving_a_project_up_a_tier_adds_its_folders_and_down_removes_them(commit_b, projects):
    project = projects["beginner"]
    result = cruft(project, "update", "--skip-apply-ask", "--variables-to-update", '{"tier": "advanced"}')
    assert result.returncode == 0, result.stdout + result.stderr
    assert (project / PROBE / "README.md").exists()
    assert json.loads((project / ".cruft.json").read_text())["context"]["cookiecutter"]["tier"] == "advanced"
    assert 'tier = "advanced"' in (project / "pyproject.toml").read_text()
    commit_all(project, "up to advanced")

    result = cruft(project, "update", "--skip-apply-ask", "--variables-to-update", '{"tier": "beginner"}')
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (project / PROBE).exists()
    assert leftovers(project) == []
    commit_all(project, "back to beginner")
    assert cruft(project, "check").returncode == 0


def test_cruft_link_adopts_a_project_made_with_plain_cookiecutter(template_repo, tmp_path):
    template, _ = template_repo
    commit = git(template, "rev-parse", "HEAD")
    from cookiecutter.main import cookiecutter

    answers = {"tier": "intermediate", "project_name": "Linked Project", "create_venv": False, "init_git": False}
    project = Path(cookiecutter(str(template), no_input=True, output_dir=str(tmp_path), extra_context=answers))
    git(project, "init", "--quiet", "--initial-branch=main")
    commit_all(project, "made with cookiecutter")
    context = json.dumps({k: v for k, v in answers.items() if k not in ("create_venv", "init_git")})
    result = cruft(project, "link", str(template), "--no-input", "--checkout", commit, "--extra-context", context)
    assert result.returncode == 0, result.stdout + result.stderr
    diff = cruft(project, "diff", "--exit-code")
    assert diff.returncode == 0 and diff.stdout.strip() == "", diff.stdout
