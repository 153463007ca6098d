"""Bake the template over its tiers and interacting options; check what comes out, file by file."""

import json
import re
import tomllib
from itertools import cycle
from pathlib import Path

import pytest
import yaml
from conftest import PROJECT_TEMPLATE, TIERS, run, tier_paths, tier_paths_kept, tool
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

# Every file of the core project, whatever the answers (PKG is the package folder).
EXPECTED_CORE = {
    ".dockerignore",
    ".github/workflows/ci.yml",
    ".gitignore",
    "ARCHITECTURE.md",
    "README.md",
    "docker/Dockerfile.cpu",
    "docker/Dockerfile.cuda",
    "LICENSE",
    "Makefile",
    "pyproject.toml",
    "requirements.txt",
    "configs/default.yaml",
    "configs/demo.yaml",
    "data/README.md",
    "models/README.md",
    "notebooks/quickstart.ipynb",
    "src/PKG/__init__.py",
    "src/PKG/__main__.py",
    "src/PKG/bench.py",
    "src/PKG/cli.py",
    "src/PKG/client.py",
    "src/PKG/config.py",
    "src/PKG/errors.py",
    "src/PKG/extensions.py",
    "src/PKG/load_test.py",
    "src/PKG/settings.py",
    "src/PKG/api/__init__.py",
    "src/PKG/api/app.py",
    "src/PKG/api/body_limit.py",
    "src/PKG/api/dependencies.py",
    "src/PKG/api/errors.py",
    "src/PKG/api/routers/__init__.py",
    "src/PKG/api/routers/predict.py",
    "src/PKG/api/routers/probes.py",
    "src/PKG/api/schemas.py",
    "src/PKG/api/serving.py",
    "src/PKG/commands/__init__.py",
    "src/PKG/commands/bench.py",
    "src/PKG/commands/data.py",
    "src/PKG/commands/demo.py",
    "src/PKG/commands/infer.py",
    "src/PKG/commands/serve.py",
    "src/PKG/commands/train.py",
    "src/PKG/data/__init__.py",
    "src/PKG/data/dataset.py",
    "src/PKG/data/image.py",
    "src/PKG/data/loader.py",
    "src/PKG/data/nvjpeg.py",
    "src/PKG/data/preprocessing.py",
    "src/PKG/data/synthetic.py",
    "src/PKG/data/transforms.py",
    "src/PKG/inference/__init__.py",
    "src/PKG/inference/batching.py",
    "src/PKG/inference/evaluate.py",
    "src/PKG/inference/export.py",
    "src/PKG/inference/onnx_runtime.py",
    "src/PKG/inference/predict.py",
    "src/PKG/inference/probabilities.py",
    "src/PKG/models/__init__.py",
    "src/PKG/models/checkpoint.py",
    "src/PKG/models/classifier.py",
    "src/PKG/training/__init__.py",
    "src/PKG/training/distributed.py",
    "src/PKG/training/metrics.py",
    "src/PKG/training/train.py",
    "src/PKG/utils/__init__.py",
    "src/PKG/utils/atomic.py",
    "src/PKG/utils/device.py",
    "src/PKG/utils/seeding.py",
    "tests/conftest.py",
    "tests/test_api.py",
    "tests/test_atomic.py",
    "tests/test_backends.py",
    "tests/test_batching.py",
    "tests/test_bench.py",
    "tests/test_cli.py",
    "tests/test_config.py",
    "tests/test_dataset.py",
    "tests/test_evaluate.py",
    "tests/test_export.py",
    "tests/test_gpu.py",
    "tests/test_image.py",
    "tests/test_load_test.py",
    "tests/test_model.py",
    "tests/test_notebook.py",
    "tests/test_nvjpeg.py",
    "tests/test_packaging.py",
    "tests/test_predict.py",
    "tests/test_reliability.py",
    "tests/test_seam.py",
    "tests/test_train.py",
    "tests/test_transforms.py",
}

