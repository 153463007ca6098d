"""Unit tests of the hooks' logic, imported from the raw hook files."""

import os
import subprocess
from pathlib import Path

import pytest
from conftest import DEFAULTS, POST_GEN, PRE_GEN, TEMPLATE_ROOT, TIER_TABLE, TIERS, tier_paths, tool

VALID = {
    "project_name": "Vision Classifier",
    "project_slug": "vision-classifier",
    "package_name": "vision_classifier",
    "author_email": "a@b.io",
    "github_org": "my-org",
    "version": "0.1.0",
    "python_version": "3.11",
    "image_size": 224,
}


def test_default_answers_pass_validation():
    assert PRE_GEN.problems(VALID) == []


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("package_name", "class", "Python keyword"),
        ("package_name", "match", "Python keyword"),
        ("package_name", "json", "shadow"),
        ("package_name", "torch", "shadow"),
        ("package_name", "cv2", "shadow"),
        ("package_name", "tests", "shadow"),
        ("package_name", "My-Package", "lowercase Python identifier"),
        ("package_name", "2fast", "lowercase Python identifier"),
        ("project_slug", "Bad Slug!", "lowercase letters and digits"),
        ("project_slug", "double--dash", "lowercase letters and digits"),
        ("author_email", "not-an-email", "name@example.com"),
        ("github_org", "-leading-dash", "GitHub user"),
        ("version", "1.0", "MAJOR.MINOR.PATCH"),
        ("python_version", "3.9", "3.10, 3.11, 3.12, 3.13"),
        ("image_size", 100, "multiple of 32"),
        ("image_size", "big", "whole number"),
        ("project_name", "   ", "must not be empty"),
        ("project_name", 'The "Best" Model', "double quotes"),
        ("project_name", "back\\slash", "backslashes"),
        ("project_name", "two\nlines", "control characters"),
    ],
)
def test_each_bad_answer_gives_one_line_naming_field_value_and_rule(field, value, reason):
    [message] = PRE_GEN.problems({**VALID, field: value})
    assert message.startswith(f"{field}={value!r} ")
    assert reason in message


def test_every_question_has_help_text():
    questions = [k for k in DEFAULTS if not k.startswith("_")]
    assert set(questions) == set(DEFAULTS["__prompts__"])


def test_booleans_are_real_json_booleans():
    for name in ("create_venv", "install_dependencies", "init_git"):
        assert isinstance(DEFAULTS[name], bool), name


def test_each_tier_removes_exactly_the_paths_of_the_tiers_above():
    assert POST_GEN.paths_to_remove(TIER_TABLE, TIERS[-1], "pkg") == []
    for index, tier in enumerate(TIERS):
        above = [path for name in TIERS[index + 1 :] for path in tier_paths(name, "pkg")]
        assert POST_GEN.paths_to_remove(TIER_TABLE, tier, "pkg") == above


def test_a_tier_adds_its_seed_folders_subpackages_and_test_folders():
    entry = {
        "tier": "t",
        "folders": {"ops": "runbooks"},
        "packages": ["ops"],
        "tests": ["ops", "docs"],
        "paths": [".github/workflows/ops.yml", "src/{package_name}/api/ops_routes.py"],
    }
    assert POST_GEN.tier_paths(entry, "pkg") == [
        "ops",
        "src/pkg/ops",
        "tests/ops",
        "tests/docs",
        ".github/workflows/ops.yml",
        "src/pkg/api/ops_routes.py",
    ]


def test_unknown_tier_is_rejected():
    with pytest.raises(ValueError, match="tier='pro'"):
        POST_GEN.paths_to_remove(TIER_TABLE, "pro", "pkg")


def test_every_tier_path_exists_in_the_template_and_belongs_to_one_tier():
    paths = [path for tier in TIERS for path in tier_paths(tier)]
    assert len(paths) == len(set(paths))
    for path in paths:
        assert (TEMPLATE_ROOT / "{{cookiecutter.project_slug}}" / path).exists(), path


def test_the_tier_question_offers_the_tiers_of_the_table_in_its_order():
    assert DEFAULTS["tier"] == TIERS
    assert list(DEFAULTS["__prompts__"]["tier"]) == ["__prompt__", *TIERS]


def test_each_table_entry_has_every_key_the_hook_and_templates_read():
    keys = {"tier", "phase", "folders", "packages", "tests", "paths", "extras", "image_extras", "dev", "planned"}
    for entry in TIER_TABLE:
        assert set(entry) == keys, entry["tier"]
        assert not set(entry["folders"]) & set(entry["planned"]), f"{entry['tier']}: a folder is shipped or planned"


