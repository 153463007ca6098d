"""The mkdocs event handlers behind DOCS/mkdocs.yml (loaded through `mkdocs_hooks.py`).

    on_config          finds the project's Markdown pages and builds the navigation from them
    on_files           adds those pages, the CLI reference and the API reference as generated files
    on_page_markdown   points each link at the page it names on the site, or at the file in the
                       repository when the file is not a page; a link to nothing fails the build

Pages keep their repository paths on the site (`mlops/README.md` -> `mlops/`; a leading dot of a
folder is dropped: `.gitflow/` -> `gitflow/`), so the links between them work unchanged.
"""

import logging
import os
import re
from pathlib import Path, PurePosixPath

# Warnings of loggers under "mkdocs" fail a strict build: a broken link here does.
log = logging.getLogger("mkdocs.plugins.project_docs")

SKIPPED = {".git", ".venv", "venv", "node_modules", "src", "tests", "DOCS", "site", "build", "dist", ".github"}
SKIPPED |= {".pytest_cache", ".ruff_cache", ".dvc", "__pycache__", ".ipynb_checkpoints"}
# Folders of data and outputs: only their own README is a page (they may hold millions of files).
DATA_FOLDERS = {"data", "models", "runs", "reports", "mlruns", "mlartifacts", "backups", "notebooks"}
CONTRACT = "api_contracts/openapi/v1/openapi.json"
REFERENCE = {"reference/cli.md": "command line", "reference/api.md": "HTTP API"}
SCALE_OUT = "infrastructure/kubernetes/scale_out/README.md"
_LINK = re.compile(r"(?P<head>!?\[[^\]]*\]\()(?P<target>[^)\s]+)(?P<tail>(?:\s+\"[^\"]*\")?\))")
_DEFINITION = re.compile(r"^(?P<head>\s{0,3}\[[^\]]+\]:\s*)(?P<target>\S+)(?P<tail>.*)$")
_FENCE = re.compile(r"^(```|~~~)")

state: dict = {"root": None, "pages": {}}  # pages: site path -> repository path


def site_path(repo_path: str) -> str:
    parts = PurePosixPath(repo_path).parts
    return str(PurePosixPath(parts[0].lstrip("."), *parts[1:])) if parts[0].startswith(".") else repo_path


def project_pages(root: Path) -> dict[str, str]:
    """{site path: repository path} of every Markdown page of the project outside the code."""
    found = [path.name for path in root.glob("*.md")]
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name not in SKIPPED):
        if folder.name in DATA_FOLDERS:
            found += [f"{folder.name}/README.md"] if (folder / "README.md").is_file() else []
            continue
        for current, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED)
            found += [(Path(current) / f).relative_to(root).as_posix() for f in sorted(files) if f.endswith(".md")]
    return {site_path(path): path for path in sorted(found)}


def _title(folder: str) -> str:
    return folder.lstrip(".").replace("_", " ").capitalize()


def _section(pages: dict[str, str], folder: str, skip: set[str] = frozenset()) -> list[str]:
    """A folder's pages for the navigation: its README first, then the rest in path order."""
    prefix = site_path(folder) + "/"
    inside = [page for page in pages if page.startswith(prefix) and page not in skip]
    readme = f"{prefix}README.md"
    return ([readme] if readme in inside else []) + [page for page in inside if page != readme]


def navigation(pages: dict[str, str], operations: dict[str, str]) -> list:
    usage = ["README.md"] + [page for page in ("data/README.md", "models/README.md") if page in pages]
    operations_nav: list = ["operations.md"]
    for folder in operations:
        section = _section(pages, folder, skip={SCALE_OUT})
        if section:
            operations_nav.append({_title(folder): section})
    if SCALE_OUT in pages:
        operations_nav.append({"Scale-out": [SCALE_OUT]})
    nav: list = [{"Usage": usage}]
    if "ARCHITECTURE.md" in pages:
        nav.append({"Architecture": "ARCHITECTURE.md"})
    nav.append({"Reference": [{title.capitalize(): path} for path, title in REFERENCE.items()]})
    nav.append({"Operations": operations_nav})
    learning = _section(pages, "educational_resources")
    if learning:
        nav.append({"Learning path": learning})
    return nav


def on_config(config):
    root = Path(config.config_file_path).resolve().parent.parent
    state["root"], state["pages"] = root, project_pages(root)
    config.nav = navigation(state["pages"], dict(config.extra.get("operations", {})))
    return config


def operations_table(operations: dict[str, str], pages: dict[str, str]) -> str:
    rows = ["| folder | what it holds | start with |", "| --- | --- | --- |"]
    for folder, what in operations.items():
        section = _section(pages, folder, skip={SCALE_OUT})
        start = f"[{section[0]}]({section[0]})" if section else "(no pages)"
        rows.append(f"| `{folder}/` | {what} | {start} |")
    if SCALE_OUT in pages:
        what = "multi-node training and batch inference on Kubernetes"
        rows.append(f"| `{SCALE_OUT.rsplit('/', 1)[0]}/` | {what} | [{SCALE_OUT}]({SCALE_OUT}) |")
    return "\n".join(rows)


def on_files(files, config):
    from mkdocs.structure.files import File

    from .api_reference import api_reference
    from .cli_reference import cli_reference

    root = state["root"]
    for page, source in state["pages"].items():
        files.append(File.generated(config, page, content=(root / source).read_text(encoding="utf-8")))
    files.append(File.generated(config, "reference/cli.md", content=cli_reference()))
    files.append(File.generated(config, "reference/api.md", content=api_reference(root / CONTRACT)))
    return files


def rewrite_links(markdown: str, page: str, pages: dict[str, str], root: Path, repo_url: str) -> str:
    """Links of a page (site path `page`) pointed at site pages or at the repository; broken ones logged."""
    sites = {repo: site for site, repo in pages.items()}
    source = pages.get(page)
    if source is None:  # a hand-written or generated page: its links are site links, checked by mkdocs
        return markdown

    def replace(match: re.Match) -> str:
        target = match["target"]
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith(("#", "/")):
            return match[0]
        path, _, anchor = target.partition("#")
        resolved = os.path.normpath(PurePosixPath(source).parent / path).replace(os.sep, "/")
        suffix = f"#{anchor}" if anchor else ""
        if resolved not in sites and f"{resolved}/README.md" in sites:  # a folder: its README page
            resolved = f"{resolved}/README.md"
        if resolved in sites:
            relative = os.path.relpath(sites[resolved], PurePosixPath(page).parent).replace(os.sep, "/")
            return f"{match['head']}{relative}{suffix}{match['tail']}"
        if resolved.startswith("..") or not (root / resolved).exists():
            log.warning("%s: broken link to %s (no such file in the project)", source, target)
            return match[0]
        kind = "tree" if (root / resolved).is_dir() else "blob"
        return f"{match['head']}{repo_url.rstrip('/')}/{kind}/main/{resolved}{suffix}{match['tail']}"

    out, in_code = [], False
    for line in markdown.splitlines(keepends=True):
        if _FENCE.match(line.lstrip()):
            in_code = not in_code
        out.append(line if in_code else _DEFINITION.sub(replace, _LINK.sub(replace, line)))
    return "".join(out)


def on_page_markdown(markdown, page, config, files):
    path = page.file.src_uri
    if path == "operations.md":
        table = operations_table(dict(config.extra.get("operations", {})), state["pages"])
        markdown = markdown.replace("<!-- operations table -->", table)
    return rewrite_links(markdown, path, state["pages"], state["root"], config.repo_url or "")
