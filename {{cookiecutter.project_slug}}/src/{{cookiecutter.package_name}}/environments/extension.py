"""The environments' part of the seam: an overlay for the config loader, chosen by APP_ENV."""

import os
from pathlib import Path

from ..extensions import Extension

ENV_VAR = "APP_ENV"
DIR_VAR = "ENVIRONMENTS_DIR"


def environments_dir(config_path: Path, env: str) -> Path:
    """`ENVIRONMENTS_DIR` if set, else `environments/` in the project that holds the config file.

    The project is the nearest folder above the config file with a pyproject.toml, so the answer
    does not depend on the working directory.
    """
    from ..config import ConfigError  # pydantic stays out of `--help`, which loads this module

    if os.environ.get(DIR_VAR):
        return Path(os.environ[DIR_VAR])
    for folder in config_path.resolve().parents:
        if (folder / "pyproject.toml").is_file():
            return folder / "environments"
    raise ConfigError(
        f"{ENV_VAR}={env!r} is set, but {config_path} is not inside a project (no pyproject.toml above it) "
        f"to find environments/ in; set {DIR_VAR} to the environments folder, or unset {ENV_VAR}"
    )


def environment_file(config_path: Path, env: str) -> Path:
    """The overlay of environment `env`: `<environments>/<env>/config.yaml`, which must exist."""
    from ..config import ConfigError

    folder = environments_dir(config_path, env)
    if not folder.is_dir():
        raise ConfigError(f"{ENV_VAR}={env!r} is set, but there is no environments folder at {folder}; set {DIR_VAR}")
    names = sorted(path.parent.name for path in folder.glob("*/config.yaml"))
    if env not in names:
        choices = ", ".join(names) or "none: add <name>/config.yaml there"
        raise ConfigError(f"{ENV_VAR}={env!r} is not an environment in {folder}; valid environments: {choices}")
    return folder / env / "config.yaml"


def config_overlay(config_path: Path) -> tuple[str, dict] | None:
    """The overlay of the environment APP_ENV names, or None when it is unset or empty."""
    from ..config import read_mapping

    env = os.environ.get(ENV_VAR, "")
    if not env:
        return None
    overlay = environment_file(config_path, env)
    return str(overlay), read_mapping(overlay)


# Tests of the core run outside every environment, whatever the shell exports.
EXTENSION = Extension(
    name="environments",
    config_overlay=config_overlay,
    test_environment={ENV_VAR: "", DIR_VAR: ""},
)
