"""The documentation site: built strictly and offline, with every command, endpoint, runbook and
lesson in it, and a broken link or anchor failing the build."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.cli import build_parser, main
from {{ cookiecutter.package_name }}.docs.api_reference import api_reference
from {{ cookiecutter.package_name }}.docs.cli_reference import cli_reference
from {{ cookiecutter.package_name }}.docs.site import project_pages, rewrite_links

CONTRACT = Path("api_contracts/openapi/v1/openapi.json")


def commands_of(parser, path=()):
    """(words, parser) of every command and subcommand."""
    for action in parser._actions:
        if action.__class__.__name__ == "_SubParsersAction":
            for name, sub in action.choices.items():
                yield (*path, name), sub
                yield from commands_of(sub, (*path, name))


@pytest.fixture(scope="module")
def site(project_root, package_env, tmp_path_factory) -> Path:
    """The site as CI builds it: plain `mkdocs build --strict` on DOCS/mkdocs.yml."""
    out = tmp_path_factory.mktemp("site")
    mkdocs = Path(sys.executable).parent / "mkdocs"
    command = [str(mkdocs), "build", "--strict", "--config-file", "DOCS/mkdocs.yml", "--site-dir", str(out)]
    result = subprocess.run(command, cwd=project_root, env=package_env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return out


def text_of(page: Path) -> str:
    return re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8"))


def test_the_site_has_usage_architecture_references_operations_and_the_learning_path(site, project_root):
    assert "make demo" in text_of(site / "index.html")
    assert (site / "ARCHITECTURE" / "index.html").is_file()
    operations = text_of(site / "operations" / "index.html")
    for folder in ("mlops", "api_contracts", "backup", ".gitflow"):
        assert f"{folder}/" in operations, folder
    runbooks = list((project_root / "backup" / "runbooks").glob("*.md"))
    assert runbooks
    for runbook in runbooks:
        assert (site / "backup" / "runbooks" / runbook.stem / "index.html").is_file(), runbook.name
    assert (site / "gitflow" / "BRANCHING" / "index.html").is_file()
    assert (site / "infrastructure" / "kubernetes" / "scale_out" / "index.html").is_file()
    lessons = sorted(p.stem for p in (project_root / "educational_resources").glob("0*.md"))
    assert lessons and all((site / "educational_resources" / name / "index.html").is_file() for name in lessons)


def test_the_references_on_the_site_cover_every_command_and_endpoint(site, project_root):
    cli = text_of(site / "reference" / "cli" / "index.html")
    for words, _ in commands_of(build_parser()):
        assert " ".join(words) in cli, words
    api = text_of(site / "reference" / "api" / "index.html")
    contract = json.loads((project_root / CONTRACT).read_text())
    for path, operations in contract["paths"].items():
        for method in operations:
            assert f"{method.upper()} {path}" in api
    for schema in contract["components"]["schemas"]:
        assert f'id="schema-{schema.lower()}"' in (site / "reference" / "api" / "index.html").read_text()


def test_the_site_fetches_nothing_from_the_network(site):
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "fonts.googleapis.com" not in html and "fonts.gstatic.com" not in html, page
        assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?://", html), page


def test_the_cli_reference_names_every_option_of_every_command():
    reference = cli_reference()
    for words, parser in commands_of(build_parser()):
        for action in parser._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert f"`{option}`" in reference, (words, option)


def test_the_api_reference_links_every_schema_it_names_to_its_section(project_root):
    reference = api_reference(project_root / CONTRACT)
    for target in set(re.findall(r"\(#(schema-[a-z0-9_]+)\)", reference)):
        assert "{" + f"#{target}" + "}" in reference, target


def test_links_to_pages_stay_on_the_site_and_links_to_files_go_to_the_repository(project_root, caplog):
    pages = project_pages(project_root)
    assert pages["gitflow/README.md"] == ".gitflow/README.md"
    text = "[a](../mlops/README.md#install) [b](../configs/default.yaml) [c](../nowhere.md) [d](https://x.org/y)"
    out = rewrite_links(text, "gitflow/README.md", pages, project_root, "https://github.com/o/p")
    assert "[a](../mlops/README.md#install)" in out
    assert "[b](https://github.com/o/p/blob/main/configs/default.yaml)" in out
    assert "[c](../nowhere.md)" in out and "broken link to ../nowhere.md" in caplog.text
    assert "[d](https://x.org/y)" in out


@pytest.mark.parametrize(
    "broken, reason",
    [("[gone](no-such-page.md)", "no-such-page.md"), ("[anchor](ARCHITECTURE.md#no-such-heading)", "no-such-heading")],
)
def test_a_broken_link_or_anchor_fails_the_build(project_root, tmp_path, broken, reason, capsys, caplog):
    def ignore(folder, names):  # the sources of the pages, not the data, models or outputs around them
        skipped = {".git", ".venv", "build", "node_modules", "__pycache__"}
        if Path(folder).name in ("data", "models") and Path(folder).parent == project_root:
            skipped |= {name for name in names if name != "README.md"}
        return [name for name in names if name in skipped]

    copy = shutil.copytree(project_root, tmp_path / "project", ignore=ignore)
    readme = copy / "README.md"
    readme.write_text(readme.read_text() + f"\n\nSee {broken}.\n")
    with pytest.raises(SystemExit) as exit_info:
        main(["docs", "--config", str(copy / "DOCS" / "mkdocs.yml"), "--out", str(tmp_path / "site")])
    assert exit_info.value.code == 2
    assert "did not build" in capsys.readouterr().err and reason in caplog.text
