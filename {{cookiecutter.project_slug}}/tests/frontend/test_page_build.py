"""The page's own checks, run from here so that one `pytest` covers them: its unit tests (Vitest),
its API types against the committed contract, its production build and size, and its image."""

import gzip
import subprocess
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
FRONTEND = PROJECT / "frontend"
CONTRACT = PROJECT / "api_contracts" / "openapi" / "v1" / "openapi.json"
GENERATED_TYPES = FRONTEND / "shared" / "api-types.ts"
BUNDLE_BUDGET_BYTES = 200 * 1024  # gzip, everything the page loads; generous: the page needs about a third


def gzip_size(path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


def test_the_unit_tests_of_the_page_pass(npm, node_modules):
    result = npm("test", "--", "--reporter=dot")
    print(result.stdout[-600:])


def test_the_api_types_are_generated_from_the_committed_contract(npm, node_modules, tmp_path):
    fresh = tmp_path / "api-types.ts"
    npm("exec", "--", "openapi-typescript", str(CONTRACT), "--output", str(fresh))
    assert GENERATED_TYPES.read_text() == fresh.read_text(), (
        "frontend/shared/api-types.ts is stale against api_contracts/openapi/v1/openapi.json: "
        "run `npm run generate:api` in frontend/ and commit the result"
    )


def test_the_production_build_type_checks_and_stays_within_its_size_budget(built_page):
    loaded = [built_page / "index.html", *sorted((built_page / "assets").glob("*.[jc]s*"))]
    sizes = {path.relative_to(built_page).as_posix(): gzip_size(path) for path in loaded}
    total = sum(sizes.values())
    print(
        f"bundle (gzip -9): {total / 1024:.1f} KiB in all: "
        + ", ".join(f"{k} {v / 1024:.1f} KiB" for k, v in sizes.items())
    )
    assert any(name.endswith(".js") for name in sizes) and any(name.endswith(".css") for name in sizes)
    assert total < BUNDLE_BUDGET_BYTES, (
        f"the page loads {total} bytes gzipped, over its budget of {BUNDLE_BUDGET_BYTES}"
    )


def test_the_page_image_passes_hadolint(dev_tool):
    dockerfile = FRONTEND / "Dockerfile"
    result = subprocess.run([dev_tool("hadolint"), "--no-color", str(dockerfile)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("ignored", ["node_modules", "web/dist"])
def test_installed_packages_and_builds_stay_out_of_the_page_image(ignored):
    patterns = (FRONTEND / "Dockerfile.dockerignore").read_text().splitlines()
    assert f"frontend/{ignored}" in patterns
