"""Building the site with mkdocs' own API, in strict mode: a warning, a broken link or anchor, a
page missing from the navigation's targets, all stop the build with the reason."""

from pathlib import Path

from ..errors import ProjectError


class DocsError(ProjectError):
    """The site did not build; the message says why."""


def build_site(config_file: Path, out: Path | None = None) -> Path:
    try:
        from mkdocs.commands.build import build
        from mkdocs.config import load_config
        from mkdocs.exceptions import Abort, ConfigurationError
    except ModuleNotFoundError:
        raise DocsError("the documentation site needs mkdocs and mkdocs-material: pip install -e '.[dev]'") from None
    if not Path(config_file).is_file():
        raise FileNotFoundError(f"{config_file}: no mkdocs config (run from the project's root)")
    options = {"strict": True, **({"site_dir": str(Path(out).resolve())} if out else {})}
    try:
        config = load_config(str(config_file), **options)
        build(config)
    except (Abort, ConfigurationError) as error:
        raise DocsError(f"the documentation site did not build: {error}") from None
    return Path(config.site_dir)


def serve_site(config_file: Path, address: str) -> None:
    from mkdocs.commands.serve import serve

    serve(str(config_file), dev_addr=address, strict=True)
