"""The security tier's part of the seam: the API's guards (keys, rate limits, headers, request time)
as `setup_api`, their settings as serve options, and the `api-key` command. Imports nothing heavy:
Starlette and `limits` load when an app is built."""

from collections.abc import Mapping
from typing import Any

from .. import settings
from ..extensions import Extension
from .commands import add_commands
from .settings import SecuritySettings


def setup_api(app: Any, options: Mapping[str, Any]) -> None:
    from .middleware import install

    install(app, settings.load(SecuritySettings, options))


EXTENSION = Extension(
    name="security",
    add_commands=add_commands,
    setup_api=setup_api,
    settings=(SecuritySettings,),
    # The core's tests call the API without keys or limits, whatever the shell exports.
    test_environment={"API_KEYS": "", "API_KEYS_FILE": "", "RATE_LIMIT": ""},
)