# Jinja that survived rendering; GitHub's `${{ ... }}` expressions are meant to stay.
LEFTOVER = re.compile(r"(?<!\$)\{\{|\{%|\{#|cookiecutter\.\w+")

# Each tier once with the other interacting answers cycled, plus awkward text answers.
OTHER_ANSWERS = zip(
    cycle(["MIT", "Apache-2.0", "BSD-3-Clause", "Proprietary"]),
    cycle(["resnet18", "mobilenet_v3_small", "efficientnet_b0", "convnext_tiny"]),
    cycle(["3.11", "3.10", "3.12", "3.13"]),
)
MATRIX = [
    {"tier": tier, "license": lic, "backbone": net, "python_version": py}
    for tier, (lic, net, py) in zip(TIERS, OTHER_ANSWERS, strict=False)
] + [
    {
        "project_name": "Défaut d'Acier Spotter",
        "project_slug": "defect-spotter",
        "package_name": "defect_spotter",
        "description": 'Finds "cracks" in C:\\steel & <glass>, it\'s """triple-quoted"""',
        "author_name": "Zoë O'Brien",
        "image_size": 96,
        "backbone": "resnet50",
    },
]


def files_in(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def template_files_under(relative: str) -> set[str]:
    """The template's files at `relative`: the file itself (a tier may name a file, such as a
    workflow), or every file under the folder."""
    if (PROJECT_TEMPLATE / relative).is_file():
        return {relative}
    return {
        f"{relative}/{p.relative_to(PROJECT_TEMPLATE / relative).as_posix()}"
        for p in (PROJECT_TEMPLATE / relative).rglob("*")
        if p.is_file()
    }


def expected_files(tier: str, package: str) -> set[str]:
    """The core, plus every file of the kept tiers except those a higher tier adds inside them
    (a folder of a higher tier may sit inside a kept tier's folder)."""
    core = {path.replace("PKG", package) for path in EXPECTED_CORE}
    kept = set().union(*(template_files_under(path) for path in tier_paths_kept(tier)))
    higher = [path for name in TIERS[TIERS.index(tier) + 1 :] for path in tier_paths(name)]
    above = set().union(*(template_files_under(path) for path in higher))
    return core | {path.replace("{{cookiecutter.package_name}}", package) for path in kept - above}


@pytest.fixture(params=MATRIX, ids=lambda a: "-".join(str(v) for v in a.values())[:60])
def baked(request, bake):
    answers = request.param
    return answers, bake(**answers)


def test_tree_is_exactly_the_core_plus_the_chosen_tiers(baked):
    answers, project = baked
    tier = answers.get("tier", "beginner")
    package = answers.get("package_name", "vision_classifier")
    assert files_in(project) == expected_files(tier, package)
    removed = [path for name in TIERS[TIERS.index(tier) + 1 :] for path in tier_paths(name, package)]
    assert not [p for p in removed if (project / p).exists()]


def test_no_empty_folders_and_no_template_scaffolding(baked):
    _, project = baked
    assert not [p for p in project.rglob("*") if p.is_dir() and not any(p.iterdir())]
    assert not (project / "_licenses").exists()


def test_no_unrendered_template_text_remains(baked):
    _, project = baked
    leftovers = {
        path.relative_to(project).as_posix(): match.group(0)
        for path in project.rglob("*")
        if path.is_file()
        for match in [LEFTOVER.search(path.read_text(errors="ignore"))]
        if match
    }
    assert leftovers == {}


def test_every_yaml_toml_and_json_file_parses(baked):
    _, project = baked
    for path in project.rglob("*"):
        if path.suffix in {".yml", ".yaml"}:
            list(yaml.safe_load_all(path.read_text()))
        elif path.suffix == ".toml":
            tomllib.loads(path.read_text())
        elif path.suffix in {".json", ".ipynb"}:
            json.loads(path.read_text())


def test_answers_land_where_they_belong(baked):
    answers, project = baked
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    defaults = {"description": None, "python_version": "3.11", "license": "MIT", "backbone": "resnet18"}
    answers = {**defaults, **answers}
    if answers["description"]:
        assert pyproject["description"] == answers["description"]
    assert pyproject["requires-python"] == f">={answers['python_version']}"
    assert pyproject.get("license") == (None if answers["license"] == "Proprietary" else answers["license"])
    config = yaml.safe_load((project / "configs" / "default.yaml").read_text())
    assert config["model"]["backbone"] == answers["backbone"]
    assert config["data"]["image_size"] == int(answers.get("image_size", 224))
    license_text = (project / "LICENSE").read_text()
    first_words = {
        "MIT": "MIT License",
        "Apache-2.0": "Apache License",
        "BSD-3-Clause": "BSD 3-Clause",
        "Proprietary": "All rights reserved",
    }
    assert first_words[answers["license"]] in license_text


def test_ruff_lint_and_format_pass(baked):
    _, project = baked
    for command in (["check", "--no-cache", "."], ["format", "--no-cache", "--check", "."]):
        result = run([tool("ruff"), *command], project)
        assert result.returncode == 0, result.stdout + result.stderr


def test_gitignore_keeps_data_and_models_out_but_their_readmes_in(bake, tmp_path):
    project = bake()
    run(["git", "init", "-q"], project)
    (project / "data" / "demo").mkdir()
    (project / "data" / "demo" / "x.jpg").write_bytes(b"x")
    (project / "models" / "run").mkdir()
    (project / "models" / "run" / "best.pt").write_bytes(b"x")
    (project / ".env").write_text("SECRET=1")
    tracked = run(["git", "status", "--porcelain", "--untracked-files=all"], project).stdout
    assert "data/README.md" in tracked and "models/README.md" in tracked
    assert "x.jpg" not in tracked and "best.pt" not in tracked and ".env\n" not in tracked


INVALID = [
    ({"package_name": "import"}, "package_name='import' is a Python keyword"),
    ({"package_name": "torch"}, "package_name='torch' would shadow"),
    ({"package_name": "json"}, "package_name='json' would shadow"),
    ({"project_slug": "Not A Slug"}, "project_slug='Not A Slug'"),
    ({"author_email": "nobody"}, "author_email='nobody' must look like"),
    ({"python_version": "3.9"}, "python_version='3.9' must be one of"),
    ({"image_size": 100}, "image_size='100' must be a multiple of 32"),
    ({"project_name": 'Say "hi"'}, "project_name='Say \"hi\"' must not contain double quotes"),
]


@pytest.mark.parametrize(
    ("answers", "message"), INVALID, ids=[next(iter(a)) + "-" + str(next(iter(a.values()))) for a, _ in INVALID]
)
def test_invalid_answer_aborts_with_its_message_and_leaves_nothing(answers, message, tmp_path, capfd):
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(FailedHookException):
        cookiecutter(
            str(PROJECT_TEMPLATE.parent),
            no_input=True,
            output_dir=str(out),
            extra_context={**answers, "create_venv": False, "init_git": False},
        )
    assert message in capfd.readouterr().err
    assert list(out.iterdir()) == []


def test_side_effects_run_for_a_real_bake(cookies, monkeypatch):
    monkeypatch.delenv("MLOPS_TEMPLATE_SKIP_SIDE_EFFECTS", raising=False)
    monkeypatch.setenv("PATH", f"{Path(tool('uv')).parent}:{__import__('os').environ['PATH']}")
    result = cookies.bake(extra_context={"create_venv": True, "init_git": True, "install_dependencies": False})
    assert result.exit_code == 0, repr(result.exception)
    project = result.project_path
    assert (project / ".venv" / "bin" / "python").exists()
    log = run(["git", "log", "--oneline"], project).stdout.splitlines()
    assert len(log) == 1
    assert run(["git", "status", "--porcelain"], project).stdout == ""  # .venv is ignored
