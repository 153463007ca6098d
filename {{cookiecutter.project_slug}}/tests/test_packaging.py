"""The Docker images and the CI workflow, checked without a Docker engine or GitHub.

The Dockerfiles are linted by hadolint and read by a small parser (enough for the instructions
they use); the workflow is validated against GitHub's published schema.
"""

import importlib
import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.settings import ServeSettings

PROJECT = Path(__file__).resolve().parents[1]
PACKAGE = "{{ cookiecutter.package_name }}"
DOCKERFILES = {flavour: PROJECT / "docker" / f"Dockerfile.{flavour}" for flavour in ("cpu", "cuda")}
WORKFLOW = PROJECT / ".github" / "workflows" / "ci.yml"


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments and blanks dropped."""
    joined, pending = [], ""
    for line in dockerfile.read_text().splitlines():
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if text.endswith("\\"):
            pending += text[:-1] + " "
            continue
        joined.append(pending + text)
        pending = ""
    return [(keyword.upper(), rest.strip()) for keyword, _, rest in (line.partition(" ") for line in joined)]


def stages(dockerfile: Path) -> list[list[tuple[str, str]]]:
    """The instructions of each build stage, each list starting with its FROM."""
    result = []
    for keyword, args in instructions(dockerfile):
        if keyword == "FROM":
            result.append([])
        result[-1].append((keyword, args))
    return result


def runtime(dockerfile: Path) -> list[tuple[str, str]]:
    return stages(dockerfile)[-1]


def last(stage: list[tuple[str, str]], keyword: str) -> str:
    return [args for kw, args in stage if kw == keyword][-1]


def healthcheck_command(dockerfile: Path) -> list[str]:
    return json.loads(last(runtime(dockerfile), "HEALTHCHECK").split(" CMD ", 1)[1])


def required_python() -> str:
    return re.search(r'requires-python = ">=([\d.]+)"', (PROJECT / "pyproject.toml").read_text()).group(1)


def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


# --- .dockerignore, with Docker's rules -------------------------------------------------------


def _pattern_regex(pattern: str) -> re.Pattern:
    regex, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            regex, i = regex + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            regex, i = regex + ".*", i + 2
        elif pattern[i] == "*":
            regex, i = regex + "[^/]*", i + 1
        elif pattern[i] == "?":
            regex, i = regex + "[^/]", i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            regex, i = regex + pattern[i : end + 1], end + 1
        else:
            regex, i = regex + re.escape(pattern[i]), i + 1
    return re.compile(regex)


def ignored_by_docker(path: str) -> bool:
    """Docker's reading of .dockerignore: patterns anchored at the context root, the last match
    wins, `!` takes a path back, and leaving out a folder leaves out everything in it."""
    lines = (PROJECT / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    ignored = False
    for pattern in patterns:
        keep = pattern.startswith("!")
        regex = _pattern_regex(pattern.lstrip("!").strip("/"))
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            ignored = not keep
    return ignored


# --- Dockerfiles ------------------------------------------------------------------------------


@pytest.mark.parametrize("flavour", DOCKERFILES)
def test_dockerfile_passes_hadolint(flavour, dev_tool):
    result = subprocess.run(
        [dev_tool("hadolint"), "--no-color", str(DOCKERFILES[flavour])], capture_output=True, text=True, cwd=PROJECT
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("flavour", DOCKERFILES)
def test_image_is_built_in_one_stage_and_run_from_another_that_copies_only_the_environment(flavour):
    all_stages = stages(DOCKERFILES[flavour])
    assert len(all_stages) >= 2
    for stage in all_stages:
        image = stage[0][1].split()[0]
        assert ":" in image and not image.endswith(":latest"), f"{image}: pin the base image by tag"
    copies = [args for keyword, args in runtime(DOCKERFILES[flavour]) if keyword == "COPY"]
    assert copies and all(args.startswith("--from=") for args in copies), (
        "the runtime stage copies from build stages only"
    )
    assert "--from=builder /opt/venv /opt/venv" in copies


@pytest.mark.parametrize("flavour", DOCKERFILES)
def test_image_installs_the_extras_its_build_argument_names_and_pyproject_declares(flavour):
    builder = next(stage for stage in stages(DOCKERFILES[flavour]) if stage[0][1].endswith(" AS builder"))
    arguments = dict(args.partition("=")[::2] for keyword, args in builder if keyword == "ARG")
    section = (PROJECT / "pyproject.toml").read_text().split("[project.optional-dependencies]")[1].split("\n[")[0]
    declared = re.findall(r"^([a-z_]+) = \[", section, re.MULTILINE)  # tomllib is Python 3.11+
    named = [extra for extra in arguments["EXTRAS"].split(",") if extra]
    assert set(named) <= set(declared) - {"dev"}, named
    installs = [args for keyword, args in builder if keyword == "RUN" and "pip install" in args]
    assert any('"./${EXTRAS:+[$EXTRAS]}"' in args for args in installs)


@pytest.mark.parametrize("flavour", DOCKERFILES)
def test_image_runs_as_a_non_root_user(flavour):
    user = last(runtime(DOCKERFILES[flavour]), "USER")
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0, f"USER {user} must be a numeric, non-zero uid"
    runs = [args for keyword, args in runtime(DOCKERFILES[flavour]) if keyword == "RUN"]
    assert any(f"--uid {uid} " in args for args in runs), f"uid {uid} should have a passwd entry (useradd)"


@pytest.mark.parametrize("flavour", DOCKERFILES)
def test_image_serves_this_package_app_factory_on_port_8000(flavour):
    stage = runtime(DOCKERFILES[flavour])
    command = json.loads(last(stage, "CMD"))
    assert command[:2] == ["uvicorn", "--factory"]
    assert command[command.index("--port") + 1] == "8000" and last(stage, "EXPOSE") == "8000"
    module, _, factory = command[2].partition(":")
    assert module.startswith(f"{PACKAGE}.")
    assert callable(getattr(importlib.import_module(module), factory))
    # The factory serves ServeSettings' default checkpoint, relative to /app, where models/ is mounted.
    assert "MODEL_PATH" not in last(stage, "ENV") and last(stage, "WORKDIR") == "/app"
    assert ServeSettings().checkpoint.startswith("models/")


def test_health_check_of_both_images_passes_against_a_live_api_and_fails_without_one(live_server):
    command = healthcheck_command(DOCKERFILES["cpu"])
    assert command == healthcheck_command(DOCKERFILES["cuda"])
    assert command[0] == "python" and "/health" in command[-1]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    for base_url, expected in ((live_server, 0), (closed, 1)):
        code = command[-1].replace("http://127.0.0.1:8000", base_url)
        result = subprocess.run([sys.executable, *command[1:-1], code], capture_output=True, timeout=30)
        assert result.returncode == expected, (base_url, result.stderr)


def test_cpu_image_takes_pytorch_from_the_cpu_wheel_index():
    builder = stages(DOCKERFILES["cpu"])[0]
    assert "TORCH_INDEX=https://download.pytorch.org/whl/cpu" in [args for kw, args in builder if kw == "ARG"]
    assert any('--extra-index-url "$TORCH_INDEX"' in args for kw, args in builder if kw == "RUN")


def test_images_and_ci_use_the_python_version_the_project_requires():
    version = required_python()
    assert all(re.match(rf"python:{re.escape(version)}\.\d+-", stage[0][1]) for stage in stages(DOCKERFILES["cpu"]))
    cuda_args = [args for keyword, args in stages(DOCKERFILES["cuda"])[1] if keyword == "ARG"]
    assert f"PYTHON_VERSION={version}" in cuda_args
    assert workflow()["env"]["PYTHON_VERSION"] == version


@pytest.mark.parametrize("flavour", DOCKERFILES)
def test_every_file_the_images_copy_exists_and_reaches_the_build_context(flavour):
    for keyword, args in instructions(DOCKERFILES[flavour]):
        if keyword != "COPY" or args.startswith("--from="):
            continue
        *sources, _ = args.split()
        for source in sources:
            assert (PROJECT / source).exists(), f"COPY {source}: not in the project"
            assert not ignored_by_docker(source), f"COPY {source}: left out by .dockerignore"


@pytest.mark.parametrize(
    "path",
    [
        f"src/{PACKAGE}/models/classifier.py",
        f"src/{PACKAGE}/data/image.py",
        "pyproject.toml",
    ],
)
def test_build_context_keeps_the_code_even_in_folders_named_like_ignored_ones(path):
    assert not ignored_by_docker(path)


@pytest.mark.parametrize(
    "path",
    [
        ".git/HEAD",
        ".venv/bin/python",
        ".env",
        "environments/staging/.env",
        "environments/local/.env.local",
        "data/demo/train/circle/0000.jpg",
        "models/run/best.pt",
        "runs/demo/model/last.pt",
        f"src/{PACKAGE}/__pycache__/cli.cpython-311.pyc",
        "notebooks/.ipynb_checkpoints/explore-checkpoint.ipynb",
        ".pytest_cache/v/cache/lastfailed",
    ],
)
def test_build_context_leaves_out_environments_secrets_data_models_and_caches(path):
    assert ignored_by_docker(path)


# --- CI workflow ------------------------------------------------------------------------------


def test_ci_workflow_is_valid_per_the_github_workflow_schema(assert_valid_per_schema):
    assert_valid_per_schema("vendor.github-workflows", WORKFLOW)


def test_ci_workflow_keeps_github_expressions_through_template_rendering():
    # Spelled in pieces, or the template engine would read them as its own syntax in this file.
    github_expression, template_tag = "$" + "{" * 2 + " env.PYTHON_VERSION }}", "{" + "%"
    text = WORKFLOW.read_text()
    assert github_expression in text
    assert template_tag not in text and "cookiecutter." not in text


def test_ci_lints_tests_and_builds_the_cpu_image_without_pushing_it():
    jobs = workflow()["jobs"]
    assert {"lint", "test", "cruft-check", "docker"} <= set(jobs)
    lint = " ".join(step.get("run", "") for step in jobs["lint"]["steps"])
    assert "ruff check" in lint and "ruff format --check" in lint
    test = [step.get("run", "") for step in jobs["test"]["steps"]]
    assert any('--extra-index-url "$TORCH_INDEX"' in run and '-e ".[dev]"' in run for run in test)
    assert any("pytest" in run for run in test)
    assert workflow()["env"]["TORCH_INDEX"] == "https://download.pytorch.org/whl/cpu"
    [build] = [step for step in jobs["docker"]["steps"] if "docker/build-push-action" in step.get("uses", "")]
    assert build["with"]["file"] == "docker/Dockerfile.cpu" and build["with"]["push"] is False


def test_ci_checks_the_project_against_its_template_only_when_cruft_made_it():
    steps = workflow()["jobs"]["cruft-check"]["steps"]
    after_checkout = [step for step in steps if "actions/checkout" not in step.get("uses", "")]
    assert after_checkout and all(step.get("if") == "hashFiles('.cruft.json') != ''" for step in after_checkout)
    assert any("cruft check" in step.get("run", "") for step in after_checkout)
