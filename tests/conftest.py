"""Shared helpers for the template tests: the hook modules, the tier table and baking."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

TEMPLATE_ROOT = Path(__file__).resolve().parents[1]
PROJECT_TEMPLATE = TEMPLATE_ROOT / "{{cookiecutter.project_slug}}"
DEFAULTS = json.loads((TEMPLATE_ROOT / "cookiecutter.json").read_text())


def load_hook(name: str):
    """Import a hook file as a module; its only Jinja sits in a string literal inside main()."""
    spec = importlib.util.spec_from_file_location(name, TEMPLATE_ROOT / "hooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PRE_GEN = load_hook("pre_gen_project")
POST_GEN = load_hook("post_gen_project")
# The tier table (`_tiers` in cookiecutter.json): the one list of tiers, lowest first.
TIER_TABLE = DEFAULTS["_tiers"]
TIERS = [entry["tier"] for entry in TIER_TABLE]
# Tests parametrized by tier run in pytest-xdist groups (`make test` runs two workers): the lowest
# tier with the highest, the second with the second highest..., so that each pair's generated
# suites (the core's at the lowest tier, the largest tier folders at the top) take about as long.
# A worker makes the upgraded project of each tier it runs once (release.Upgrades).
BY_TIER = [
    pytest.param(tier, id=tier, marks=pytest.mark.xdist_group(f"tiers-{min(i, len(TIERS) - 1 - i)}"))
    for i, tier in enumerate(TIERS)
]

# Answers for bakes in tests: no venv, no git, no install (those are tested on their own).
QUIET = {"create_venv": False, "init_git": False, "install_dependencies": False}


def tier_paths(tier: str, package_name: str = "{{cookiecutter.package_name}}") -> list[str]:
    """The paths one tier adds (as in the template, by default)."""
    return POST_GEN.tier_paths(TIER_TABLE[TIERS.index(tier)], package_name)


def tier_paths_kept(tier: str, package_name: str = "{{cookiecutter.package_name}}") -> list[str]:
    """Paths of the chosen tier and every tier below it."""
    return [path for name in TIERS[: TIERS.index(tier) + 1] for path in tier_paths(name, package_name)]


def run(command: list[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def tool(name: str) -> str:
    """A console script of the test venv (next to the running interpreter)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        pytest.fail(f"{name} is not installed next to {sys.executable}: run `make venv`")
    return str(path)


@pytest.fixture
def bake(cookies, monkeypatch):
    """Bake with side effects off; fail the test with cookiecutter's error if the bake fails."""
    monkeypatch.setenv("MLOPS_TEMPLATE_SKIP_SIDE_EFFECTS", "1")

    def _bake(**answers):
        result = cookies.bake(extra_context={**QUIET, **answers})
        assert result.exit_code == 0, f"bake failed: {result.exception!r}"
        return result.project_path

    return _bake


@pytest.fixture(scope="session")
def upgrades(tmp_path_factory):
    """Every tier made at the previous release, edited by its user and updated to this tree (release.py).

    None when the clone has no history to find the release in (a shallow clone); a full clone
    without the release fails instead.
    """
    import release

    found = release.prepare_upgrades(tmp_path_factory.mktemp("upgrades"))
    if found is None and not release.is_shallow():
        pytest.fail(f"no commit names release {release.previous_release()} in this clone's history")
    return found
