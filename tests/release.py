"""Projects made at the previous release and upgraded with cruft to this working tree, as users do.

Each tier is baked at the last released template (its tag, else the newest commit whose
cookiecutter.json names that version), committed, edited the way a user would (a README line, a
config value, a function in a module the template changed, a dependency, a new file, files under
data/ and models/), committed again, and updated with `cruft update` to the working tree.
"""

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from conftest import TEMPLATE_ROOT, run, tool

IGNORED = shutil.ignore_patterns(".git", ".venv", "build", "__pycache__", ".pytest_cache", ".ruff_cache")
USER = ["-c", "user.name=User", "-c", "user.email=user@example.com"]
PACKAGE = "vision_classifier"

# The user's edits: (file, text the edit inserts or replaces, text after the edit).
README_LINE = "Maintained by the vision team; ask in #vision before changing the classes."
CONFIG_BEFORE, CONFIG_AFTER = "  weight_decay: 0.0001\n", "  weight_decay: 0.0005\n"
FUNCTION = '''

def to_grayscale(image: np.ndarray) -> np.ndarray:
    """The user's own helper: a single-channel copy of an RGB image."""
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
'''
DEPENDENCY_ANCHOR, DEPENDENCY = '    "httpx>=0.27",\n', '    "rich>=13",\n'
OWN_FILE, OWN_TEXT = "notes/roadmap.md", "# Our roadmap\n\n- label the night-shift images\n"
DATA_FILE, MODEL_FILE = "data/mine/train/cat/0001.jpg", "models/mine/best.pt"


def git(cwd: Path, *args: str) -> str:
    result = run(["git", *args], cwd)
    assert result.returncode == 0, f"git {' '.join(args)}: {result.stderr}"
    return result.stdout.strip()


def commit_all(cwd: Path, message: str) -> str:
    git(cwd, "add", "--all")
    git(cwd, *USER, "commit", "--quiet", "--allow-empty", "-m", message)
    return git(cwd, "rev-parse", "HEAD")


def previous_release() -> str:
    """The release before the one this tree prepares: the second version heading of the CHANGELOG."""
    changelog = (TEMPLATE_ROOT / "CHANGELOG.md").read_text()
    releases = re.findall(r"^## (\d+\.\d+\.\d+) - ", changelog, re.MULTILINE)
    return releases[1]


def release_commit(version: str) -> str | None:
    """Its tag's commit, else the newest commit whose cookiecutter.json names that version."""
    tagged = run(["git", "rev-list", "-n", "1", f"v{version}"], TEMPLATE_ROOT)
    if tagged.returncode == 0:
        return tagged.stdout.strip()
    history = run(["git", "log", "--format=%H"], TEMPLATE_ROOT)
    for commit in history.stdout.split():
        shown = run(["git", "show", f"{commit}:cookiecutter.json"], TEMPLATE_ROOT)
        if shown.returncode == 0 and json.loads(shown.stdout).get("_template_version") == version:
            return commit
    return None


def is_shallow() -> bool:
    return run(["git", "rev-parse", "--is-shallow-repository"], TEMPLATE_ROOT).stdout.strip() == "true"


def template_history(root: Path, old_commit: str) -> tuple[Path, str, str]:
    """A git repo of the template with two commits: the release, then this working tree."""
    repo = root / "mlops-template"
    repo.mkdir()
    archive = subprocess.run(["git", "archive", old_commit], cwd=TEMPLATE_ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(repo)], input=archive.stdout, check=True)
    git(repo, "init", "--quiet", "--initial-branch=main")
    old = commit_all(repo, "the previous release")
    for path in list(repo.iterdir()):
        if path.name != ".git":
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    shutil.copytree(TEMPLATE_ROOT, repo, ignore=IGNORED, dirs_exist_ok=True)
    new = commit_all(repo, "this working tree")
    return repo, old, new


def cruft(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return run([tool("cruft"), *args], cwd, timeout=300)


def make_user_edits(project: Path) -> None:
    readme = project / "README.md"
    lines = readme.read_text().splitlines(keepends=True)
    description = next(i for i, line in enumerate(lines) if line.strip() and not line.startswith("#"))
    lines.insert(description + 1, f"\n{README_LINE}\n")
    readme.write_text("".join(lines))
    config = project / "configs" / "default.yaml"
    assert CONFIG_BEFORE in config.read_text()
    config.write_text(config.read_text().replace(CONFIG_BEFORE, CONFIG_AFTER))
    transforms = project / "src" / PACKAGE / "data" / "transforms.py"
    transforms.write_text(transforms.read_text() + FUNCTION)
    pyproject = project / "pyproject.toml"
    assert DEPENDENCY_ANCHOR in pyproject.read_text()
    pyproject.write_text(pyproject.read_text().replace(DEPENDENCY_ANCHOR, DEPENDENCY_ANCHOR + DEPENDENCY))
    (project / OWN_FILE).parent.mkdir(parents=True)
    (project / OWN_FILE).write_text(OWN_TEXT)
    for name, size in ((DATA_FILE, 3000), (MODEL_FILE, 5000)):
        (project / name).parent.mkdir(parents=True)
        (project / name).write_bytes(bytes(range(256)) * (size // 256))


@dataclass
class Upgrade:
    tier: str
    project: Path
    template: Path
    update: subprocess.CompletedProcess


class Upgrades:
    """`upgrades[tier]`: that tier baked at the previous release, edited, committed and updated, made
    on first use, so that a test worker (pytest-xdist) makes only the tiers its tests need."""

    def __init__(self, root: Path, template: Path, old: str):
        self.root, self.template, self.old = root, template, old
        self.made: dict[str, Upgrade] = {}

    def __getitem__(self, tier: str) -> Upgrade:
        if tier not in self.made:
            self.made[tier] = self.upgrade(tier)
        return self.made[tier]

    def upgrade(self, tier: str) -> Upgrade:
        out = self.root / tier
        context = json.dumps({"tier": tier, "create_venv": False, "init_git": False})
        options = ["--checkout", self.old, "--no-input", "--output-dir", str(out), "--extra-context", context]
        created = cruft(self.root, "create", str(self.template), *options)
        assert created.returncode == 0, created.stdout + created.stderr
        project = out / "vision-classifier"
        git(project, "init", "--quiet", "--initial-branch=main")
        commit_all(project, "generated at the previous release")
        make_user_edits(project)
        commit_all(project, "our own changes")
        update = cruft(project, "update", "--skip-apply-ask")
        return Upgrade(tier, project, self.template, update)


def prepare_upgrades(root: Path) -> Upgrades | None:
    """The template's history with the previous release, ready to upgrade any tier; None without it."""
    old_commit = release_commit(previous_release())
    if old_commit is None:
        return None
    template, old, _ = template_history(root, old_commit)
    return Upgrades(root, template, old)
