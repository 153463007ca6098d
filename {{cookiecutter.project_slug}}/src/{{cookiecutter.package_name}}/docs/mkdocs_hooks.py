"""What DOCS/mkdocs.yml names under `hooks:`. mkdocs loads this file by its path, outside the package,
so it puts `src/` on the path (the project need not be installed) and hands each event to site.py."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from {{ cookiecutter.package_name }}.docs.site import on_config, on_files, on_page_markdown  # noqa: E402

__all__ = ["on_config", "on_files", "on_page_markdown"]
