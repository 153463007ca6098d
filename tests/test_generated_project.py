"""The baked project's own test suite, run in this environment (PyTorch installed once)."""

import sys
import tomllib
from importlib.metadata import PackageNotFoundError, version

import pytest
from conftest import TIERS, run
from packaging.requirements import Requirement


def test_this_environment_has_every_dependency_the_generated_project_declares(bake):
    project = bake()
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


# The lowest and the highest tier run every generated test; the tiers between run all but the
# slow ones (multi-epoch training, torchrun, notebook), which do not depend on the tier.
FULL_SUITE = {TIERS[0], TIERS[-1]}


@pytest.mark.slow
@pytest.mark.parametrize("tier", TIERS)
def test_generated_test_suite_passes_for_each_tier(bake, tier):
    project = bake(tier=tier)
    select = [] if tier in FULL_SUITE else ["-m", "not slow"]
    result = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *select], project, timeout=1800)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert " passed" in result.stdout.splitlines()[-1]
