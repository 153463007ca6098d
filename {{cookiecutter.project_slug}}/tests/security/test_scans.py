"""The scans CI runs, run here the same way: bandit, the offline secrets scan, the CycloneDX SBOM,
and the base-image pins; and the workflow that runs them."""

import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

DIGEST = "sha256:" + "ab" * 32  # pragma: allowlist secret


@pytest.fixture(scope="module")
def security(project_root):
    return project_root / "security"


def run(command, **kwargs):
    return subprocess.run(command, capture_output=True, text=True, timeout=300, **kwargs)


def test_bandit_finds_nothing_at_the_threshold_ci_uses(project_root, security, dev_tool):
    result = run([dev_tool("bandit"), "-q", "-c", str(security / "bandit.yaml"), "--severity-level", "medium",
                  "--confidence-level", "high", "-r", str(project_root / "src")])  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]


@pytest.fixture
def tree(project_root, tmp_path):
    """A copy of the project's files the scan reads (no git, so it walks the tree)."""
    copy = tmp_path / "project"
    skipped = (".venv", "data", "models", "runs", "reports", "node_modules", "__pycache__", ".git", ".*_cache")
    shutil.copytree(project_root, copy, ignore=shutil.ignore_patterns(*skipped))
    return copy


def scan(tree, dev_tool):
    env = {**os.environ, "PYTHON": sys.executable, "DETECT_SECRETS": dev_tool("detect-secrets")}
    return run(["bash", str(tree / "security" / "scan_secrets.sh")], env=env)


def test_the_secrets_scan_passes_on_the_project_and_fails_on_a_planted_key(tree, dev_tool):
    clean = scan(tree, dev_tool)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    planted = 'AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEYa1b2"\n'  # pragma: allowlist secret
    (tree / "src" / "leak.py").write_text(planted)
    leaked = scan(tree, dev_tool)
    assert leaked.returncode == 1 and "src/leak.py" in leaked.stdout


def test_the_sbom_is_cyclonedx_json_listing_the_installed_packages(project_root, dev_tool, tmp_path):
    out = tmp_path / "sbom.cdx.json"
    result = run([dev_tool("cyclonedx-py"), "environment", "--pyproject", str(project_root / "pyproject.toml"),
                  "--of", "JSON", "-o", str(out), sys.executable])  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    sbom = json.loads(out.read_text())
    assert sbom["bomFormat"] == "CycloneDX"
    names = {component["name"].lower() for component in sbom["components"]}
    assert {"torch", "fastapi", "onnxruntime", "limits"} <= names


def test_base_images_are_pinned_to_exact_version_tags(project_root):
    for dockerfile in (project_root / "docker").glob("Dockerfile.*"):
        stages = set()
        for line in dockerfile.read_text().splitlines():
            if not line.startswith("FROM "):
                continue
            words = line.split()
            image = words[1]
            if image not in stages:
                tag = image.split("@")[0].rpartition(":")[2]
                assert tag and tag != "latest" and any(ch.isdigit() for ch in tag), f"{dockerfile.name}: {image}"
                assert tag.count(".") >= 2 or "-" in tag and tag.split("-")[0].count(".") >= 2, f"exact: {image}"
            if "AS" in words:
                stages.add(words[words.index("AS") + 1])


def test_the_pin_script_adds_digests_keeps_tags_and_stage_names_and_can_run_again(security, tmp_path, dev_tool):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM ghcr.io/astral-sh/uv:0.13.9 AS uv\nFROM python:3.11.13-slim-bookworm AS builder\n"
                          "COPY --from=uv /uv /usr/local/bin/uv\nFROM builder AS runtime\n")  # fmt: skip
    resolver = tmp_path / "digest-of"
    resolver.write_text(f"#!/bin/sh\necho {DIGEST}\n")
    resolver.chmod(0o755)
    env = {**os.environ, "DIGEST_OF": str(resolver)}
    for _ in range(2):
        result = run(["bash", str(security / "pin_base_images.sh"), str(dockerfile)], env=env)
        assert result.returncode == 0, result.stderr
    assert dockerfile.read_text().splitlines() == [
        f"FROM ghcr.io/astral-sh/uv:0.13.9@{DIGEST} AS uv",
        f"FROM python:3.11.13-slim-bookworm@{DIGEST} AS builder",
        "COPY --from=uv /uv /usr/local/bin/uv",
        "FROM builder AS runtime",
    ]
    check = run([dev_tool("shellcheck"), "--severity=style", *map(str, security.glob("*.sh"))])
    assert check.returncode == 0, check.stdout


def test_make_offers_the_security_targets(project_root):
    if shutil.which("make") is None:
        pytest.fail("make is not installed")
    result = run(["make", "-n", "pin-base-images", "security-scan", "sbom"], cwd=project_root)
    assert result.returncode == 0, result.stderr
    assert "pin_base_images.sh" in result.stdout and "bandit" in result.stdout and "cyclonedx-py" in result.stdout


def test_the_workflow_runs_every_scan_and_keeps_the_sbom(project_root, assert_valid_per_schema):
    path = project_root / ".github" / "workflows" / "security.yml"
    assert_valid_per_schema("vendor.github-workflows", path)
    steps = [step for job in yaml.safe_load(path.read_text())["jobs"].values() for step in job["steps"]]
    commands = " ".join(step.get("run", "") for step in steps)
    for tool in ("bandit", "scan_secrets.sh", "cyclonedx-py", "pip-audit", "pin_base_images.sh"):
        assert tool in commands, tool
    assert any(step.get("uses", "").startswith("actions/upload-artifact") for step in steps)
