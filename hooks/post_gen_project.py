"""Shape the freshly rendered project: prune tiers, write .gitignore, then optional side effects.

Cookiecutter renders this file with Jinja before running it; the only template expression is the
string literal in `main()`, so tests import this module raw and call its functions directly.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

GITIGNORE = """\
# Python
__pycache__/
*.py[cod]
*.egg-info/
.eggs/
build/
dist/
.pytest_cache/
.ruff_cache/
.mypy_cache/
.hypothesis/
.coverage
htmlcov/

# Environments and secrets
.venv/
venv/
.env
.env.*
!.env.example

# Notebooks
.ipynb_checkpoints/

# Data and ML artefacts (the folders keep their README, and data/ its DVC pointer files). `?*`, not
# `*`: DVC's git library reads `/data/*` as ignoring data/ itself and would not find data/*.dvc.
/data/?*
!/data/README.md
!/data/*.dvc
/models/*
!/models/README.md
reports/
runs/
*.pt
*.pth
*.onnx
mlruns/
mlruns.db
mlartifacts/
.dvc/cache/
.dvc/tmp/
dvc_plots/
backups/

# Node packages (frontend/) and Terraform's working files (infrastructure/terraform/)
node_modules/
.terraform/
*.tfstate
*.tfstate.*
*.tfplan
"""


def tier_paths(entry: dict, package_name: str) -> list[str]:
    """The paths one tier adds: its seed folders, its subpackages, its test folders and any other
    path it names (a workflow file, a folder inside another tier's folder)."""
    return [
        *entry["folders"],
        *(f"src/{package_name}/{name}" for name in entry["packages"]),
        *(f"tests/{name}" for name in entry["tests"]),
        *(path.format(package_name=package_name) for path in entry["paths"]),
    ]


def paths_to_remove(tiers: list[dict], tier: str, package_name: str) -> list[str]:
    """Every path that belongs to a tier above the chosen one.

    `tiers` is the tier table (`_tiers` in cookiecutter.json): a list, lowest tier first, because
    the JSON that cookiecutter hands this hook sorts the keys of a mapping. A tier keeps its own
    paths and those of every tier before it.
    """
    names = [entry["tier"] for entry in tiers]
    if tier not in names:
        raise ValueError(f"tier={tier!r} must be one of {', '.join(names)}")
    return [path for entry in tiers[names.index(tier) + 1 :] for path in tier_paths(entry, package_name)]


def prune(root: Path, tiers: list[dict], tier: str, package_name: str) -> None:
    for relative in paths_to_remove(tiers, tier, package_name):
        target = root / relative
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


def choose_license(root: Path, license_id: str) -> None:
    """Keep the chosen text as LICENSE; the others go with the `_licenses` folder."""
    licenses = root / "_licenses"
    (licenses / f"{license_id}.txt").replace(root / "LICENSE")
    shutil.rmtree(licenses)


def side_effects_allowed(answers: dict, environ: dict) -> bool:
    """False inside cruft's temporary regenerations (`_commit` is set) and when asked by env."""
    return "_commit" not in answers and environ.get("MLOPS_TEMPLATE_SKIP_SIDE_EFFECTS") != "1"


def _run(command: list[str], root: Path, what: str) -> bool:
    try:
        subprocess.run(command, cwd=root, check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", "") or str(error)
        print(f"WARNING: {what} failed, the project is kept: {detail.strip()}", file=sys.stderr)
        return False
    return True


def create_venv(root: Path, python_version: str, install: bool) -> None:
    uv = shutil.which("uv")
    if uv:
        env_ok = _run([uv, "venv", "--quiet", "--python", python_version, ".venv"], root, "uv venv")
        if not env_ok:
            env_ok = _run([uv, "venv", "--quiet", "--python", sys.executable, ".venv"], root, "uv venv")
    else:
        env_ok = _run([sys.executable, "-m", "venv", ".venv"], root, "python -m venv")
    if not (env_ok and install):
        return
    python = str(root / ".venv" / "bin" / "python")
    if uv:
        _run([uv, "pip", "install", "--python", python, "-e", ".[dev]"], root, "dependency install")
    else:
        _run([python, "-m", "pip", "install", "-e", ".[dev]"], root, "dependency install")


def init_git(root: Path, author_name: str, author_email: str) -> None:
    identity = ["-c", f"user.name={author_name}", "-c", f"user.email={author_email}"]
    if _run(["git", "init", "--quiet", "--initial-branch=main"], root, "git init"):
        _run(["git", "add", "--all"], root, "git add")
        _run(["git", *identity, "commit", "--quiet", "-m", "Initial commit from mlops-template"], root, "git commit")


def next_steps(answers: dict) -> str:
    slug = answers["project_slug"]
    venv_line = "" if answers["create_venv"] else "    python3 -m venv .venv\n"
    install_line = "" if answers["install_dependencies"] else "    make install\n"
    return (
        f"\nCreated {slug} ({answers['tier']} tier). Next steps:\n"
        f"    cd {slug}\n{venv_line}{install_line}"
        "    make demo      # synthetic data -> train -> evaluate -> predict -> API request\n"
        "    make test\n"
    )


def main() -> None:
    answers = json.loads(r"""{{ cookiecutter | tojson }}""")
    root = Path.cwd()
    prune(root, answers["_tiers"], answers["tier"], answers["package_name"])
    choose_license(root, answers["license"])
    (root / ".gitignore").write_text(GITIGNORE)
    if side_effects_allowed(answers, dict(os.environ)):
        if answers["create_venv"]:
            create_venv(root, answers["python_version"], answers["install_dependencies"])
        if answers["init_git"]:
            init_git(root, answers["author_name"], answers["author_email"])
        print(next_steps(answers))


if __name__ == "__main__":
    main()
