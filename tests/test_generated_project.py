"""The baked project's own test suite, run in this environment (PyTorch installed once)."""

import sys
import tomllib
from importlib.metadata import PackageNotFoundError, version

import pytest
from conftest import BY_TIER, TIER_TABLE, TIERS, run
from packaging.requirements import Requirement


def test_this_environment_has_every_dependency_the_generated_project_declares(bake):
    project = bake(tier=TIERS[-1])
    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    declared = metadata["dependencies"] + [r for extra in metadata["optional-dependencies"].values() for r in extra]
    problems = []
    for requirement in map(Requirement, declared):
        if requirement.name == metadata["name"]:
            continue
        try:
            installed = version(requirement.name)
        except PackageNotFoundError:
            problems.append(f"{requirement} is not installed")
            continue
        if not requirement.specifier.contains(installed, prereleases=True):
            problems.append(f"{requirement} but {installed} is installed")
    assert problems == [], "update requirements-dev.txt: " + "; ".join(problems)


def added_tests(tier: str) -> list[str]:
    """Each generated test runs once, at the tier that adds it: the core's whole suite at the lowest
    tier; at every other tier the test folders it adds, and the seam's checks of the import graph."""
    if tier == TIERS[0]:
        return ["tests"]
    return ["tests/test_seam.py", *(f"tests/{name}" for name in TIER_TABLE[TIERS.index(tier)]["tests"])]


@pytest.mark.slow
@pytest.mark.parametrize("tier", BY_TIER)
def test_generated_test_suite_passes_for_each_tier(bake, upgrades, tier):
    """In the project upgraded from the previous release when there is one (it must equal a fresh
    bake but for its user's edits, see test_upgrade.py), else in a fresh bake."""
    project = upgrades[tier].project if upgrades else bake(tier=tier)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *added_tests(tier)]
    result = run(command, project, timeout=1800)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert " passed" in result.stdout.splitlines()[-1]