def test_the_serving_images_install_only_extras_their_tier_declares():
    declared = set()
    for entry in TIER_TABLE:
        declared |= set(entry["extras"])
        assert set(entry["image_extras"]) <= declared, entry["tier"]


def test_prune_removes_whole_folders_and_is_safe_to_repeat(tmp_path):
    every = [path for tier in TIERS for path in tier_paths(tier, "pkg")]
    for path in every:
        (tmp_path / path).mkdir(parents=True, exist_ok=True)
        (tmp_path / path / "file.txt").write_text("x")
    (tmp_path / "src" / "pkg" / "core.py").write_text("x")
    POST_GEN.prune(tmp_path, TIER_TABLE, TIERS[0], "pkg")
    POST_GEN.prune(tmp_path, TIER_TABLE, TIERS[0], "pkg")  # cruft regenerates twice: a second run is a no-op
    kept = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert kept == sorted([f"{path}/file.txt" for path in tier_paths(TIERS[0], "pkg")] + ["src/pkg/core.py"])


def test_license_choice_keeps_one_text_and_drops_the_rest(tmp_path):
    licenses = tmp_path / "_licenses"
    licenses.mkdir()
    for name in ("MIT", "Apache-2.0"):
        (licenses / f"{name}.txt").write_text(name)
    POST_GEN.choose_license(tmp_path, "Apache-2.0")
    assert (tmp_path / "LICENSE").read_text() == "Apache-2.0"
    assert not licenses.exists()


@pytest.mark.parametrize(
    ("answers", "environ", "allowed"),
    [
        ({}, {}, True),
        ({"_commit": "abc123"}, {}, False),  # cruft's temporary regenerations
        ({}, {"MLOPS_TEMPLATE_SKIP_SIDE_EFFECTS": "1"}, False),
        ({}, {"MLOPS_TEMPLATE_SKIP_SIDE_EFFECTS": "0"}, True),
    ],
)
def test_side_effects_are_skipped_under_cruft_and_when_asked(answers, environ, allowed):
    assert POST_GEN.side_effects_allowed(answers, environ) is allowed


def test_a_failing_venv_only_warns_and_keeps_the_project(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(POST_GEN.shutil, "which", lambda name: None)
    monkeypatch.setattr(POST_GEN.sys, "executable", str(tmp_path / "no-such-python"))
    (tmp_path / "keep.txt").write_text("x")
    POST_GEN.create_venv(tmp_path, "3.11", install=True)
    assert "WARNING: python -m venv failed, the project is kept" in capsys.readouterr().err
    assert (tmp_path / "keep.txt").exists()


def test_venv_is_created_with_uv_when_available(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", f"{Path(tool('uv')).parent}:{os.environ['PATH']}")
    POST_GEN.create_venv(tmp_path, "3.11", install=False)
    assert (tmp_path / ".venv" / "bin" / "python").exists()
    assert "uv = " in (tmp_path / ".venv" / "pyvenv.cfg").read_text()


def test_venv_falls_back_to_the_standard_library_without_uv(tmp_path, monkeypatch):
    monkeypatch.setattr(POST_GEN.shutil, "which", lambda name: None)
    POST_GEN.create_venv(tmp_path, "3.11", install=False)
    assert (tmp_path / ".venv" / "bin" / "python").exists()
    assert "uv = " not in (tmp_path / ".venv" / "pyvenv.cfg").read_text()


def test_git_init_makes_one_commit_even_without_a_global_identity(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-gitconfig"))
    project = tmp_path / "project"
    project.mkdir()
    (project / "README.md").write_text("hi")
    POST_GEN.init_git(project, "Ada Lovelace", "ada@example.com")
    log = subprocess.run(["git", "log", "--format=%an <%ae>|%s"], cwd=project, capture_output=True, text=True)
    assert log.stdout.strip() == "Ada Lovelace <ada@example.com>|Initial commit from mlops-template"


def test_next_steps_only_mention_what_is_left_to_do():
    answers = {"project_slug": "demo", "tier": "beginner", "create_venv": True, "install_dependencies": True}
    text = POST_GEN.next_steps(answers)
    assert "cd demo" in text and "make install" not in text and "python3 -m venv" not in text
    text = POST_GEN.next_steps({**answers, "create_venv": False, "install_dependencies": False})
    assert "python3 -m venv .venv" in text and "make install" in text
